"""docs/rules.md documents exactly the rules in the registry, with their severities."""

from __future__ import annotations

import re
from pathlib import Path

from alpha_deploy.checks import RULES
from alpha_deploy.checks.catalogue import PUBLIC_ONLY

DOC = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
SECTION = re.compile(r"^### `([a-z0-9-]+)`\n\n\*\*Severity:\*\* (\w+)\.", re.MULTILINE)


def documented() -> dict[str, str]:
    """Rule id -> severity, as docs/rules.md states them."""
    return dict(SECTION.findall(DOC.read_text()))


def test_every_rule_is_documented_and_no_stale_ids() -> None:
    """Each registry id has a section in docs/rules.md and each section a registry id."""
    assert sorted(documented()) == sorted(RULES)


def test_documented_severities_match_the_registry() -> None:
    """The severity written in the docs is the one findings carry."""
    assert documented() == {rule.id: str(rule.severity) for rule in RULES.values()}


def test_every_rule_has_why_and_examples() -> None:
    """Each rule explains itself and shows a failing and a passing example."""
    for rule in RULES.values():
        assert rule.why and rule.bad_example and rule.good_example, rule.id
        assert rule.bad_example != rule.good_example, rule.id


def test_public_only_names_known_rules() -> None:
    """The list of public-only rules holds registry ids only."""
    assert set(PUBLIC_ONLY) - set(RULES) == set()


def test_speed_figure_is_written_down() -> None:
    """The docs give the benchmark figure under a Speed heading."""
    assert re.search(r"## Speed\n\n.*median \*\*\d+ ms\*\*", DOC.read_text(), re.DOTALL)
