"""The command as a process: bad input, exit codes, warnings, colour and --version."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from alpha_deploy.errors import ExitCode

BAD_APP_NAMES = ["demo;rm -rf /", "../x", "with space", "UPPER"]


def assert_one_clean_error(output: str, *fragments: str) -> None:
    """The run explains itself in `error:` lines with the given fragments, without a traceback."""
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if line.startswith("error: ")]
    assert errors, output
    for fragment in fragments:
        assert fragment in output, output


def test_non_numeric_port_is_refused(run_cli, example_env) -> None:
    """PLUGIN_PORT=abc exits 2 and names the variable and what it must be."""
    result = run_cli(env={**example_env, "PLUGIN_PORT": "abc"})

    assert result.code == ExitCode.INVALID
    assert_one_clean_error(result.output, "PLUGIN_PORT = 'abc'", "must be a whole number")


def test_port_out_of_range_is_refused(run_cli, example_env) -> None:
    """A port above 65535 exits 2 and names PLUGIN_PORT."""
    result = run_cli(env={**example_env, "PLUGIN_PORT": "70000"})

    assert result.code == ExitCode.INVALID
    assert_one_clean_error(result.output, "PLUGIN_PORT = '70000'", "must be at most 65535")


@pytest.mark.parametrize("value", ["maybe", "yes please", "2"])
def test_non_boolean_boolean_is_refused(run_cli, example_env, value: str) -> None:
    """A boolean setting that is not true or false exits 2 and says so."""
    result = run_cli(env={**example_env, "PLUGIN_DRY_RUN": value})

    assert result.code == ExitCode.INVALID
    assert_one_clean_error(result.output, f"PLUGIN_DRY_RUN = {value!r}", "must be true or false")


@pytest.mark.parametrize("name", BAD_APP_NAMES)
def test_app_that_is_not_a_plain_name_is_refused(run_cli, example_env, name: str) -> None:
    """An app name with shell characters, a path, a space or upper case exits 2."""
    result = run_cli(env={**example_env, "PLUGIN_APP": name})

    assert result.code == ExitCode.INVALID
    assert_one_clean_error(result.output, f"PLUGIN_APP = {name!r}", "is not a plain name")


def test_bad_repository_name_names_its_source(run_cli, example_env) -> None:
    """A bad default app from CI_REPO_NAME says it came from CI_REPO_NAME."""
    result = run_cli(env={**example_env, "CI_REPO_NAME": "My Site"})

    assert result.code == ExitCode.INVALID
    assert_one_clean_error(result.output, "CI_REPO_NAME (default of PLUGIN_APP)")


def test_bad_flag_value_names_the_flag(run_cli, example_env) -> None:
    """A bad value given as a flag is reported under the flag's name."""
    result = run_cli("--app", "../x", env=example_env)

    assert result.code == ExitCode.INVALID
    assert_one_clean_error(result.output, "--app = '../x'")


def test_several_bad_settings_are_all_reported(run_cli, example_env) -> None:
    """Every bad setting gets its own line, so one run shows all of them."""
    result = run_cli(env={**example_env, "PLUGIN_PORT": "x", "PLUGIN_DEBUG": "sure"})

    assert result.code == ExitCode.INVALID
    assert_one_clean_error(result.output, "PLUGIN_PORT", "PLUGIN_DEBUG")


def test_missing_compose_file_is_refused(run_cli, example_env) -> None:
    """A compose file that does not exist exits 2 and names the file."""
    result = run_cli(env={**example_env, "PLUGIN_COMPOSE_FILE": "deploy/compose.yml"})

    assert result.code == ExitCode.INVALID
    assert_one_clean_error(result.output, "deploy/compose.yml", "does not exist")


def test_yaml_syntax_error_points_at_line_and_column(run_cli, example_env, tmp_path: Path) -> None:
    """A YAML syntax error exits 2 with file:line:column of the problem."""
    (tmp_path / "docker-compose.yml").write_text("services:\n  web:\n    image: [a\n")
    env = {**example_env, "CI_WORKSPACE": str(tmp_path)}

    result = run_cli(env=env)

    assert result.code == ExitCode.INVALID
    assert_one_clean_error(result.output, "docker-compose.yml:4:1", "YAML syntax error")


def test_compose_rule_error_exits_2_with_location(run_cli, example_env, tmp_path: Path) -> None:
    """A compose file that breaks a platform rule exits 2 with the rule and its place."""
    text = (Path(example_env["CI_WORKSPACE"]) / "docker-compose.yml").read_text()
    (tmp_path / "docker-compose.yml").write_text(
        text.replace("entrypoints=websecure", "entrypoints=web")
    )
    env = {**example_env, "CI_WORKSPACE": str(tmp_path)}

    result = run_cli(env=env)

    assert result.code == ExitCode.INVALID
    assert_one_clean_error(result.output, "docker-compose.yml:9:", "[traefik-entrypoint]")


def test_misspelt_setting_gets_a_suggestion(run_cli, example_env) -> None:
    """PLUGIN_HEALTH_TIMOUT warns and suggests `health_timeout`, and the run goes on."""
    result = run_cli(env={**example_env, "PLUGIN_HEALTH_TIMOUT": "60"})

    assert result.code == ExitCode.OK
    assert (
        "warning: PLUGIN_HEALTH_TIMOUT is not a setting of alpha-deploy; "
        "did you mean `health_timeout`?"
    ) in result.output


def test_flag_beats_variable_in_a_run(run_cli, example_env) -> None:
    """In a real process, --port on the command line wins over PLUGIN_PORT."""
    result = run_cli("--port", "2222", env={**example_env, "PLUGIN_PORT": "abc"})

    assert result.code == ExitCode.OK
    assert "deploy@alpha.mintel.me:2222" in result.output


def test_dry_run_of_the_example_site_succeeds(run_cli, example_env) -> None:
    """The example site passes every check and the dry run prints the plan."""
    result = run_cli(env=example_env)

    assert result.code == ExitCode.OK, result.output
    assert "--> Plan: a real run would execute on the host" in result.output
    assert "dry run: nothing was contacted or changed" in result.output


def test_colour_in_woodpecker_plain_with_no_color(run_cli, example_env) -> None:
    """Woodpecker's log gets ANSI colour; NO_COLOR turns it off."""
    coloured = run_cli(env={**example_env, "CI": "woodpecker", "NO_COLOR": None})

    plain = run_cli(env={**example_env, "CI": "woodpecker", "NO_COLOR": "1"})

    assert "\033[1;36m--> alpha-deploy" in coloured.output
    assert "\033[" not in plain.output


def test_version_is_fast_and_plain(tmp_path: Path) -> None:
    """`alpha-deploy --version` prints the version in a fresh process well under a second."""
    started = time.monotonic()

    completed = subprocess.run(
        [sys.executable, "-m", "alpha_deploy", "--version"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )

    assert completed.stdout.startswith("alpha-deploy ")
    assert time.monotonic() - started < 1.0


def test_help_lists_settings_with_their_variables(run_cli) -> None:
    """`--help` shows each flag with the PLUGIN_* variable it stands for."""
    result = run_cli("--help")

    assert result.code == 0
    assert "--health-timeout" in result.output
    assert "PLUGIN_HEALTH_TIMEOUT" in result.output


def test_sigterm_ends_the_run_with_143(tmp_path: Path, example_env) -> None:
    """A SIGTERM before anything changes ends the run cleanly with exit 143."""
    script = (
        "import os, signal, sys\n"
        "from alpha_deploy import cli, config\n"
        "real = config.load_settings\n"
        "def slow(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return real(*a, **k)\n"
        "config.load_settings = slow\n"
        "sys.exit(cli.run([]))\n"
    )
    from conftest import plain_environ

    completed = subprocess.run(
        [sys.executable, "-c", script],
        env=plain_environ(example_env),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )

    assert completed.returncode == ExitCode.TERMINATED
    assert "Traceback" not in completed.stdout + completed.stderr
    assert "cancelled by SIGTERM" in completed.stdout
