"""Shared fixtures: the CLI run as a process, and Woodpecker's encoding of `settings:`."""

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["alpha_host"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SITE = ROOT / "tests" / "examples" / "demo"
EXAMPLE_REGISTRY = "127.0.0.1:5000"
SECRET_PLACEHOLDER = "secret-from-woodpecker"


@dataclass
class Result:
    """A finished CLI run: exit code and the log (stdout and stderr as one, like Woodpecker)."""

    code: int
    output: str


def plain_environ(extra: Mapping[str, str | None]) -> dict[str, str]:
    """This environment minus PLUGIN_*/CI_*, with NO_COLOR=1, then extra (None unsets)."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PLUGIN_", "CI_")) and key not in ("CI", "NO_COLOR")
    }
    merged = {**base, "NO_COLOR": "1", **extra}
    return {key: value for key, value in merged.items() if value is not None}


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., Result]:
    """Run `python -m alpha_deploy ARGS` in a fresh process with only the given variables set."""

    def run(
        *args: str, env: Mapping[str, str | None] | None = None, cwd: Path | None = None
    ) -> Result:
        completed = subprocess.run(
            [sys.executable, "-m", "alpha_deploy", *args],
            env=plain_environ(env or {}),
            cwd=cwd or tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=60,
        )
        return Result(completed.returncode, completed.stdout)

    return run


@pytest.fixture
def example_env() -> dict[str, str]:
    """What Woodpecker sets for a dry run of the example site from its workspace."""
    return {
        "CI_WORKSPACE": str(EXAMPLE_SITE),
        "CI_REPO_NAME": "demo",
        "CI_PIPELINE_EVENT": "push",
        "PLUGIN_DRY_RUN": "true",
        "PLUGIN_REGISTRY": EXAMPLE_REGISTRY,
    }


# --- Woodpecker's encoding of `settings:` -----------------------------------

VARIABLE = re.compile(r"\$\{(\w+)\}")


def setting_variable(key: str) -> str:
    """`dry-run` and `dry.run` both become PLUGIN_DRY_RUN."""
    return "PLUGIN_" + re.sub(r"[-.]", "_", key).upper()


def substitute(text: str, samples: Mapping[str, str]) -> str:
    """Woodpecker's `${VAR}` substitution in the YAML, with sample values."""
    return VARIABLE.sub(lambda match: samples[match.group(1)], text)


def resolve_secrets(value: Any) -> Any:
    """`from_secret` may stand anywhere inside settings; it becomes the secret's value."""
    if isinstance(value, dict):
        if set(value) == {"from_secret"}:
            return SECRET_PLACEHOLDER
        return {key: resolve_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_secrets(item) for item in value]
    return value


def encode_value(value: Any) -> str:
    """One setting's value as the string Woodpecker puts in the environment."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) or (
        isinstance(value, list) and any(isinstance(item, dict | list) for item in value)
    ):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, list):
        return ",".join(encode_value(item) for item in value)
    return str(value)


def woodpecker_env(settings: Mapping[str, Any]) -> dict[str, str]:
    """The PLUGIN_* variables for a step's `settings:` (a null value sets nothing)."""
    return {
        setting_variable(key): encode_value(resolve_secrets(value))
        for key, value in settings.items()
        if value is not None
    }


@pytest.fixture
def encode() -> Callable[[Mapping[str, Any]], dict[str, str]]:
    """Woodpecker's encoding of a `settings:` mapping into PLUGIN_* variables."""
    return woodpecker_env


@pytest.fixture
def substitute_vars() -> Callable[[str, Mapping[str, str]], str]:
    """Woodpecker's `${VAR}` substitution in pipeline YAML, with given sample values."""
    return substitute
