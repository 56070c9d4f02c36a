"""The docs agree with the code: settings table, examples, exit codes and report fields."""

import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from alpha_deploy import docs_table
from alpha_deploy.config import load_settings
from alpha_deploy.errors import ExitCode
from alpha_deploy.findings import Finding
from alpha_deploy.report import Phase, Report

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "docs.md"
REPORT_DOCS = ROOT / "docs" / "report.md"
README = ROOT / "README.md"
SAMPLES = {"CI_COMMIT_SHA": "3f2c1a9e" * 5, "DEPLOY_TAG": "v1.4.2", "CI_COMMIT_TAG": "v1.4.2"}
FRONT_MATTER = {
    "name",
    "description",
    "author",
    "tags",
    "containerImage",
    "containerImageUrl",
    "url",
}


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def step_settings(pipeline: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    steps = pipeline.get("steps") or []
    steps = steps.values() if isinstance(steps, dict) else steps
    return [step["settings"] for step in steps if "settings" in step]


def yaml_examples(substitute: Callable[[str, Mapping[str, str]], str]) -> list[Mapping[str, Any]]:
    blocks = code_blocks(DOCS.read_text(), "yaml")
    return [
        s for block in blocks for s in step_settings(yaml.safe_load(substitute(block, SAMPLES)))
    ]


def apply_env(monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str]) -> None:
    for name in [n for n in list(__import__("os").environ) if n.startswith("PLUGIN_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def documented_keys(text: str) -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))


def test_settings_table_matches_the_model() -> None:
    """The generated table in docs/docs.md is what the settings model produces today."""
    text = DOCS.read_text()

    assert docs_table.with_table(text) == text, (
        "run: .venv/bin/python -m alpha_deploy.docs_table --write docs/docs.md"
    )


def test_every_setting_is_in_the_table() -> None:
    """Each field of the settings model has a row with a description."""
    from alpha_deploy.settings import Settings

    rows = documented_keys(DOCS.read_text())

    assert set(Settings.model_fields) <= rows
    assert all(field.description for field in Settings.model_fields.values())


def test_check_mode_fails_on_a_stale_table(tmp_path: Path) -> None:
    """`docs_table --check` exits 1 when the table drifted from the model."""
    stale = tmp_path / "docs.md"
    stale.write_text(DOCS.read_text().replace("| `port` | `22` |", "| `port` | `2222` |"))

    completed = subprocess.run(
        [sys.executable, "-m", "alpha_deploy.docs_table", "--check", str(stale)],
        capture_output=True,
        text=True,
    )

    assert completed.returncode == 1
    assert "stale" in completed.stdout


def test_front_matter_has_the_plugin_index_fields() -> None:
    """docs.md starts with front matter naming the plugin and its image."""
    text = DOCS.read_text()

    front = yaml.safe_load(text.split("---\n")[1])

    assert set(front) >= FRONT_MATTER
    assert front["containerImage"] == "mintel/alpha-deploy"


def test_examples_cover_push_manual_and_pull_request(substitute_vars) -> None:
    """The docs show a deploy on push, a manual deploy of ${DEPLOY_TAG} and a checking dry run."""
    text = DOCS.read_text()

    examples = yaml_examples(substitute_vars)

    assert len(examples) >= 3
    assert "event: manual" in text and "${DEPLOY_TAG}" in text and "from_secret" in text
    assert any(example.get("tag") == SAMPLES["DEPLOY_TAG"] for example in examples)


@pytest.mark.parametrize("index", range(3))
def test_yaml_example_settings_parse(
    monkeypatch: pytest.MonkeyPatch, encode, substitute_vars, index: int
) -> None:
    """Each pipeline example, encoded the way Woodpecker does, is valid for the settings model."""
    example = yaml_examples(substitute_vars)[index]
    env = encode(example)
    apply_env(monkeypatch, env)

    settings, warnings = load_settings([], {"CI_REPO_NAME": "klz", **env})

    assert warnings == []
    assert settings.app == example.get("app", "klz")
    if "tag" in example:
        assert settings.tag == example["tag"]


def test_docker_run_example_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local `docker run` example sets only real settings, and they parse."""
    block = next(b for b in code_blocks(DOCS.read_text(), "sh") if "docker run" in b)
    env = dict(re.findall(r"-e (\w+)=(\S+)", block))
    apply_env(monkeypatch, {k: v for k, v in env.items() if k.startswith("PLUGIN_")})

    settings, warnings = load_settings([], env)

    assert warnings == []
    assert settings.dry_run is True
    assert settings.app == env["CI_REPO_NAME"]


@pytest.mark.parametrize("document", [DOCS, README], ids=["docs.md", "README.md"])
def test_exit_codes_are_documented(document: Path) -> None:
    """Every exit code of the ExitCode enum has a row in the exit code table."""
    rows = set(re.findall(r"^\| (\d+) \|", document.read_text(), flags=re.MULTILINE))

    assert {str(int(code)) for code in ExitCode} <= rows


def test_every_report_field_is_documented() -> None:
    """Each key the report writes, and each key of its nested objects, has a row in report.md."""
    from alpha_deploy.deploy.probe import DomainProbe, GateResult
    from alpha_deploy.deploy.release import Release

    written = set(Report().to_dict())
    written |= {f.name for f in fields(Phase)} | {f.name for f in fields(Finding)}
    written |= {f.name for f in fields(Release)}
    written |= set(GateResult(True, [DomainProbe("a.test")]).summary()[0])

    assert written - documented_keys(REPORT_DOCS.read_text()) == set()
