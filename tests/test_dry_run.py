"""The dry run opens no network connection and does not load the SSH stack."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from alpha_deploy.errors import ExitCode
from conftest import plain_environ

NETWORK_EVENTS = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.bind")
SSH_MODULES = ("paramiko", "fabric", "invoke", "requests", "urllib3")

# Runs the plugin in this very process with an audit hook that records every
# network event, then writes the events and the loaded modules to a file.
AUDITED_RUN = """
import json, sys
events = []
def hook(event, args):
    if event.startswith("socket.") and event != "socket.__new__":
        events.append([event, repr(args)[:200]])
sys.addaudithook(hook)
from alpha_deploy.cli import run
code = run(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "events": events, "modules": sorted(sys.modules)}, out)
"""


def can_unshare_network() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode == 0


def audited_dry_run(example_env: dict[str, str], tmp_path: Path, *args: str) -> dict:
    record = tmp_path / "audit.json"
    subprocess.run(
        [sys.executable, "-c", AUDITED_RUN, str(record), *args],
        env=plain_environ(example_env),
        cwd=tmp_path,
        check=False,
        capture_output=True,
        timeout=60,
    )
    return json.loads(record.read_text())


@pytest.mark.skipif(not can_unshare_network(), reason="needs `unshare --net` (root)")
def test_dry_run_succeeds_without_any_network(example_env, tmp_path: Path) -> None:
    """In a network namespace with no interface at all, the dry run still exits 0."""
    report = tmp_path / "report.json"
    env = plain_environ({**example_env, "PLUGIN_REPORT_FILE": str(report)})

    completed = subprocess.run(
        ["unshare", "--net", "--", sys.executable, "-m", "alpha_deploy"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode == ExitCode.OK, completed.stdout + completed.stderr
    assert "dry run: nothing was contacted or changed" in completed.stdout
    assert json.loads(report.read_text())["outcome"] == "success"


def test_dry_run_raises_no_network_audit_event(example_env, tmp_path: Path) -> None:
    """An audit hook sees no connect, name lookup or bind during a whole dry run."""
    result = audited_dry_run(example_env, tmp_path)

    assert result["code"] == ExitCode.OK
    assert [event for event in result["events"] if event[0] in NETWORK_EVENTS] == []


def test_audit_hook_would_see_a_connection(example_env, tmp_path: Path) -> None:
    """The hook is live: a lookup made in the same process is recorded (guards the test above)."""
    script = AUDITED_RUN.replace(
        "code = run(sys.argv[2:])",
        "import socket\ntry:\n    socket.getaddrinfo('localhost', 22)\nexcept OSError:\n"
        "    pass\ncode = run(sys.argv[2:])",
    )
    record = tmp_path / "audit.json"

    subprocess.run(
        [sys.executable, "-c", script, str(record)],
        env=plain_environ(example_env),
        cwd=tmp_path,
        timeout=60,
        capture_output=True,
    )

    assert "socket.getaddrinfo" in [event[0] for event in json.loads(record.read_text())["events"]]


def test_dry_run_does_not_import_the_ssh_stack(example_env, tmp_path: Path) -> None:
    """paramiko, fabric, invoke and requests stay unimported in a dry run."""
    result = audited_dry_run(example_env, tmp_path)

    loaded = {name.split(".")[0] for name in result["modules"]}
    assert result["code"] == ExitCode.OK
    assert loaded.isdisjoint(SSH_MODULES), loaded & set(SSH_MODULES)


def test_failed_check_in_a_dry_run_also_stays_offline(example_env, tmp_path: Path) -> None:
    """A dry run that fails its checks exits 2 and still touches no network."""
    env = {**example_env, "PLUGIN_COMPOSE_FILE": "missing.yml"}

    result = audited_dry_run(env, tmp_path)

    assert result["code"] == ExitCode.INVALID
    assert [event for event in result["events"] if event[0] in NETWORK_EVENTS] == []


def test_dry_run_of_other_actions_stays_offline(example_env, tmp_path: Path) -> None:
    """`status` and `rollback` dry runs print their plan without touching the network."""
    for action in ("status", "rollback"):
        result = audited_dry_run({**example_env, "PLUGIN_ACTION": action}, tmp_path)

        assert result["code"] == ExitCode.OK
        assert [event for event in result["events"] if event[0] in NETWORK_EVENTS] == []
