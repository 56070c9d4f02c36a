"""The rollout: new replicas first, old ones only after the new ones serve.

``rolling`` (the default) starts the new replicas of every public service
beside the old ones, waits for their healthchecks, gives Traefik time to see
them, drains and stops the old replicas (kept, stopped, until the health gate
passes), then probes every domain through Traefik. Workers are replaced once
the public services are healthy. ``recreate`` replaces everything at once, as
plain compose does, but keeps the health gate and the rollback.

Any failure, or a cancellation, puts the previous release back before the
error leaves this module.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from alpha_deploy.compose import Service, Site
from alpha_deploy.console import Console
from alpha_deploy.deploy import commands, drain
from alpha_deploy.deploy.containers import Container, list_site, wait_healthy, wait_unrouted
from alpha_deploy.deploy.probe import GateResult, health_gate
from alpha_deploy.remote.host import Host
from alpha_deploy.report import Report
from alpha_deploy.settings import Settings
from alpha_deploy.signals import Cancellation


class RolloutAbort(Exception):
    """Internal: the rollout cannot go on; carries why, for the rollback and the report."""


@dataclass
class ServiceState:
    """One public service during the rollout: its old replicas and the new ones."""

    service: Service
    old: list[Container]
    new_ids: list[str] = field(default_factory=list)
    old_stopped: bool = False

    @property
    def name(self) -> str:
        return self.service.name

    @property
    def old_ids(self) -> list[str]:
        return [c.id for c in self.old]


def health_deadline(service: Service, settings: Settings) -> float:
    """Worst case for a healthcheck to pass, capped by ``health_timeout``."""
    check = service.healthcheck
    if check is None or check.disabled:
        return settings.health_timeout
    worst = check.start_period_s + (check.interval_s + check.timeout_s) * check.retries
    return min(worst + check.interval_s, settings.health_timeout)


def traefik_labels(labels: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in labels.items() if k.startswith("traefik.")}


@dataclass
class Rollout:
    host: Host
    settings: Settings
    site: Site
    files: commands.ReleaseFiles  # the staged release
    previous: commands.ReleaseFiles | None  # the serving release's files, if any
    console: Console
    report: Report
    cancel: Cancellation
    states: list[ServiceState] = field(default_factory=list)
    workers_replaced: bool = False
    before: list[Container] = field(default_factory=list)
    release_images: dict[str, str] = field(default_factory=dict)

    # --- the happy path -----------------------------------------------------
    def run(self) -> GateResult:
        """Roll out and pass the health gate, or raise ``RolloutAbort`` with the site unchanged."""
        self.before = list_site(self.host, self.settings.app)
        if self.settings.strategy == "recreate" or not self.running_before():
            self.replace_everything()
        else:
            self.start_first()
        gate = self.gate()
        self.replace_workers()
        return gate

    def running_before(self) -> list[Container]:
        return [c for c in self.before if c.status == "running"]

    def stopping(self) -> bool:
        return self.cancel.requested

    def checkpoint(self) -> None:
        if self.stopping():
            raise RolloutAbort("the run was cancelled")

    def start_first(self) -> None:
        publics = self.site.public_services()
        self.states = [ServiceState(s, self.old_replicas(s.name)) for s in publics]
        for state in self.states:
            self.start_new_replicas(state)
        for state in self.states:
            self.await_new_replicas(state)
        self.console.phase(
            "Letting Traefik see the new replicas",
            traefik_delay=f"{self.settings.traefik_delay:g}s",
        )
        self.pause(self.settings.traefik_delay)
        for state in self.states:
            self.retire_old_replicas(state)

    def old_replicas(self, service: str) -> list[Container]:
        return [c for c in self.before if c.service == service and c.status == "running"]

    def start_new_replicas(self, state: ServiceState) -> None:
        self.checkpoint()
        self.remove_leftovers(state.name)
        wanted = state.service.replicas
        self.warn_label_changes(state)
        self.console.phase(
            f"Starting {state.name}",
            new_replicas=wanted,
            beside_old=len(state.old),
            image=self.image_of(state.name),
        )
        self.host.run(commands.scale_up(self.files, state.name, len(state.old) + wanted))
        old = set(state.old_ids)
        state.new_ids = [
            c.id
            for c in list_site(self.host, self.settings.app)
            if c.service == state.name and c.id not in old
        ]
        self.console.info(f"new replicas: {', '.join(i[:12] for i in state.new_ids)}")

    def remove_leftovers(self, service: str) -> None:
        """Stopped replicas of an earlier run would be restarted by compose instead of new ones."""
        leftovers = [c.id for c in self.before if c.service == service and c.status != "running"]
        if leftovers:
            self.host.run(commands.remove(leftovers))

    def warn_label_changes(self, state: ServiceState) -> None:
        if state.old and traefik_labels(state.old[0].labels) != traefik_labels(
            state.service.labels
        ):
            self.console.warn(
                f"{state.name}: the Traefik labels change in this release; old and "
                "new replicas serve side by side with different router settings "
                "until the old ones stop"
            )

    def image_of(self, service: str) -> str:
        return self.release_images.get(service, "?")

    def await_new_replicas(self, state: ServiceState) -> None:
        deadline = health_deadline(state.service, self.settings)
        self.console.phase(
            f"Waiting for {state.name} to be healthy",
            replicas=len(state.new_ids),
            deadline=f"{deadline:.0f}s",
        )
        outcome = wait_healthy(self.host, state.new_ids, deadline, self.stopping)
        if not outcome.healthy:
            self.show_evidence(state.new_ids)
            raise RolloutAbort(f"{state.name}: {outcome.reason}")
        self.console.ok(f"{state.name}: {len(state.new_ids)} new replica(s) healthy")

    def retire_old_replicas(self, state: ServiceState) -> None:
        if not state.old:
            return
        self.checkpoint()
        grace = state.service.stop_grace_period_s
        how = self.drain_method(state)
        self.console.phase(
            f"Retiring old {state.name}", replicas=len(state.old), drain=how, grace=f"{grace:g}s"
        )
        state.old_stopped = True
        if how == "none":
            self.stop_one_by_one(state.old_ids, grace)
            return
        command = self.settings.drain_command or drain.drain_command()
        self.drain(state, command)
        self.host.run(commands.stop(state.old_ids, grace), timeout=grace + 60)

    def drain_method(self, state: ServiceState) -> str:
        """``drain_command``, the automatic drain file, or none (stop one at a time)."""
        if self.settings.drain_command:
            return "drain_command"
        if self.settings.auto_drain and all(drain.is_drainable(c.health_test) for c in state.old):
            return "auto"
        return "none"

    def stop_one_by_one(self, ids: Sequence[str], grace: float) -> None:
        """Without a drain, Traefik keeps a stopped replica until its throttle passes.

        Stopping the old replicas one at a time, each after Traefik has dropped
        the one before, keeps at most one dead server in the router, so a
        ``retry`` middleware always finds a live one on its next attempt.
        """
        for number, cid in enumerate(ids):
            if number:
                self.pause(self.settings.traefik_delay)
            self.host.run(commands.stop([cid], grace), timeout=grace + 60)

    def drain(self, state: ServiceState, command: str) -> None:
        """Make the old replicas leave the router before they get SIGTERM."""
        for cid in state.old_ids:
            result = self.host.run(commands.drain(cid, command), check=False)

            if not result.ok:
                self.console.warn(f"drain command failed in {cid[:12]}: {result.tail()}")
        deadline = health_deadline(state.service, self.settings)
        if not wait_unrouted(self.host, state.old_ids, deadline):
            self.console.warn(
                f"{state.name}: old replicas still healthy {deadline:.0f}s after the "
                "drain; stopping them anyway"
            )
        self.pause(self.settings.traefik_delay)

    def replace_everything(self) -> None:
        """``recreate``, or a first deploy: compose replaces every service, then we wait."""
        reason = "strategy recreate" if self.settings.strategy == "recreate" else "nothing runs yet"
        self.console.phase("Replacing every service", reason=reason)
        self.checkpoint()
        self.host.run(commands.up_all(self.files, "--remove-orphans"))
        self.await_services(list(self.site.services.values()))

    def await_services(self, services: list[Service]) -> None:
        """Wait for the containers compose just (re)created for ``services`` to be healthy."""
        after = list_site(self.host, self.settings.app)
        for service in services:
            ids = [
                c.id
                for c in after
                if c.service == service.name and c.status in ("running", "restarting")
            ]
            self.states.append(ServiceState(service, [], ids))
            self.await_new_replicas(self.states[-1])

    def gate(self) -> GateResult:
        domains = self.site.domains()
        self.console.phase(
            "Probing through Traefik",
            domains=len(domains),
            path=self.settings.health_path,
            timeout=f"{self.settings.health_timeout:.0f}s",
        )
        self.checkpoint()
        if not domains:
            self.console.warn("the site has no routed domain; only container health was checked")
            return GateResult(True, [])
        result = health_gate(self.settings, domains, self.console, self.stopping)
        self.report.health = result.summary()
        for probe in result.probes:
            self.console.info(f"{probe.domain}: {probe.last} ({probe.attempts} probe(s))")
        if not result.healthy:
            raise RolloutAbort(result.reason)
        return result

    def replace_workers(self) -> None:
        if self.settings.strategy == "recreate" or not self.running_before():
            return
        workers = [s for s in self.site.services.values() if not s.is_public]
        if not workers:
            return
        self.checkpoint()
        names = [w.name for w in workers]
        self.console.phase("Replacing workers", services=", ".join(names))
        self.workers_replaced = True
        self.host.run(commands.recreate(self.files, names))
        self.await_services(workers)

    def pause(self, seconds: float) -> None:
        """A deliberate wait for Traefik's throttle; ends early on cancellation."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.stopping():
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    # --- after the gate -----------------------------------------------------
    def remove_old(self) -> None:
        old = [cid for state in self.states for cid in state.old_ids]
        if old:
            self.host.run(commands.remove(old))
            self.console.ok(f"removed {len(old)} old replica(s)")

    # --- when it goes wrong -------------------------------------------------
    def show_evidence(self, ids: Sequence[str]) -> None:
        for cid in ids:
            result = self.host.run(commands.container_evidence(cid), check=False, quiet=True)
            self.console.info(f"--- evidence of {cid[:12]} (health log, last 50 log lines) ---")
            for line in result.stdout.strip().splitlines()[-60:]:
                self.console.info(f"  {line}")

    def restore(self) -> str:
        """Bring the previous release back; return what the site serves now."""
        if not self.before:
            self.remove_new()
            return (
                "this was the first deploy of the site: there is no earlier release to "
                "restore, and the failed release was removed"
            )
        if self.settings.strategy == "recreate" or not self.states_with_old():
            return self.restore_by_compose()
        self.restart_old()
        self.remove_new()
        if self.workers_replaced and self.previous is not None:
            self.host.run(commands.up_all(self.previous, "--no-deps", *self.worker_names()))
        return "the previous release serves again"

    def states_with_old(self) -> list[ServiceState]:
        return [s for s in self.states if s.old]

    def worker_names(self) -> list[str]:
        return [s.name for s in self.site.services.values() if not s.is_public]

    def restart_old(self) -> None:
        stopped = [cid for s in self.states if s.old_stopped for cid in s.old_ids]
        if not stopped:
            return
        self.console.phase("Restarting the old replicas", replicas=len(stopped))
        self.host.run(commands.start(stopped))
        for container in (c for s in self.states if s.old_stopped for c in s.old):
            if drain.is_drainable(container.health_test):
                self.host.run(commands.drain(container.id, drain.undrain_command()), check=False)
        outcome = wait_healthy(self.host, stopped, self.settings.health_timeout, lambda: False)
        if not outcome.healthy:
            raise CommandFailedToRestore(outcome.reason)
        self.pause_uninterruptible(self.settings.traefik_delay)

    def pause_uninterruptible(self, seconds: float) -> None:
        time.sleep(seconds)

    def remove_new(self) -> None:
        new = [cid for s in self.states for cid in s.new_ids]
        if new:
            self.console.info(f"removing {len(new)} replica(s) of the failed release")
            self.host.run(commands.remove(new))

    def restore_by_compose(self) -> str:
        if self.previous is None:
            raise CommandFailedToRestore("the previous release's files are not on the host")
        self.console.phase("Recreating the previous release", files=self.previous.directory)
        self.host.run(commands.up_all(self.previous, "--remove-orphans"))
        running = [c.id for c in list_site(self.host, self.settings.app) if c.status == "running"]
        outcome = wait_healthy(self.host, running, self.settings.health_timeout, lambda: False)
        if not outcome.healthy:
            raise CommandFailedToRestore(outcome.reason)
        return "the previous release serves again"


class CommandFailedToRestore(Exception):
    """Internal: the previous release did not come back."""
