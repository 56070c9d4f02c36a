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


def event(action: str, name: str) -> dict:
    return {"Action": action, "Actor": {"Attributes": {"name": name}}}


HEALTHY = "health_status: healthy"


def rebuilds_after(events: list[dict], during_rebuild: list[dict] | None = None) -> int:
    """How many rebuilds the events cause, once every window they open has closed."""

    async def scenario() -> int:
        watch = RecordingWatch()
        watch.during_rebuild = during_rebuild or []
        for item in events:
            watch._on_event(item)
        await settle(watch)
        return watch.rebuilds

    return asyncio.run(scenario())


async def settle(watch: RecordingWatch) -> None:
    """Until no rebuild is pending or running, for at most a few windows."""
    deadline = asyncio.get_running_loop().time() + 20 * THROTTLE_S
    while asyncio.get_running_loop().time() < deadline:
        if watch._pending is None or watch._pending.done():
            return
        await asyncio.sleep(THROTTLE_S / 5)


def test_events_inside_one_window_make_one_rebuild() -> None:
    """Two events within the throttle are folded into a single rebuild after it."""
    assert rebuilds_after([event(HEALTHY, "web-1"), event(HEALTHY, "web-2")]) == 1


def test_event_during_the_snapshot_gets_a_rebuild_of_its_own() -> None:
    """An event that arrives while the table is being rebuilt is not lost: it opens a new window."""
    late = [event(HEALTHY, "web-2")]

    assert rebuilds_after([event(HEALTHY, "web-1")], during_rebuild=late) == 2


def test_events_that_change_no_route_make_no_rebuild() -> None:
    """`stop`, `kill` and `pause` are not events Traefik reacts to."""
    ignored = [event(action, "web-1") for action in ("stop", "kill", "pause")]

    assert rebuilds_after(ignored) == 0
