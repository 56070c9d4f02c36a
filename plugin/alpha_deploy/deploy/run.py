"""The actions on the host, as phases: connect, lock, check across sites, release, roll out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from alpha_deploy.checking import check_across_sites, read_env_text, workspace_path
from alpha_deploy.compose import Site
from alpha_deploy.console import Console
from alpha_deploy.deploy import commands, drain, history, release
from alpha_deploy.deploy.lock import SiteLock
from alpha_deploy.deploy.probe import health_gate
from alpha_deploy.deploy.release import Release
from alpha_deploy.deploy.rollout import CommandFailedToRestore, Rollout, RolloutAbort
from alpha_deploy.errors import AlphaDeployError, RestoreFailed, RolloutFailed
from alpha_deploy.remote.host import CommandFailed, Host
from alpha_deploy.remote.ssh import connect
from alpha_deploy.report import Report
from alpha_deploy.settings import Settings
from alpha_deploy.signals import Cancellation


def act(
    settings: Settings, site: Site | None, console: Console, report: Report, cancel: Cancellation
) -> None:
    """Connect, lock the site (unless the action only reads), and carry out ``settings.action``."""
    from alpha_deploy.deploy.actions import run_other_action, show_status
    from alpha_deploy.deploy.prune import prune

    with connected(settings, console, report) as host:
        # check and status only read: no lock, so they write nothing and never wait
        if settings.action == "check":
            assert site is not None
            check_remote(host, settings, site, console, report)
        elif settings.action == "status":
            show_status(host, settings, console, report)
        elif settings.action == "deploy":
            assert site is not None
            with locked(host, settings, console, report):
                deploy = Deploy(host, settings, site, console, report, cancel)
                deploy.run()
                prune(host, settings, deploy.released, console)
        else:
            with locked(host, settings, console, report):
                run_other_action(host, settings, console, report, cancel)


@contextmanager
def connected(settings: Settings, console: Console, report: Report) -> Iterator[Host]:
    console.phase(
        "Connecting",
        target=f"{settings.user}@{settings.host}:{settings.port}",
        timeout=f"{settings.connect_timeout:g}s",
        pinned="known_hosts" if settings.known_hosts else "fingerprint",
    )
    with report.phase("connect"):
        connection = connect(settings, console)
    host = Host(connection, console, settings.command_timeout)
    console.ok("host key matches the pinned key")
    try:
        yield host
    finally:
        host.close()


@contextmanager
def locked(host: Host, settings: Settings, console: Console, report: Report) -> Iterator[None]:
    console.phase(
        "Locking the site",
        lock=f"{commands.state_dir(settings.site_dir)}/lock",
        timeout=f"{settings.lock_timeout:g}s",
    )
    lock = SiteLock(host, settings, console)
    with report.phase("lock"):
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def check_remote(
    host: Host, settings: Settings, site: Site, console: Console, report: Report
) -> None:
    with report.phase("check across sites"):
        check_across_sites(host, settings, site, console, report)


@dataclass
class Deploy:
    """One deploy of the site's compose file, from staging to the recorded release."""

    host: Host
    settings: Settings
    site: Site
    console: Console
    report: Report
    cancel: Cancellation
    started: float = field(default_factory=time.monotonic)
    released: str = ""  # the release id once it serves
    entries: list[dict[str, Any]] = field(default_factory=list)  # the history, as read

    def run(self) -> None:
        check_remote(self.host, self.settings, self.site, self.console, self.report)
        previous = self.read_previous()
        new = self.new_release()
        files = self.stage(new)
        self.pull_and_pin(files, new)
        self.cancel.check()
        with self.cancel.deferring():
            self.roll_out(files, new, previous)

    def read_previous(self) -> Release | None:
        self.entries = self.read_history()
        current = release.read_current(self.host, self.settings)
        self.report.release_before = current.to_dict() if current else None
        self.console.info(
            "serving now: "
            + (
                describe(current)
                if current
                else "nothing recorded (first deploy with alpha-deploy)"
            )
        )
        return current

    def read_history(self) -> list[dict[str, Any]]:
        return history.read_or_keep_aside(self.host, self.settings.site_dir, self.console)

    def new_release(self) -> Release:
        images = release.wanted_images(self.site, self.settings)
        return Release(
            id=release.new_release_id(self.settings),
            images=images,
            has_env=self.settings.env_file is not None,
            created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            pipeline=release.pipeline_info(),
            health_tests=drain.health_tests(self.site, self.settings),
        )

    def stage(self, new: Release) -> commands.ReleaseFiles:
        self.console.phase(
            "Uploading the release",
            id=new.id,
            to=f"{commands.state_dir(self.settings.site_dir)}/releases/{new.id}",
        )
        with self.report.phase("upload"):
            compose_text = workspace_path(self.settings.compose_file).read_text()
            env_text = read_env_text(self.settings)
            return release.stage(self.host, self.settings, new, compose_text, env_text)

    def pull_and_pin(self, files: commands.ReleaseFiles, new: Release) -> None:
        self.console.phase(
            "Pulling images",
            images=len(set(new.images.values())),
            attempts=self.settings.pull_attempts,
        )
        with self.report.phase("pull"):
            try:
                release.pull(self.host, files, self.settings, self.console)
                release.pin(self.host, files, new, self.console)
            except BaseException:
                release.discard(self.host, files)
                raise
        for service, image in sorted(new.images.items()):
            self.console.info(f"{service}: {image}")

    def roll_out(
        self, files: commands.ReleaseFiles, new: Release, previous: Release | None
    ) -> None:
        previous_files = self.previous_files(previous)
        rollout = Rollout(
            self.host,
            self.settings,
            self.site,
            files,
            previous_files,
            self.console,
            self.report,
            self.cancel,
            release_images=new.images,
        )
        try:
            with self.report.phase("rollout"):
                rollout.run()
        except (RolloutAbort, CommandFailed) as error:
            self.fail(rollout, files, new, str(error))
        try:
            self.complete(rollout, files, new)
        except CommandFailed as error:
            raise RestoreFailed(
                f"release {new.id} passed the health gate and serves, but finishing it failed "
                f"({error}); {self.settings.site_dir} may still hold the previous release's "
                "files: check `docker compose ps` there and deploy again"
            ) from None

    def previous_files(self, previous: Release | None) -> commands.ReleaseFiles | None:
        has_env = previous.has_env if previous else False
        return commands.current(self.settings.app, self.settings.site_dir, has_env)

    def complete(self, rollout: Rollout, files: commands.ReleaseFiles, new: Release) -> None:
        with self.report.phase("finish"):
            rollout.remove_old()
            release.activate(self.host, self.settings, files, new)
            self.host.run(
                commands.up_all(
                    commands.current(self.settings.app, self.settings.site_dir, new.has_env),
                    "--no-recreate",
                    "--remove-orphans",
                )
            )
            self.record(new, "deployed")
        self.released = new.id
        self.report.release_after = new.to_dict()
        self.console.ok(f"released {new.id} in {time.monotonic() - self.started:.1f}s")
        if self.cancel.requested:
            raise self.cancel.error("the new release was already healthy and is complete")

    def fail(
        self, rollout: Rollout, files: commands.ReleaseFiles, new: Release, reason: str
    ) -> None:
        self.console.error(f"rollout of {new.id} failed: {reason}")
        with self.report.phase("restore"):
            state = self.restore(rollout)
        self.discard(files)
        self.record(new, "failed", reason)
        self.report.release_after = self.report.release_before
        if self.cancel.requested:
            raise self.cancel.error(state)
        raise RolloutFailed(f"{reason}; {state}")

    def discard(self, files: commands.ReleaseFiles) -> None:
        release.discard(self.host, files)

    def restore(self, rollout: Rollout) -> str:
        if not self.settings.rollback:
            return "rollback is off (PLUGIN_ROLLBACK=false): the failed release was left as is"
        try:
            state = rollout.restore()
            self.confirm_restored(rollout)
        except (CommandFailed, CommandFailedToRestore) as error:
            raise RestoreFailed(
                f"the previous release could not be restored ({error}); the site may be "
                "serving nothing or a mix of releases: run `docker compose ps` in "
                f"{self.settings.site_dir} and redeploy a known good release"
            ) from None
        self.console.ok(state)
        return state

    def confirm_restored(self, rollout: Rollout) -> None:
        if not rollout.before or not self.site.domains():
            return
        self.console.phase("Confirming the previous release through Traefik")
        gate = health_gate(
            self.settings,
            self.site.domains(),
            self.console,
            lambda: False,
            timeout=min(self.settings.health_timeout, 60),
        )
        if not gate.healthy:
            raise CommandFailedToRestore(f"it is up but {gate.reason}")

    def record(self, new: Release, outcome: str, reason: str = "") -> None:
        entry = {
            **new.to_dict(),
            "outcome": outcome,
            "action": self.settings.action,
            "reason": reason,
            "seconds": round(time.monotonic() - self.started, 1),
        }
        try:
            history.append(self.host, self.settings.site_dir, entry, self.entries)
        except AlphaDeployError as error:
            self.console.warn(f"could not write the release history: {error}")


def describe(current: Release) -> str:
    images = ", ".join(f"{s}={i}" for s, i in sorted(current.images.items()))
    return f"{current.id} ({images})"
