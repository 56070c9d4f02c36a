"""The ``.env`` file format Compose reads: ``KEY=value`` lines, quotes, comments, ``export``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from alpha_deploy.compose.interpolation import TemplateError, interpolate

_ASSIGNMENT = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*(.*)\Z", re.DOTALL)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$$"}


class DotenvError(Exception):
    """A line of a dotenv file that Compose would refuse; ``line`` is 1-based."""

    def __init__(self, line: int, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True)
class _Line:
    number: int
    text: str


def parse_dotenv(text: str, environ: Mapping[str, str]) -> dict[str, str]:
    """Variables defined by a dotenv file; ``environ`` feeds ``${VAR}`` inside it."""
    values: dict[str, str] = {}
    lines = [_Line(n, t) for n, t in enumerate(text.splitlines(), start=1)]
    index = 0
    while index < len(lines):
        index = _parse_entry(lines, index, values, environ)
    return values


def _parse_entry(
    lines: list[_Line], index: int, values: dict[str, str], environ: Mapping[str, str]
) -> int:
    line = lines[index]
    stripped = line.text.strip()
    if not stripped or stripped.startswith("#"):
        return index + 1
    match = _ASSIGNMENT.match(line.text)
    if match is None:
        # Compose reads a bare `KEY` as "take it from the environment": nothing to store.
        if re.fullmatch(r"(?:export\s+)?[A-Za-z_][A-Za-z0-9_.\-]*", stripped):
            return index + 1
        raise DotenvError(line.number, f"cannot read {stripped[:40]!r}", "write KEY=value")
    key, raw = match.groups()
    value, index = _read_value(lines, index, raw)
    values[key] = _expand(value, line.number, {**values, **environ})
    return index + 1


def _read_value(lines: list[_Line], index: int, raw: str) -> tuple[str, int]:
    quote = raw[:1]
    if quote not in ("'", '"'):
        return _unquoted(raw), index
    start = lines[index].number
    body = raw[1:]
    while not _closes(body, quote):
        index += 1
        if index >= len(lines):
            raise DotenvError(
                start, f"the {quote} quote is never closed", f"add the closing {quote}"
            )
        body += "\n" + lines[index].text
    end = _closing_index(body, quote)
    inner = body[:end]
    if quote == "'":
        return inner.replace("$", "$$"), index
    return _unescape(inner), index


def _unquoted(raw: str) -> str:
    comment = re.search(r"\s#", raw)
    return (raw[: comment.start()] if comment else raw).strip()


def _closes(body: str, quote: str) -> bool:
    return _closing_index(body, quote) >= 0


def _closing_index(body: str, quote: str) -> int:
    index = 0
    while index < len(body):
        if body[index] == "\\" and quote == '"':
            index += 2
            continue
        if body[index] == quote:
            return index
        index += 1
    return -1


def _unescape(inner: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), inner)


def _expand(value: str, line: int, environ: Mapping[str, str]) -> str:
    try:
        return interpolate(value, environ).value
    except TemplateError as error:
        raise DotenvError(line, error.problem, error.fix) from error
