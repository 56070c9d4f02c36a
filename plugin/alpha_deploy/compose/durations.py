"""Compose durations (``1m30s``, ``5s``, ``1h``), as Go's ``time.ParseDuration`` reads them."""

from __future__ import annotations

import re

_UNIT_SECONDS = {
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 1e-3,
    "us": 1e-6,
    "µs": 1e-6,
    "ns": 1e-9,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)")


def parse_duration(value: object) -> float | None:
    """Seconds in ``value``, or None when it is not a duration Compose accepts.

    A bare number counts as seconds: Compose's schema allows it for some fields
    and no user means nanoseconds by it.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    return _parse_text(value.strip())


def _parse_text(text: str) -> float | None:
    if text == "0":
        return 0.0
    parts = _PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
