"""Cancellation: what a SIGTERM (a cancelled pipeline) or Ctrl-C does to a run.

Before anything on the host changes, a signal ends the run at once. While a
rollout is under way, stopping in the middle could leave half a release
serving, so the signal only raises a flag; the rollout checks it between
steps and puts a complete release back before it exits.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from alpha_deploy.errors import ExitCode, Interrupted

EXIT_CODES = {signal.SIGTERM: ExitCode.TERMINATED, signal.SIGINT: ExitCode.INTERRUPTED}


class Cancellation:
    """Remembers the first signal and decides whether it interrupts now or later."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.deferred = False

    def install(self) -> Cancellation:
        for signum in EXIT_CODES:
            signal.signal(signum, self._handle)
        return self

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        first = self.signum is None
        self.signum = signum
        if first and not self.deferred:
            self.check()

    def error(self, state: str) -> Interrupted:
        name = signal.Signals(self.signum or signal.SIGTERM).name
        code = EXIT_CODES.get(signal.Signals(self.signum or signal.SIGTERM), ExitCode.TERMINATED)
        return Interrupted(f"cancelled by {name}; {state}", code)

    def check(self, state: str = "nothing on the host was changed") -> None:
        """Raise ``Interrupted`` if a signal arrived."""
        if self.requested:
            raise self.error(state)

    @contextmanager
    def deferring(self) -> Iterator[None]:
        """Inside this block a signal only sets the flag; the code checks it at safe points."""
        previous, self.deferred = self.deferred, True
        try:
            yield
        finally:
            self.deferred = previous
