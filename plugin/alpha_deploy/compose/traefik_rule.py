"""Traefik v3 router rules: parse ``Host(`a`) || PathPrefix(`/b`)`` the way Traefik does.

Traefik refuses a router whose rule does not parse and then serves nothing for
it, so the checker must read rules with the same grammar: matchers take quoted
arguments (backticks or double quotes), ``Host`` takes exactly one domain, and
matchers combine with ``&&``, ``||``, ``!`` and parentheses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Matcher name -> (fewest, most) arguments, as Traefik v3's HTTP rule parser allows.
ARITY = {
    "Host": (1, 1),
    "HostRegexp": (1, 1),
    "Path": (1, 1),
    "PathPrefix": (1, 1),
    "PathRegexp": (1, 1),
    "Method": (1, 1),
    "Header": (2, 2),
    "HeaderRegexp": (2, 2),
    "Query": (1, 2),
    "QueryRegexp": (2, 2),
    "ClientIP": (1, 1),
}
_V2_NAMES = {"Headers": "Header", "HeadersRegexp": "HeaderRegexp"}
_TOKEN = re.compile(
    r"\s*(?:(?P<op>&&|\|\||[(),!])|(?P<quoted>`[^`]*`|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<name>[A-Za-z][A-Za-z0-9]*)(?=\s*\()|(?P<bare>[^\s(),`\"]+)|(?P<open>[`\"]))"
)


class RuleError(Exception):
    """The rule does not parse; the message says where and why."""


@dataclass
class ParsedRule:
    """What a rule matches on: its domains and every matcher it uses."""

    domains: list[str] = field(default_factory=list)
    matchers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def parse_rule(text: str) -> ParsedRule:
    """Parse ``text`` as a Traefik v3 HTTP rule, or raise RuleError."""
    parser = _Parser(_tokenize(text))
    parser.expression()
    parser.expect_end()
    return parser.parsed


def suggest_rule(text: str) -> str | None:
    """The rule with each ``Host(a, b)`` spelled the v3 way, if that makes it parse."""
    has_other_logic = bool(re.search(r"&&|!", text))

    def rewrite(match: re.Match[str]) -> str:
        domains = [d.strip().strip("`\"' ") for d in match.group(1).split(",")]
        hosts = " || ".join(f"Host(`{d}`)" for d in domains if d)
        return f"({hosts})" if has_other_logic and " || " in hosts else hosts

    suggestion = re.sub(r"\bHost\(([^)]*)\)", rewrite, text.strip())
    try:
        parse_rule(suggestion)
    except RuleError:
        return None
    return suggestion


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise RuleError(f"unexpected character at position {position + 1}")
        if match.lastgroup == "open":
            raise RuleError(f"the quote at position {match.start('open') + 1} is never closed")
        kind = match.lastgroup
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.parsed = ParsedRule()

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise RuleError("the rule ends too early")
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise RuleError(
                f"expected {text!r} at position {token.position + 1}, found {token.text!r}"
            )

    def expect_end(self) -> None:
        token = self.peek()
        if token is not None:
            raise RuleError(f"unexpected {token.text!r} at position {token.position + 1}")

    def expression(self) -> None:
        self.term()
        while self._next_is("||"):
            self.term()

    def term(self) -> None:
        self.factor()
        while self._next_is("&&"):
            self.factor()

    def _next_is(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "op" and token.text == text:
            self.index += 1
            return True
        return False

    def factor(self) -> None:
        if self._next_is("!"):
            self.factor()
        elif self._next_is("("):
            self.expression()
            self.expect(")")
        else:
            self.matcher()

    def matcher(self) -> None:
        token = self.take()
        if token.kind != "name":
            raise RuleError(
                f"expected a matcher such as Host(...) at position {token.position + 1}"
            )
        self.expect("(")
        arguments = self.arguments(token.text)
        self.check_matcher(token, arguments)

    def arguments(self, name: str) -> list[str]:
        values: list[str] = []
        if self._next_is(")"):
            return values
        while True:
            values.append(self.argument(name))
            if self._next_is(")"):
                return values
            self.expect(",")

    def argument(self, name: str) -> str:
        token = self.take()
        if token.kind == "bare":
            raise RuleError(f"{name}() argument {token.text!r} is not quoted; write `{token.text}`")
        if token.kind != "quoted":
            raise RuleError(
                f"expected a quoted argument to {name}() at position {token.position + 1}"
            )
        return token.text[1:-1]

    def check_matcher(self, token: _Token, arguments: list[str]) -> None:
        name = token.text
        if name in _V2_NAMES:
            raise RuleError(f"{name}() is Traefik v2; v3 calls it {_V2_NAMES[name]}()")
        if name not in ARITY:
            raise RuleError(f"unknown matcher {name}(); Traefik v3 knows {', '.join(ARITY)}")
        fewest, most = ARITY[name]
        if not fewest <= len(arguments) <= most:
            raise RuleError(_arity_problem(name, len(arguments), fewest, most))
        if name == "Host":
            self.parsed.domains.append(_domain(arguments[0]))
        self.parsed.matchers.append(name)


def _arity_problem(name: str, count: int, fewest: int, most: int) -> str:
    wanted = str(fewest) if fewest == most else f"{fewest} to {most}"
    if name == "Host" and count > 1:
        return "Host() takes exactly one domain in Traefik v3; join several with ||"
    return f"{name}() takes {wanted} argument(s), not {count}"


def _domain(value: str) -> str:
    domain = value.strip()
    if not domain or re.search(r"[\s,/:]", domain):
        raise RuleError(f"Host() needs one bare domain name, not {value!r}")
    return domain.lower()
