"""The site's containers on the host, and waiting for their health."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from alpha_deploy.deploy import commands
from alpha_deploy.remote.host import Host

POLL_SECONDS = 0.5


@dataclass
class Container:
    id: str
    name: str
    service: str
    status: str  # running, exited, created, ...
    health: str  # healthy, unhealthy, starting, or none (no healthcheck)
    image: str
    image_id: str
    labels: dict[str, str]
    health_test: list[str]

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def serving(self) -> bool:
        """Whether Traefik would route to it: running, and healthy or without healthcheck."""
        return self.status == "running" and self.health in ("healthy", "none")


def parse_inspect(text: str) -> list[Container]:
    return [from_inspect(item) for item in json.loads(text or "[]")]


def from_inspect(item: dict[str, Any]) -> Container:
    state = item.get("State") or {}
    labels = (item.get("Config") or {}).get("Labels") or {}
    health = (state.get("Health") or {}).get("Status", "none")
    return Container(
        id=item["Id"],
        name=item.get("Name", "").lstrip("/"),
        service=labels.get("com.docker.compose.service", ""),
        status=state.get("Status", "unknown"),
        health=health,
        image=(item.get("Config") or {}).get("Image", ""),
        image_id=item.get("Image", ""),
        labels=dict(labels),
        health_test=list(((item.get("Config") or {}).get("Healthcheck") or {}).get("Test") or []),
    )


def list_site(host: Host, app: str) -> list[Container]:
    return parse_inspect(host.run(commands.list_containers(app), quiet=True).stdout)


def states(host: Host, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``id -> (status, health)``; a container that vanished counts as ``gone``."""
    result = host.run(commands.health_states(ids), check=False, quiet=True)
    found = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            found[parts[0]] = (parts[1], parts[2])
    return {cid: found.get(cid, ("gone", "none")) for cid in ids}


@dataclass
class HealthWait:
    """Outcome of waiting for containers: all healthy, or the first that failed and why."""

    healthy: bool
    reason: str = ""
    failed: str | None = None


def wait_healthy(
    host: Host, ids: Sequence[str], deadline_s: float, should_stop: Callable[[], bool]
) -> HealthWait:
    """Poll until every container is healthy; fail fast on ``unhealthy`` or an exit."""
    deadline = time.monotonic() + deadline_s
    while True:
        current = states(host, ids)
        failure = first_failure(current)
        if failure:
            return failure
        if all(is_up(status, health) for status, health in current.values()):
            return HealthWait(True)
        if should_stop():
            return HealthWait(False, "the run was cancelled")
        if time.monotonic() >= deadline:
            waiting = [cid[:12] for cid, state in current.items() if not is_up(*state)]
            return HealthWait(
                False,
                f"not healthy after {deadline_s:.0f}s: {', '.join(waiting)}",
                failed=waiting[0] if waiting else None,
            )
        time.sleep(POLL_SECONDS)


def is_up(status: str, health: str) -> bool:
    return status == "running" and health in ("healthy", "none")


def first_failure(current: dict[str, tuple[str, str]]) -> HealthWait | None:
    for cid, (status, health) in current.items():
        if health == "unhealthy":
            return HealthWait(False, f"container {cid[:12]} is unhealthy", failed=cid)
        if status in ("exited", "dead", "gone"):
            return HealthWait(False, f"container {cid[:12]} {status}", failed=cid)
    return None


def wait_unrouted(host: Host, ids: Sequence[str], deadline_s: float) -> bool:
    """After a drain command: wait until Traefik would stop routing to these containers."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if not any(is_up(*state) for state in states(host, ids).values()):
            return True
        time.sleep(POLL_SECONDS)
    return False
