"""Each rule fires exactly on the lines its fixture marks with ``# <- rule-id``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alpha_deploy.checks import RULES, Policy, SiteClaims, check_site
from alpha_deploy.compose import load_site
from alpha_deploy.findings import Finding

FIXTURES = Path(__file__).parent / "fixtures" / "compose"
BAD = sorted((FIXTURES / "bad").glob("*.yml"))
MARKER = re.compile(r"# <- ([a-z0-9 -]+)$")
POLICY = Policy(app="klz")
OTHER_SITE = SiteClaims(
    "shop",
    routers={"shop"},
    services={"shop"},
    domains={"shop.customer.de"},
    postgres_dbs={"shop"},
    redis_dbs={1},
)


def expected_lines(path: Path) -> dict[str, set[int]]:
    """Rule id -> the lines of ``path`` marked with it."""
    expected: dict[str, set[int]] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = MARKER.search(line)
        for rule in match.group(1).split() if match else []:
            expected.setdefault(rule, set()).add(number)
    return expected


def findings_for(path: Path) -> list[Finding]:
    site = load_site(path, {})
    return check_site(site, POLICY, [OTHER_SITE])


@pytest.mark.parametrize("fixture", BAD, ids=[p.stem for p in BAD])
def test_bad_fixture_fails_on_marked_lines(fixture: Path) -> None:
    """Every rule named in a fixture fires on exactly the lines marked with it."""
    expected = expected_lines(fixture)

    findings = findings_for(fixture)

    for rule, lines in expected.items():
        assert {f.line for f in findings if f.rule == rule} == lines, rule


def test_every_rule_has_a_failing_fixture() -> None:
    """The bad fixtures together mark every rule in the registry, and no unknown one."""
    marked = {rule for path in BAD for rule in expected_lines(path)}

    assert marked == set(RULES)


def test_good_site_passes_every_rule() -> None:
    """The good fixture follows every rule, so it gives no finding at all."""
    findings = findings_for(FIXTURES / "good" / "docker-compose.yml")

    assert [f.render() for f in findings] == []


def test_finding_carries_location_and_severity() -> None:
    """A finding names file, line, column, key path and the rule's severity."""
    fixture = FIXTURES / "bad" / "container-name.yml"

    [finding] = [f for f in findings_for(fixture) if f.rule == "container-name"]

    assert (finding.line, finding.column) == (5, 5)
    assert finding.path == "services.web.container_name"
    assert finding.severity == RULES["container-name"].severity
    assert finding.file == str(fixture)


def test_cheat_sheet_rule_message_shows_the_corrected_rule() -> None:
    """The cheat sheet's Host(a,b) is refused with the v3 rule to write instead."""
    fixture = FIXTURES / "bad" / "traefik-rule-syntax.yml"

    messages = [f.message for f in findings_for(fixture) if f.line == 6]

    assert any("Host(`klz-cables.com`) || Host(`www.klz-cables.com`)" in m for m in messages), (
        messages
    )


def test_wrong_names_suggest_the_app_prefix() -> None:
    """A router called `app` is an error that suggests `klz-app`."""
    fixture = FIXTURES / "bad" / "traefik-name-prefix.yml"

    messages = [f.message for f in findings_for(fixture) if f.rule == "traefik-name-prefix"]

    assert any("'klz-app'" in m for m in messages)


def test_database_messages_never_repeat_the_password() -> None:
    """URLs carry passwords, so findings about them must not echo the URL."""
    fixture = FIXTURES / "bad" / "postgres-url.yml"

    findings = findings_for(fixture)

    assert findings
    assert all("secret" not in f.message for f in findings)


def test_health_timeout_comes_from_the_policy() -> None:
    """The slow-healthcheck warning follows the policy's health timeout."""
    site = load_site(FIXTURES / "bad" / "healthcheck-slow.yml", {})

    relaxed = check_site(site, Policy(app="klz", health_timeout=600))

    assert "healthcheck-slow" not in {f.rule for f in relaxed}
