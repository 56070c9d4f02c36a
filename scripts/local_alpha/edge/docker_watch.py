"""Follow Docker the way Traefik's docker provider does.

Only the container events `start`, `die` and `health_status` cause a new
routing table; `stop`, `kill` and `pause` do not. Each such event schedules a
rebuild after the throttle (2 s, Traefik's providersThrottleDuration), and
events inside that window join the same rebuild. Traefik itself applies the
first change of a quiet period at once and then at most once per throttle; the
edge always waits, which is never kinder: a container that died keeps its
place in the table, and takes its 502s, for the whole throttle.
"""

import asyncio
import json
import logging
from collections.abc import Callable

from local_alpha.edge.config import Table, build_table

log = logging.getLogger("edge.docker")

REBUILD_ACTIONS = ("start", "die", "health_status")


def triggers_rebuild(action: str) -> bool:
    """Whether a container event action is one Traefik reacts to."""
    return action.split(":")[0].strip() in REBUILD_ACTIONS


class DockerWatch:
    """Keeps a routing table in step with Docker events, after a throttle."""

    def __init__(self, throttle_s: float, publish: Callable[[Table], None]) -> None:
        self.throttle_s = throttle_s
        self.publish = publish
        self._pending: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Follow the event stream forever, rebuilding after each reconnect."""
        while True:
            try:
                await self._follow_events()
            except (OSError, ValueError) as error:
                log.error("docker events failed: %s", error)
            await asyncio.sleep(1)
            await self.rebuild()

    async def _follow_events(self) -> None:
        events = await asyncio.create_subprocess_exec(
            "docker", "events", "--filter", "type=container", "--format", "{{json .}}",
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert events.stdout is not None
        async for line in events.stdout:
            self._on_event(json.loads(line))
        await events.wait()
        log.error("docker events exited %s", events.returncode)

    def _on_event(self, event: dict) -> None:
        action = event.get("Action") or event.get("status") or ""
        if not triggers_rebuild(action):
            return
        name = (event.get("Actor") or {}).get("Attributes", {}).get("name", event.get("id", "?"))
        log.info("event %s on %s", action, name)
        if self._pending is None:
            self._pending = asyncio.create_task(self._rebuild_after_throttle())

    async def _rebuild_after_throttle(self) -> None:
        await asyncio.sleep(self.throttle_s)
        # The window closes before the snapshot is taken: an event that arrives
        # while Docker is being inspected may not be in it, so it opens a new one.
        self._pending = None
        await self.rebuild()

    async def rebuild(self) -> None:
        """Inspect every running container and publish the table they define."""
        try:
            containers = await inspect_running()
        except (OSError, ValueError) as error:
            log.error("could not list containers: %s", error)
            return
        table = build_table(containers)
        self.publish(table)
        summary = ", ".join(
            f"{r.name}={len(r.service.servers)}" for r in table.routers
        )  # fmt: skip
        log.info("routing table: %s", summary or "no routers")


async def inspect_running() -> list[dict]:
    """`docker inspect` of every running container."""
    ids = (await _docker("ps", "-q", "--no-trunc")).split()
    if not ids:
        return []
    return json.loads(await _docker("inspect", *ids))


async def _docker(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        "docker", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    if process.returncode != 0 and not (args[0] == "inspect" and out.strip()):
        raise OSError(f"docker {args[0]} exited {process.returncode}: {err.decode().strip()}")
    return out.decode()
