"""The edge's throttle window, as logic: which events lead to which rebuilds."""

import asyncio

from local_alpha.edge.docker_watch import DockerWatch

THROTTLE_S = 0.05


class RecordingWatch(DockerWatch):
    """A watch whose rebuild records itself instead of inspecting Docker."""

    def __init__(self) -> None:
        super().__init__(THROTTLE_S, publish=lambda table: None)
        self.rebuilds = 0
        self.during_rebuild: list[dict] = []

    async def rebuild(self) -> None:
        self.rebuilds += 1
        for event in self.during_rebuild:
            self._on_event(event)
        self.during_rebuild = []
        await asyncio.sleep(0)


def health_event(name: str) -> dict:
    return {"Action": "health_status: healthy", "Actor": {"Attributes": {"name": name}}}


async def settle(watch: RecordingWatch) -> None:
    """Until no rebuild is pending or running, for at most a few windows."""
    deadline = asyncio.get_running_loop().time() + 20 * THROTTLE_S
    while asyncio.get_running_loop().time() < deadline:
        if watch._pending is None or watch._pending.done():
            return
        await asyncio.sleep(THROTTLE_S / 5)


def test_events_inside_one_window_make_one_rebuild() -> None:
    """Two events within the throttle are folded into a single rebuild after it."""

    async def scenario() -> int:
        watch = RecordingWatch()
        watch._on_event(health_event("web-1"))
        watch._on_event(health_event("web-2"))
        await settle(watch)
        return watch.rebuilds

    assert asyncio.run(scenario()) == 1


def test_event_during_the_snapshot_gets_a_rebuild_of_its_own() -> None:
    """An event that arrives while the table is being rebuilt is not lost: it opens a new window."""

    async def scenario() -> int:
        watch = RecordingWatch()
        watch.during_rebuild = [health_event("web-2")]
        watch._on_event(health_event("web-1"))
        await settle(watch)
        return watch.rebuilds

    assert asyncio.run(scenario()) == 2


def test_events_that_change_no_route_make_no_rebuild() -> None:
    """`stop`, `kill` and `pause` are not events Traefik reacts to."""

    async def scenario() -> int:
        watch = RecordingWatch()
        for action in ("stop", "kill", "pause"):
            watch._on_event({"Action": action, "Actor": {"Attributes": {"name": "web-1"}}})
        await settle(watch)
        return watch.rebuilds

    assert asyncio.run(scenario()) == 0
