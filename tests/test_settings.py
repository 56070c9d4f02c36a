"""Settings as Woodpecker encodes them, flags over environment, and CI_* defaults."""

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from alpha_deploy.config import load_settings, unknown_variables
from alpha_deploy.errors import InvalidSettings

Encode = Callable[[Mapping[str, Any]], dict[str, str]]
BASE = {"CI_REPO_NAME": "demo"}


def load(env: Mapping[str, str], *flags: str) -> Any:
    settings, _ = load_settings(list(flags), {**BASE, **env})
    return settings


def test_string_settings_arrive_as_they_are(
    monkeypatch: pytest.MonkeyPatch, encode: Encode
) -> None:
    """A string setting reaches the model unchanged."""
    env = encode({"host": "alpha.example.net", "user": "release", "sites_dir": "/srv/sites"})
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    settings = load(env)

    assert (settings.host, settings.user, settings.sites_dir) == (
        "alpha.example.net",
        "release",
        "/srv/sites",
    )


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False)])
def test_booleans_arrive_as_true_or_false(
    monkeypatch: pytest.MonkeyPatch, encode: Encode, value: bool, expected: bool
) -> None:
    """Woodpecker writes YAML booleans as `true`/`false`, which the model reads back."""
    env = encode({"dry_run": value})
    monkeypatch.setenv("PLUGIN_DRY_RUN", env["PLUGIN_DRY_RUN"])

    settings = load(env)

    assert env["PLUGIN_DRY_RUN"] == str(value).lower()
    assert settings.dry_run is expected


def test_numbers_arrive_as_text(monkeypatch: pytest.MonkeyPatch, encode: Encode) -> None:
    """YAML numbers arrive as their text and become int and float settings."""
    env = encode({"port": 2222, "health_timeout": 90.5})
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    settings = load(env)

    assert (settings.port, settings.health_timeout) == (2222, 90.5)


def test_list_of_scalars_arrives_comma_joined(
    monkeypatch: pytest.MonkeyPatch, encode: Encode
) -> None:
    """A list of scalars is joined with commas and split back into a list."""
    env = encode({"ignore_rules": ["deploy-replicas", "own-database"]})
    monkeypatch.setenv("PLUGIN_IGNORE_RULES", env["PLUGIN_IGNORE_RULES"])

    settings = load(env)

    assert env["PLUGIN_IGNORE_RULES"] == "deploy-replicas,own-database"
    assert settings.ignore_rules == ["deploy-replicas", "own-database"]


def test_map_arrives_as_json(monkeypatch: pytest.MonkeyPatch, encode: Encode) -> None:
    """A map is JSON-encoded and parsed back into a dict, commas in values intact."""
    env = encode({"compose_env": {"SITE_DOMAIN": "a.com", "GREETING": "hello, world"}})
    monkeypatch.setenv("PLUGIN_COMPOSE_ENV", env["PLUGIN_COMPOSE_ENV"])

    settings = load(env)

    assert env["PLUGIN_COMPOSE_ENV"].startswith("{")
    assert settings.compose_env == {"SITE_DOMAIN": "a.com", "GREETING": "hello, world"}


def test_json_list_is_accepted_for_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """A list given as JSON (as Woodpecker does for nested lists) also parses."""
    monkeypatch.setenv("PLUGIN_IGNORE_RULES", '["deploy-replicas"]')

    settings = load({})

    assert settings.ignore_rules == ["deploy-replicas"]


@pytest.mark.parametrize("key", ["dry-run", "dry.run", "DRY_RUN", "dry_run"])
def test_dash_and_dot_keys_map_to_the_same_variable(
    monkeypatch: pytest.MonkeyPatch, encode: Encode, key: str
) -> None:
    """`dry-run`, `dry.run` and `dry_run` all reach the `dry_run` setting."""
    env = encode({key: True})
    monkeypatch.setenv("PLUGIN_DRY_RUN", env["PLUGIN_DRY_RUN"])

    settings = load(env)

    assert list(env) == ["PLUGIN_DRY_RUN"]
    assert settings.dry_run is True


def test_null_setting_sets_no_variable(encode: Encode) -> None:
    """A null value under settings sets no variable, so the default applies."""
    env = encode({"tag": None, "app": "demo"})

    assert env == {"PLUGIN_APP": "demo"}


def test_flags_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flag given on the command line beats the same setting from PLUGIN_*."""
    monkeypatch.setenv("PLUGIN_PORT", "2200")
    monkeypatch.setenv("PLUGIN_APP", "fromenv")
    monkeypatch.setenv("PLUGIN_DRY_RUN", "false")

    settings = load({}, "--port", "2222", "--app", "fromflag", "--dry-run")

    assert (settings.port, settings.app, settings.dry_run) == (2222, "fromflag", True)


def test_environment_applies_without_a_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a flag the PLUGIN_* value is used."""
    monkeypatch.setenv("PLUGIN_PORT", "2200")

    settings = load({}, "--app", "demo")

    assert settings.port == 2200


def test_app_defaults_to_the_repository_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without `app`, the site is named after CI_REPO_NAME."""
    monkeypatch.delenv("PLUGIN_APP", raising=False)

    settings, _ = load_settings([], {"CI_REPO_NAME": "klz"})

    assert settings.app == "klz"


def test_app_setting_beats_the_repository_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit `app` wins over CI_REPO_NAME."""
    monkeypatch.setenv("PLUGIN_APP", "shop")

    settings, _ = load_settings([], {"CI_REPO_NAME": "klz", "PLUGIN_APP": "shop"})

    assert settings.app == "shop"


def test_defaults_of_the_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    """The documented defaults hold: alpha.mintel.me:22 as deploy, sites in /opt/alpha/sites."""
    settings = load({})

    assert (settings.host, settings.port, settings.user) == ("alpha.mintel.me", 22, "deploy")
    assert settings.sites_dir == "/opt/alpha/sites"
    assert settings.compose_file == "docker-compose.yml"
    assert (settings.dry_run, settings.debug, settings.report_file) == (False, False, None)


def test_secrets_are_redacted_in_the_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings dump used by the report replaces secret values with ***."""
    monkeypatch.setenv("PLUGIN_SSH_KEY", "-----BEGIN KEY----- very secret")

    dumped = load({}).redacted()

    assert dumped["ssh_key"] == "***"
    assert "very secret" not in repr(dumped)
    assert "very secret" not in repr(load({}))


def test_secrets_have_no_flag() -> None:
    """A secret cannot be given as a flag, where `ps` would show it."""
    with pytest.raises(SystemExit):
        load_settings(["--ssh-key", "x"], BASE)


def test_unknown_variable_names_the_closest_setting() -> None:
    """A misspelt PLUGIN_* variable gets a warning suggesting the real setting."""
    warnings = unknown_variables({"PLUGIN_HEALTH_TIMOUT": "60", "PLUGIN_PORT": "22"})

    assert warnings == [
        "PLUGIN_HEALTH_TIMOUT is not a setting of alpha-deploy; did you mean `health_timeout`?"
    ]


def test_invalid_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad value raises InvalidSettings naming the PLUGIN_ variable and the fix."""
    monkeypatch.setenv("PLUGIN_PORT", "twenty-two")

    with pytest.raises(
        InvalidSettings, match=r"PLUGIN_PORT = 'twenty-two': must be a whole number"
    ):
        load({})


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("PLUGIN_PORT", "0", "must be at least 1"),
        ("PLUGIN_HEALTH_TIMEOUT", "-5", "must be more than 0"),
        ("PLUGIN_KEEP_RELEASES", "0", "must be at least 1"),
    ],
)
def test_number_out_of_bounds_names_the_bound(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    """A number outside its range is refused with the bound it must respect."""
    monkeypatch.setenv(variable, value)

    with pytest.raises(InvalidSettings, match=rf"{variable} = '{value}': {expected}$"):
        load({})


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("PLUGIN_IGNORE_RULES", "[1,2", r"write a YAML list, or a JSON list"),
        ("PLUGIN_COMPOSE_ENV", '{"A":', r"write a YAML map of names to values"),
    ],
)
def test_broken_json_says_what_to_write(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    """A list or map setting whose JSON does not parse is refused with the form to use."""
    monkeypatch.setenv(variable, value)

    with pytest.raises(InvalidSettings, match=rf"{variable} = .*is not valid JSON.*{expected}"):
        load({})
