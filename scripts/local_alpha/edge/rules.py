"""Traefik v3 router rules, as far as Alpha uses them: Host terms joined by `||`.

Traefik v3 takes exactly one domain per `Host`, quoted with backticks or double
quotes; ``Host(`a`,`b`)`` (v2 syntax, traefik#10116) and unquoted names are
errors there, so they are errors here. Anything else the edge does not
understand is refused too rather than guessed at.
"""

import re

TERM = re.compile(r"^\s*Host\s*\((?P<args>.*)\)\s*$", re.S)
QUOTED = re.compile(r"^\s*(`[^`]*`|\"[^\"]*\")\s*$")


class RuleError(ValueError):
    """A rule Traefik v3 (or this edge) rejects; the message says why."""


def parse_host_rule(rule: str) -> tuple[str, ...]:
    """The domains of a rule, lower case, or RuleError."""
    return tuple(_domain(term) for term in rule.split("||"))


def _domain(term: str) -> str:
    match = TERM.match(term)
    if match is None:
        raise RuleError(f"{term.strip()!r} is not a Host(`domain`) term this edge understands")
    args = match["args"]
    if "," in args:
        raise RuleError(
            f"Host({args.strip()}) lists several domains; Traefik v3 takes one per Host: "
            "Host(`a`) || Host(`b`)"
        )
    if not QUOTED.match(args):
        raise RuleError(f"Host({args.strip()}): the domain must be quoted, Host(`{args.strip()}`)")
    domain = args.strip()[1:-1].strip().lower()
    if not domain:
        raise RuleError("Host() with an empty domain")
    return domain
