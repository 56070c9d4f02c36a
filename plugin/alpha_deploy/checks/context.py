"""The state one run of the checks shares: the site, the policy and the findings so far."""

from __future__ import annotations

from dataclasses import dataclass, field

from alpha_deploy.checks.catalogue import RULES
from alpha_deploy.checks.policy import Policy
from alpha_deploy.compose import Mark, Site
from alpha_deploy.findings import Finding


@dataclass
class Context:
    """Collects findings; each check calls ``report`` with a rule id and a key path."""

    site: Site
    policy: Policy
    findings: list[Finding] = field(default_factory=list)

    def report(self, rule: str, path: str, message: str, mark: Mark | None = None) -> None:
        line, column = mark or self.site.mark(path)
        severity = RULES[rule].severity
        finding = Finding(rule, severity, self.site.file, line, column, path, message)
        self.findings.append(finding)
