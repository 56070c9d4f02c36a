"""Releases on the host: stage the files, pull and pin the images, activate, record.

A release is the compose file, an optional ``.env`` and a pin file that names
every image by digest. It is staged under ``.alpha/releases/ID`` and only
copied over the serving files once it has proved healthy, so the files in the
site directory always describe a complete release that runs.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import yaml
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from alpha_deploy.compose import Site
from alpha_deploy.console import Console
from alpha_deploy.deploy import commands
from alpha_deploy.deploy.images import ImageRef, belongs_to_app, parse_digests
from alpha_deploy.errors import HostError, InvalidCompose
from alpha_deploy.remote.host import CommandFailed, Host
from alpha_deploy.retries import announce
from alpha_deploy.settings import Settings

PERMANENT_PULL = re.compile(
    r"manifest unknown|not found|unauthorized|denied|invalid reference", re.IGNORECASE
)


@dataclass
class Release:
    """What one release runs, and where it came from."""

    id: str
    images: dict[str, str]  # service -> pinned image reference
    has_env: bool = False
    created_at: str = ""
    pipeline: dict[str, str] = field(default_factory=dict)
    health_tests: dict[str, list[str]] = field(default_factory=dict)  # auto-drain wrappers

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Release:
        return cls(
            id=str(data["id"]),
            images=dict(data.get("images") or {}),
            has_env=bool(data.get("has_env")),
            created_at=str(data.get("created_at", "")),
            pipeline=dict(data.get("pipeline") or {}),
            health_tests=dict(data.get("health_tests") or {}),
        )


def pipeline_info() -> dict[str, str]:
    env = os.environ
    keys = {
        "url": "CI_PIPELINE_URL",
        "number": "CI_PIPELINE_NUMBER",
        "event": "CI_PIPELINE_EVENT",
        "commit": "CI_COMMIT_SHA",
        "author": "CI_COMMIT_AUTHOR",
        "repo": "CI_REPO",
    }
    return {name: env[var] for name, var in keys.items() if env.get(var)}


def new_release_id(settings: Settings) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return f"{stamp}-{settings.tag or 'release'}"[:80]


def wanted_images(site: Site, settings: Settings) -> dict[str, str]:
    """Service -> image to pull: the compose file's, with ``tag`` applied to this app's images."""
    images = {}
    for name, service in sorted(site.services.items()):
        if not service.image:
            raise InvalidCompose(
                f"{site.file}: service {name} has no image; Alpha pulls, it does not build"
            )
        ref = ImageRef.parse(service.image)
        if settings.tag and belongs_to_app(ref, settings.registry, settings.app):
            ref = ref.with_tag(settings.tag)
        images[name] = str(ref)
    return images


def pin_file_text(release: Release) -> str:
    """The override compose reads after the site's file: pinned images, drainable healthchecks."""
    header = (
        "# Written by alpha-deploy: pins every service to the image digest that was\n"
        "# deployed, so a plain `docker compose up -d` starts the same release, and\n"
        "# adds the drain condition to healthchecks (see the plugin's docs).\n"
    )
    services: dict[str, dict[str, Any]] = {
        name: {"image": image} for name, image in sorted(release.images.items())
    }
    for name, test in release.health_tests.items():
        # Compose interpolates this file too: keep every `$` of the command literal.
        escaped = [part.replace("$", "$$") for part in test]
        services.setdefault(name, {})["healthcheck"] = {"test": escaped}
    return header + yaml.safe_dump({"services": services}, sort_keys=True)


def stage(
    host: Host, settings: Settings, release: Release, compose_text: str, env_text: str | None
) -> commands.ReleaseFiles:
    """Upload the files under ``.alpha/releases/ID``; the serving files stay as they are."""
    files = commands.staged(settings.app, settings.site_dir, release.id, env_text is not None)
    host.run(commands.make_dirs(files.directory))
    host.write_file(files.compose_file, compose_text, mode="644")
    host.write_file(files.pin_file, pin_file_text(release), mode="644")
    if env_text is not None:
        host.write_file(files.env_file, env_text, mode="600")
    return files


def pull(host: Host, files: commands.ReleaseFiles, settings: Settings, console: Console) -> None:
    """Pull every image of the release, retrying registry hiccups, not permanent errors."""

    def transient(error: BaseException) -> bool:
        return isinstance(error, CommandFailed) and not PERMANENT_PULL.search(
            error.result.stderr + error.result.stdout
        )

    def cause(error: BaseException | None) -> str:
        return error.result.tail() if isinstance(error, CommandFailed) else repr(error)

    retrying = Retrying(
        stop=stop_after_attempt(settings.pull_attempts),
        wait=wait_exponential(multiplier=1, max=10),
        reraise=True,
        retry=retry_if_exception(transient),
        before_sleep=announce(console, "pull", settings.pull_attempts, cause),
    )
    try:
        retrying(host.run, commands.pull(files, []))
    except CommandFailed as error:
        raise HostError(
            f"pulling the images failed: {error.result.tail()}; nothing was "
            "changed on the host (PLUGIN_PULL_ATTEMPTS="
            f"{settings.pull_attempts})"
        ) from None


def pin(host: Host, files: commands.ReleaseFiles, release: Release, console: Console) -> None:
    """Replace each tag by ``tag@digest`` of what was just pulled, and rewrite the pin file."""
    result = host.run(commands.repo_digests(sorted(set(release.images.values()))), quiet=True)
    digests = parse_digests(result.stdout)
    for service, image in sorted(release.images.items()):
        ref = ImageRef.parse(image)
        digest = ref.digest or digests.get(image)
        if digest is None:
            console.warn(f"{service}: {image} has no registry digest; it is pinned by tag only")
        release.images[service] = str(ref.with_digest(digest))
    host.write_file(files.pin_file, pin_file_text(release), mode="644")


def record_path(settings: Settings) -> str:
    return f"{commands.state_dir(settings.site_dir)}/current.json"


def read_current(host: Host, settings: Settings) -> Release | None:
    """The release the site serves now, as the last successful run recorded it."""
    text = host.run(commands.read_file(record_path(settings)), quiet=True).stdout
    if not text.strip():
        return None
    try:
        return Release.from_dict(json.loads(text))
    except (ValueError, KeyError, TypeError):
        raise HostError(
            f"{record_path(settings)} on the host is not readable JSON; move it "
            "aside after checking what the site runs"
        ) from None


def activate(
    host: Host, settings: Settings, files: commands.ReleaseFiles, release: Release
) -> None:
    """Make the staged release the serving one: files, then the record."""
    site = commands.current(settings.app, settings.site_dir, release.has_env)
    host.run(commands.activate(files, site))
    host.write_file(
        record_path(settings), json.dumps(release.to_dict(), indent=2) + "\n", mode="644"
    )


def discard(host: Host, files: commands.ReleaseFiles) -> None:
    host.run(shlex.join(["rm", "-rf", files.directory]), check=False)
