"""What the plugin prints: one stable line per phase, the values in force, no noise.

Woodpecker shows stdout and stderr as one log and renders ANSI colours, so
colour is on in CI and on terminals, and off when ``NO_COLOR`` is set.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

RESET = "\033[0m"
COLOURS = {
    "phase": "\033[1;36m",
    "ok": "\033[32m",
    "warn": "\033[33m",
    "error": "\033[1;31m",
    "dim": "\033[2m",
}


def wants_colour(stream: TextIO, environ: Mapping[str, str]) -> bool:
    if "NO_COLOR" in environ:
        return False
    if environ.get("CI") == "woodpecker" or "CI_PIPELINE_NUMBER" in environ:
        return True
    return stream.isatty()


def format_values(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in values.items() if value is not None)


class Console:
    """Writes the run's log lines, unbuffered, to one stream."""

    def __init__(
        self,
        stream: TextIO | None = None,
        environ: Mapping[str, str] | None = None,
        debug: bool = False,
    ) -> None:
        self.stream = stream or sys.stdout
        self.colour = wants_colour(self.stream, os.environ if environ is None else environ)
        self.debug_enabled = debug

    def _write(self, kind: str, text: str) -> None:
        if self.colour and kind in COLOURS:
            text = f"{COLOURS[kind]}{text}{RESET}"
        self.stream.write(text + "\n")
        self.stream.flush()

    def phase(self, title: str, **values: Any) -> None:
        """Announce a phase: ``--> Rolling out web (replicas 2, timeout 120s)``."""
        details = format_values(values)
        self._write("phase", f"--> {title}" + (f" ({details})" if details else ""))

    def info(self, text: str) -> None:
        self._write("info", f"    {text}")

    def ok(self, text: str) -> None:
        self._write("ok", f"    {text}")

    def warn(self, text: str) -> None:
        self._write("warn", f"warning: {text}")

    def error(self, text: str) -> None:
        self._write("error", f"error: {text}")

    def debug(self, text: str) -> None:
        if self.debug_enabled:
            self._write("dim", f"    [debug] {text}")
