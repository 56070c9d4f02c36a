"""The actions besides deploy: ``rollback`` to a kept release, and ``status``.

A rollback is a deploy of a release that is already on the host: its staged
files in ``.alpha/releases/ID`` name every image by digest, so when the images
are still there nothing is pulled and the registry is never contacted. It goes
through the same start-first rollout and health gate as a deploy.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alpha_deploy.compose import ComposeLoadError, Site, load_site
from alpha_deploy.console import Console
from alpha_deploy.deploy import commands, history, release
from alpha_deploy.deploy.containers import list_site
from alpha_deploy.deploy.prune import prune
from alpha_deploy.deploy.release import Release
from alpha_deploy.deploy.run import Deploy
from alpha_deploy.errors import HostError, InvalidRequest
from alpha_deploy.remote.host import Host
from alpha_deploy.report import Report
from alpha_deploy.settings import Settings
from alpha_deploy.signals import Cancellation

STATUS_ENTRIES = 5


def run_other_action(
    host: Host, settings: Settings, console: Console, report: Report, cancel: Cancellation
) -> None:
    if settings.action == "rollback":
        roll_back(host, settings, console, report, cancel)
    elif settings.action == "status":
        show_status(host, settings, console, report)
    else:
        raise InvalidRequest(f"action {settings.action!r} is not handled here")


# --- rollback -----------------------------------------------------------------
def roll_back(
    host: Host, settings: Settings, console: Console, report: Report, cancel: Cancellation
) -> None:
    """Bring back an earlier release (or ``release``) through the rollout and health gate."""
    started = time.monotonic()
    entries = history.read_or_keep_aside(host, settings.site_dir, console)
    current = release.read_current(host, settings)
    target = history.rollback_target(entries, current.id if current else None, settings.release)
    console.phase(
        "Rolling back",
        to=target.id,
        chosen_by=f"release {settings.release}" if settings.release else "the one before",
        serving=current.id if current else "nothing recorded",
    )
    if current and current.id == target.id:
        console.ok(f"{target.id} is already the serving release; nothing was changed")
        report.release_before = report.release_after = current.to_dict()
        return
    files = commands.staged(settings.app, settings.site_dir, target.id, target.has_env)
    site = load_staged_site(host, settings, files)
    ensure_images(host, settings, files, target, console)
    rollback = Rollback(
        host, settings, site, console, report, cancel, started=started, files=files, target=target
    )
    rollback.run()

    prune(host, settings, target.id, console)


def load_staged_site(host: Host, settings: Settings, files: commands.ReleaseFiles) -> Site:
    """The kept release's compose file, read from the host and loaded as a deploy loads it."""
    compose_text = host.run(commands.read_file(files.compose_file), quiet=True).stdout
    if not compose_text.strip():
        raise InvalidRequest(
            f"the files of release {Path(files.directory).name} are no longer on the host "
            f"({files.directory}); it was pruned (PLUGIN_KEEP_RELEASES={settings.keep_releases})"
        )
    env_text = host.run(commands.read_file(files.env_file), quiet=True).stdout
    with tempfile.TemporaryDirectory(prefix="alpha-rollback-") as temp:
        path = Path(temp) / commands.COMPOSE_FILE
        path.write_text(compose_text)
        if env_text:
            (Path(temp) / commands.ENV_FILE).write_text(env_text)
        try:
            return load_site(path, settings.compose_env)
        except ComposeLoadError as error:
            raise InvalidRequest(f"{files.compose_file} on the host: {error}") from None


def missing_images(images: list[str]) -> str:
    """Print each image that is not on the host, one a line."""
    script = 'for i in "$@"; do docker image inspect "$i" >/dev/null 2>&1 || echo "$i"; done'
    return commands.join(["sh", "-c", script, "sh", *images])


def ensure_images(
    host: Host,
    settings: Settings,
    files: commands.ReleaseFiles,
    target: Release,
    console: Console,
) -> None:
    """Use the images on the host; pull only the missing ones, or fail with nothing changed."""
    images = sorted(set(target.images.values()))
    missing = host.run(missing_images(images), quiet=True).stdout.split()
    if not missing:
        console.ok(f"all {len(images)} image(s) are on the host; the registry is not contacted")
        return
    console.warn(f"not on the host any more: {', '.join(missing)}; pulling them")
    try:
        release.pull(host, files, settings, console)
    except HostError as error:
        raise HostError(
            f"release {target.id} cannot be restored: its images are gone from the host and "
            f"the registry did not supply them ({error})"
        ) from None


@dataclass(kw_only=True)
class Rollback(Deploy):
    """A deploy of a kept release: its staged files, the same rollout, gate and restore."""

    files: commands.ReleaseFiles
    target: Release

    def run(self) -> None:
        previous = self.read_previous()
        back = Release(
            id=self.target.id,
            images=dict(self.target.images),
            has_env=self.target.has_env,
            created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            pipeline=release.pipeline_info(),
        )
        for service, image in sorted(back.images.items()):
            self.console.info(f"{service}: {image}")
        self.cancel.check()
        with self.cancel.deferring():
            self.roll_out(self.files, back, previous)

    def discard(self, files: commands.ReleaseFiles) -> None:
        """A failed rollback keeps the release's files: it was good once and may be again."""


# --- status -------------------------------------------------------------------
def show_status(host: Host, settings: Settings, console: Console, report: Report) -> None:
    """Print what the site serves, since when, its replicas' health and recent history."""
    current = release.read_current(host, settings)
    report.release_before = report.release_after = current.to_dict() if current else None
    show_current(current, console)
    show_replicas(host, settings, console)
    show_history(host, settings, console)


def age(created_at: str, now: datetime | None = None) -> str:
    try:
        then = datetime.strptime(created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "unknown age"
    seconds = int(((now or datetime.now(UTC)) - then).total_seconds())
    days, rest = divmod(max(0, seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = (
        [f"{days}d"] * bool(days) + [f"{hours}h"] * bool(hours) + [f"{minutes}m"] * bool(minutes)
    )
    return " ".join(parts or [f"{seconds}s"])


def show_current(current: Release | None, console: Console) -> None:
    if current is None:
        console.phase("Serving", release="nothing recorded (no deploy by alpha-deploy yet)")
        return
    console.phase("Serving", release=current.id, since=current.created_at,
                  age=age(current.created_at))  # fmt: skip
    console.info(f"put there by {history.describe_pipeline(current.pipeline)}")
    for service, image in sorted(current.images.items()):
        console.info(f"{service}: {image}")


def show_replicas(host: Host, settings: Settings, console: Console) -> None:
    containers = sorted(list_site(host, settings.app), key=lambda c: (c.service, c.name))
    console.phase("Replicas", project=settings.app, containers=len(containers))
    for c in containers:
        health = c.health if c.health != "none" else "no healthcheck"
        console.info(f"{c.service}: {c.name} {c.short_id} {c.status}, {health}, {c.image}")


def show_history(host: Host, settings: Settings, console: Console) -> None:
    path = history.history_path(settings.site_dir)
    try:
        entries = history.read_history(host, settings.site_dir)
    except history.CorruptHistory as error:
        console.warn(f"{error}; the next deploy or rollback keeps it aside")
        return
    console.phase(
        "History", file=path, entries=len(entries), shown=min(len(entries), STATUS_ENTRIES)
    )
    for entry in entries[-STATUS_ENTRIES:]:
        console.info(history.summary(entry))
