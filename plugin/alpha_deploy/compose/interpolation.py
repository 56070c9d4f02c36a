"""``${VAR}`` interpolation as Compose does it, including ``$$`` escapes and nesting.

Supported: ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
``${VAR:?message}``, ``${VAR?message}``, ``${VAR:+other}``, ``${VAR+other}``.
The colon forms treat an empty value like an unset one. Defaults may hold
further ``${...}``; they are only expanded when used, as in Compose.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


class TemplateError(Exception):
    """A ``${...}`` that cannot be expanded; ``problem`` and ``fix`` complete the message."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


@dataclass
class Expansion:
    """The result of one interpolation, with the variables that were not set."""

    value: str
    unset: list[str] = field(default_factory=list)


def interpolate(text: str, environ: Mapping[str, str]) -> Expansion:
    """Expand every ``$`` reference in ``text`` from ``environ``."""
    if "$" not in text:
        return Expansion(text)
    scanner = _Scanner(text, environ)
    value = scanner.expand_until(stop_at_brace=False, active=True)
    return Expansion(value, scanner.unset)


class _Scanner:
    def __init__(self, text: str, environ: Mapping[str, str]) -> None:
        self.text = text
        self.environ = environ
        self.pos = 0
        self.unset: list[str] = []

    def expand_until(self, *, stop_at_brace: bool, active: bool) -> str:
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if stop_at_brace and char == "}":
                return "".join(out)
            if char == "$":
                out.append(self._reference(active))
            else:
                out.append(char)
                self.pos += 1
        if stop_at_brace:
            raise _invalid(self.text, "has a `${` without its closing `}`")
        return "".join(out)

    def _reference(self, active: bool) -> str:
        following = self.text[self.pos + 1 : self.pos + 2]
        if following == "$":
            self.pos += 2
            return "$"
        if following == "{":
            self.pos += 2
            return self._braced(active)
        match = _NAME.match(self.text, self.pos + 1)
        if match is None:
            # Compose keeps a lone `$` (e.g. "costs 5$") as it is.
            self.pos += 1
            return "$"
        self.pos = match.end()
        return self._plain(match.group(), active)

    def _plain(self, name: str, active: bool) -> str:
        value = self.environ.get(name)
        if value is None:
            if active:
                self.unset.append(name)
            return ""
        return value

    def _braced(self, active: bool) -> str:
        match = _NAME.match(self.text, self.pos)
        if match is None:
            raise _invalid(self.text, "has `${` without a variable name after it")
        name = match.group()
        self.pos = match.end()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return self._plain(name, active)
        operator = next((op for op in _OPERATORS if self.text.startswith(op, self.pos)), None)
        if operator is None:
            raise _invalid(self.text, f"has an unknown operator after `${{{name}`")
        self.pos += len(operator)
        return self._apply(name, operator, active)

    def _apply(self, name: str, operator: str, active: bool) -> str:
        value = self.environ.get(name)
        is_set = value is not None and (value != "" or not operator.startswith(":"))
        kind = operator[-1]
        use_word = (kind == "-" and not is_set) or (kind == "+" and is_set)
        word = self.expand_until(stop_at_brace=True, active=active and (use_word or kind == "?"))
        self.pos += 1  # the closing brace
        if kind == "?" and not is_set and active:
            raise _missing(name, word)
        if use_word:
            return word
        if kind == "+":
            return ""
        return value or ""


def _invalid(text: str, what: str) -> TemplateError:
    return TemplateError(
        f"invalid interpolation {text!r}: it {what}",
        "write ${NAME}, ${NAME:-default} or ${NAME:?message}, and $$ for a literal $",
    )


def _missing(name: str, message: str) -> TemplateError:
    said = f" ({message})" if message else ""
    return TemplateError(
        f"required variable {name} is not set{said}",
        f"set {name} in the environment or in the .env file beside the compose file",
    )
