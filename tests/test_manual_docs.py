"""docs/manual-pipelines.md: every example parses as Woodpecker would hand it over."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from alpha_deploy.config import load_settings
from test_docs import apply_env, code_blocks, step_settings

DOC = Path(__file__).resolve().parent.parent / "docs" / "manual-pipelines.md"
SAMPLES = {"DEPLOY_TAG": "v1.4.2", "RELEASE": "v1.4.1"}
EMPTY = dict.fromkeys(SAMPLES, "")


def pipelines() -> list[Mapping[str, Any]]:
    return [yaml.safe_load(block) for block in code_blocks(DOC.read_text(), "yaml")]


def examples(substitute_vars, samples: Mapping[str, str]) -> list[Mapping[str, Any]]:
    blocks = code_blocks(DOC.read_text(), "yaml")
    return [s for b in blocks for s in step_settings(yaml.safe_load(substitute_vars(b, samples)))]


def parsed(monkeypatch: pytest.MonkeyPatch, encode, settings: Mapping[str, Any]):
    env = encode(settings)
    apply_env(monkeypatch, env)
    return load_settings([], env)


def test_there_is_a_deploy_a_rollback_and_a_status_pipeline(substitute_vars) -> None:
    """The page shows the three manual pipelines: deploy a tag, roll back, status."""
    found = examples(substitute_vars, SAMPLES)

    assert [s.get("action", "deploy") for s in found] == ["deploy", "rollback", "status"]


def test_every_pipeline_runs_only_on_a_manual_event_for_its_own_action() -> None:
    """Each file runs on `event: manual` for its own ALPHA_ACTION only, never beside another."""
    gates = [p["when"][0] for p in pipelines()]

    assert [g["event"] for g in gates] == ["manual"] * 3
    assert [g["evaluate"] for g in gates] == [
        f'ALPHA_ACTION == "{action}"' for action in ("deploy", "rollback", "status")
    ]


@pytest.mark.parametrize("index", range(3))
def test_each_example_parses_with_the_variables_set(
    monkeypatch: pytest.MonkeyPatch, encode, substitute_vars, index: int
) -> None:
    """With DEPLOY_TAG and RELEASE given, each example's settings are valid and carry them."""
    example = examples(substitute_vars, SAMPLES)[index]

    settings, warnings = parsed(monkeypatch, encode, example)

    assert warnings == []
    assert settings.action == example.get("action", "deploy")
    assert settings.ssh_key is not None and settings.known_hosts
    if "tag" in example:
        assert settings.tag == SAMPLES["DEPLOY_TAG"]
    if "release" in example:
        assert settings.release == SAMPLES["RELEASE"]


def test_an_empty_release_means_the_one_before(
    monkeypatch: pytest.MonkeyPatch, encode, substitute_vars
) -> None:
    """Left empty, `release: ${RELEASE}` is YAML null: no PLUGIN_RELEASE, so the one before."""
    rollback = examples(substitute_vars, EMPTY)[1]

    settings, _ = parsed(monkeypatch, encode, rollback)

    assert "PLUGIN_RELEASE" not in encode(rollback)
    assert settings.action == "rollback" and settings.release is None


def test_the_page_says_which_secret_event_to_allow() -> None:
    """The secrets must be allowed for the manual event, and the page says where."""
    text = DOC.read_text()

    assert "tick **manual**" in text and "`push` event only" in text
    for secret in ("alpha_ssh_key", "alpha_known_hosts"):
        assert secret in text
