"""The Traefik v3 rule parser accepts what Traefik accepts and explains what it refuses."""

from __future__ import annotations

import pytest

from alpha_deploy.compose import RuleError, parse_rule, suggest_rule


@pytest.mark.parametrize(
    ("rule", "domains"),
    [
        ("Host(`a.com`)", ["a.com"]),
        ('Host("a.com") || Host(`www.a.com`)', ["a.com", "www.a.com"]),
        ("(Host(`a.com`) && PathPrefix(`/api`)) || !Method(`POST`)", ["a.com"]),
        ("Header(`X-A`, `b`) && Query(`q`)", []),
        ("HostRegexp(`^.+\\.a\\.com$`)", []),
    ],
)
def test_valid_rules_parse(rule: str, domains: list[str]) -> None:
    """Valid v3 rules parse and give their Host() domains."""
    assert parse_rule(rule).domains == domains


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("Host(a.com)", "is not quoted"),
        ("Host(`a.com`, `b.com`)", "exactly one domain"),
        ("Host(`a.com,b.com`)", "one bare domain"),
        ("Headers(`a`, `b`)", "Traefik v2"),
        ("Hots(`a.com`)", "unknown matcher"),
        ("Host(`a.com`) ||", "ends too early"),
        ("Host(`a.com`", "ends too early"),
        ("Host(`a.com)", "never closed"),
        ("Host(`a.com`) Host(`b.com`)", "unexpected"),
    ],
)
def test_invalid_rules_are_explained(rule: str, problem: str) -> None:
    """Rules Traefik v3 refuses raise RuleError saying why."""
    with pytest.raises(RuleError, match=problem):
        parse_rule(rule)


@pytest.mark.parametrize(
    ("rule", "suggestion"),
    [
        (
            "Host(klz-cables.com,www.klz-cables.com)",
            "Host(`klz-cables.com`) || Host(`www.klz-cables.com`)",
        ),
        (
            "Host(`a.com`,`b.com`) && PathPrefix(`/x`)",
            "(Host(`a.com`) || Host(`b.com`)) && PathPrefix(`/x`)",
        ),
        ("Host(`a.com,b.com`)", "Host(`a.com`) || Host(`b.com`)"),
    ],
)
def test_suggestion_rewrites_hosts_the_v3_way(rule: str, suggestion: str) -> None:
    """The suggested rule gives each domain its own Host() and keeps the rest."""
    assert suggest_rule(rule) == suggestion
