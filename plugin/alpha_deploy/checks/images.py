"""Public images come from the platform registry, named after this app, with a tag."""

from __future__ import annotations

import re

from alpha_deploy.checks.context import Context
from alpha_deploy.compose import Service

_REFERENCE = re.compile(
    r"(?P<repository>[^@:]+(?::\d+)?/[^@:]+|[^@:/]+)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?"
)


def check_image_registry(ctx: Context) -> None:
    """Each public service's image is ``REGISTRY/ORG/APP:TAG``."""
    for service in ctx.site.public_services():
        if service.image:
            problem = image_problem(service.image, ctx.policy.registry, ctx.policy.app)
            if problem:
                _report(ctx, service, problem)


def image_problem(image: str, registry: str, app: str) -> str | None:
    """What is wrong with ``image`` for ``app`` on ``registry``, or None."""
    match = _REFERENCE.fullmatch(image.strip())
    if match is None:
        return f"image {image!r} is not a valid image reference"
    parts = match.group("repository").split("/")
    if parts[0] != registry:
        return f"image {image!r} is not from the platform registry {registry}"
    if len(parts) != 3:
        return f"image {image!r} is not named REGISTRY/ORG/APP"
    if parts[2] != app and not parts[2].startswith(f"{app}-"):
        return f"image {image!r} is named {parts[2]!r}, not after this app {app!r}"
    if not match.group("tag") and not match.group("digest"):
        return f"image {image!r} has no tag, so every pull may bring a different release"
    return None


def _report(ctx: Context, service: Service, problem: str) -> None:
    fix = f"write `image: {ctx.policy.registry}/ORG/{ctx.policy.app}:TAG` (ORG as in CI)"
    ctx.report("image-registry", service.path_of("image"), f"{problem}; {fix}")
