"""The file as a whole: loader problems, the `services` mapping and an image per service."""

from __future__ import annotations

import re

from alpha_deploy.checks.context import Context

_SERVICES_SHAPE = "write `services:` as a mapping: `services:` then `  web:` then `    image: ...`"


def check_load_problems(ctx: Context) -> None:
    """Duplicate keys, several documents and unset variables the loader noticed."""
    seen: set[tuple[str, str, str]] = set()
    for problem in ctx.site.problems:
        key = (problem.rule, problem.path, problem.message)
        if key not in seen:
            seen.add(key)
            ctx.report(problem.rule, problem.path, problem.message, problem.mark)


def check_services_mapping(ctx: Context) -> None:
    """A `services` mapping exists, is not empty, and each service is a mapping."""
    data = ctx.site.data
    services = data.get("services")
    if "services" not in data:
        ctx.report("compose-services", "", f"the file has no `services`; {_SERVICES_SHAPE}")
    elif not isinstance(services, dict):
        kind = type(services).__name__ if services is not None else "empty"
        ctx.report("compose-services", "services", f"`services` is {kind}; {_SERVICES_SHAPE}")
    elif not services:
        ctx.report("compose-services", "services", f"`services` is empty; {_SERVICES_SHAPE}")
    else:
        _check_each_service_is_mapping(ctx, services)


SERVICE_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")


def _check_each_service_is_mapping(ctx: Context, services: dict[str, object]) -> None:
    for name, body in services.items():
        if not isinstance(name, str) or not SERVICE_NAME.fullmatch(name):
            fixed = re.sub(r"[^a-z0-9_.]+", "-", str(name).lower()).strip("-.") or "web"
            message = (f"service name {name!r} is not a plain name; use lower-case letters, "
                       f"digits, '-', '_' and '.', e.g. `{fixed}`")  # fmt: skip
            ctx.report("service-name", f"services.{name}", message)

        if not isinstance(body, dict):
            message = f"service {name!r} is not a mapping of settings; give it at least `image:`"
            ctx.report("compose-services", f"services.{name}", message)


def check_images(ctx: Context) -> None:
    """Every service names an image, because Alpha pulls and never builds."""
    example = f"{ctx.policy.registry}/ORG/{ctx.policy.app}:TAG"
    for service in ctx.site.services.values():
        raw = service.raw.get("image")
        if raw is None:
            built = (
                " (it only has `build:`; CI builds, Alpha pulls)" if "build" in service.raw else ""
            )
            message = f"service {service.name!r} has no image{built}; add `image: {example}`"
            ctx.report("service-image", service.path, message)
        elif not isinstance(raw, str) or not raw.strip():
            message = f"`image` must be one image reference, like `{example}`"
            ctx.report("service-image", service.path_of("image"), message)
