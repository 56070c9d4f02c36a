"""A loaded compose file: its services, its plain data and where each key was written."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from alpha_deploy.compose.service import Service
from alpha_deploy.compose.traefik_rule import RuleError, parse_rule
from alpha_deploy.compose.yamltree import Mark, Problem

_ROUTER_RULE = re.compile(r"traefik\.http\.routers\.[^.]+\.rule")
_PARENT = re.compile(r"(\[\d+\]|\.[^.\[]*)$")


@dataclass
class Site:
    """One site's compose file after anchors, merge keys and interpolation.

    ``problems`` holds what the loader noticed but Compose would not refuse
    outright (or what is still worth a finding, like duplicate keys); the
    checks turn them into findings.
    """

    file: str
    data: dict[str, Any]
    services: dict[str, Service]
    marks: dict[str, Mark] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def mark(self, path: str) -> Mark:
        """Line and column of ``path``, or of its nearest written parent; (1, 1) if none."""
        while path:
            found = self.marks.get(path)
            if found is not None:
                return found
            path = _PARENT.sub("", path) if _PARENT.search(path) else ""
        return (1, 1)

    def public_services(self) -> list[Service]:
        """Services Traefik routes to (``traefik.enable=true``), in file order."""
        return [service for service in self.services.values() if service.is_public]

    def domains(self) -> list[str]:
        """Every domain named by a ``Host()`` in every parsable router rule, sorted, unique."""
        return sorted({d for s in self.services.values() for d in rule_domains(s.labels)})


def rule_domains(labels: dict[str, str]) -> set[str]:
    """Domains in the parsable router rules of one set of labels."""
    domains: set[str] = set()
    for key, value in labels.items():
        if _ROUTER_RULE.fullmatch(key):
            try:
                domains.update(parse_rule(value).domains)
            except RuleError:
                continue
    return domains
