"""The JSON report: written on every path, complete, and free of secrets."""

import json
from pathlib import Path

from alpha_deploy.errors import ExitCode

TOP_LEVEL = {
    "version",
    "outcome",
    "exit_code",
    "message",
    "action",
    "app",
    "dry_run",
    "started_at",
    "finished_at",
    "settings",
    "phases",
    "findings",
    "ignored_findings",
    "plan",
    "release_before",
    "release_after",
    "health",
}
FINDING = {"rule", "severity", "file", "line", "column", "path", "message"}
SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- do-not-print-me"


def read_report(path: Path) -> dict:
    return json.loads(path.read_text())


def test_dry_run_report_has_every_field(run_cli, example_env, tmp_path: Path) -> None:
    """A successful dry run writes outcome, app, settings, timed phases and the plan."""
    path = tmp_path / "out" / "report.json"

    result = run_cli(env={**example_env, "PLUGIN_REPORT_FILE": str(path)})

    report = read_report(path)
    assert result.code == ExitCode.OK
    assert set(report) == TOP_LEVEL
    assert (report["outcome"], report["exit_code"], report["message"]) == ("success", 0, "")
    assert (report["action"], report["app"], report["dry_run"]) == ("deploy", "demo", True)
    assert [phase["name"] for phase in report["phases"]] == ["settings", "check", "plan"]
    assert all(p["status"] == "ok" and p["seconds"] >= 0 for p in report["phases"])
    assert report["plan"] and report["settings"]["registry"] == "127.0.0.1:5000"
    assert report["started_at"].endswith("+00:00")


def test_report_records_findings_with_their_place(run_cli, example_env, tmp_path: Path) -> None:
    """A failing check is in the report with rule, severity, file, line, column and message."""
    site = tmp_path / "site"
    site.mkdir()
    text = (Path(example_env["CI_WORKSPACE"]) / "docker-compose.yml").read_text()
    (site / "docker-compose.yml").write_text(text.replace("certresolver=le", "certresolver=x"))
    path = tmp_path / "report.json"
    env = {**example_env, "CI_WORKSPACE": str(site), "PLUGIN_REPORT_FILE": str(path)}

    result = run_cli(env=env)

    report = read_report(path)
    finding = next(f for f in report["findings"] if f["rule"] == "traefik-certresolver")
    assert result.code == ExitCode.INVALID
    assert (report["outcome"], report["exit_code"]) == ("InvalidCompose", 2)
    assert set(finding) == FINDING
    assert (finding["severity"], finding["line"]) == ("error", 10)
    assert finding["file"].endswith("docker-compose.yml")
    assert report["phases"][-1] == {**report["phases"][-1], "name": "check", "status": "failed"}


def test_report_is_written_for_invalid_settings(run_cli, example_env, tmp_path: Path) -> None:
    """Even when the settings are invalid, the report says so with exit code 2."""
    path = tmp_path / "report.json"
    env = {**example_env, "PLUGIN_REPORT_FILE": str(path), "PLUGIN_PORT": "abc"}

    result = run_cli(env=env)

    report = read_report(path)
    assert result.code == ExitCode.INVALID
    assert (report["outcome"], report["exit_code"]) == ("InvalidSettings", 2)
    assert "PLUGIN_PORT" in report["message"]


def test_secrets_never_reach_the_report_or_log(run_cli, example_env, tmp_path: Path) -> None:
    """With debug on, the SSH key is `***` in the report and absent from the log."""
    path = tmp_path / "report.json"
    env = {
        **example_env,
        "PLUGIN_REPORT_FILE": str(path),
        "PLUGIN_DEBUG": "true",
        "PLUGIN_SSH_KEY": SECRET,
        "PLUGIN_SSH_PASSPHRASE": "hunter2-passphrase",
    }

    result = run_cli(env=env)

    text = path.read_text()
    assert result.code == ExitCode.OK
    assert read_report(path)["settings"]["ssh_key"] == "***"
    assert "do-not-print-me" not in text + result.output
    assert "hunter2-passphrase" not in text + result.output


def test_unwritable_report_is_a_warning_not_a_crash(run_cli, example_env) -> None:
    """A report path that cannot be written warns and keeps the run's own exit code."""
    env = {**example_env, "PLUGIN_REPORT_FILE": "/proc/no-such-dir/report.json"}

    result = run_cli(env=env)

    assert result.code == ExitCode.OK
    assert "Traceback" not in result.output
    assert "warning: could not write the report to /proc/no-such-dir/report.json" in result.output
