"""Rollback end-to-end: the real CLI in a subprocess against the local Alpha.

Each test deploys its own site, then rolls back (or tries to) with
`action: rollback`, and checks what the edge serves, what the host records,
and that a refused rollback changed nothing.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from alpha_deploy.deploy.images import ImageRef
from alpha_host import ROOT, AlphaHost, Site, wait_until
from conftest import plain_environ
from plugin_run import Workspace, current_release, make_workspace, serving_versions
from plugin_run import woodpecker_env as step_env

pytestmark = pytest.mark.host

LOAD_RATE = 80
LOCK_FILES = frozenset(
    {".alpha/lock", ".alpha/lock.json"}
)  # the lock is the only thing a refusal writes
REGISTRY_STORE = Path("/var/lib/local-alpha/registry/docker/registry/v2/repositories")


@dataclass
class Run:
    """A finished CLI run: exit code, log, and wall time."""

    code: int
    output: str
    seconds: float


def plugin(alpha: AlphaHost, workspace: Workspace, **settings: str) -> Run:
    """Run `alpha-deploy` as Woodpecker would set it up, from the workspace, to its end."""
    env = step_env(alpha, workspace, **settings)
    env["PLUGIN_SSH_KEY_PATH"] = str(alpha.key_path)
    env.pop("PLUGIN_SSH_KEY")
    env["CI_WORKSPACE"] = str(workspace.path)
    env["PLUGIN_REPORT_FILE"] = str(workspace.path / "report.json")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "alpha_deploy"],
        env=plain_environ(env),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    return Run(done.returncode, done.stdout, time.monotonic() - started)


def deploy(alpha: AlphaHost, workspace: Workspace, tag: str, **settings: str) -> Run:
    """Commit a compose file for demo `tag` and deploy it; fail the test unless it released."""
    workspace.write(tag)
    run = plugin(alpha, workspace, tag=tag, **settings)
    assert run.code == 0, run.output
    return run


def released_tag(site: Site) -> str:
    release = current_release(site)
    assert release is not None
    return release["images"]["web"].split("@")[0].rsplit(":", 1)[1]


def history(site: Site) -> list[dict[str, Any]]:
    path = site.directory / ".alpha" / "history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def snapshot(site: Site, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The site directory (every file's hash) and the project's containers (id, state, start)."""
    files = {
        str(path.relative_to(site.directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(site.directory.rglob("*"))
        if path.is_file()
    }
    listing = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={site.project}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    states = subprocess.run(
        ["docker", "inspect", "--format", "{{.Id}} {{.State.Status}} {{.State.StartedAt}}",
         *listing], capture_output=True, text=True, check=True,
    ).stdout.split("\n") if listing else []  # fmt: skip
    return {
        "files": {name: digest for name, digest in files.items() if name not in skip},
        "containers": sorted(line for line in states if line),
    }


@pytest.fixture
def workspace(site: Site, tmp_path: Path) -> Workspace:
    return make_workspace(site, tmp_path)


@pytest.fixture
def registry_down() -> Iterator[None]:
    """Stop the local registry for the test; `local-alpha up` restarts it afterwards."""
    from local_alpha import registry

    registry.stop_registry()
    try:
        yield
    finally:
        up = subprocess.run([str(ROOT / "scripts" / "local-alpha"), "up"],
                            capture_output=True, text=True, timeout=900, check=False)  # fmt: skip
        assert up.returncode == 0, up.stderr[-2000:]


def registry_answers() -> bool:
    from local_alpha import registry

    return registry.registry_running()


def test_rollback_under_load_needs_no_registry_and_loses_no_request(
    alpha: AlphaHost, site: Site, workspace: Workspace, request: pytest.FixtureRequest
) -> None:
    """v1, v2, then rollback brings v1 back under load with the registry down, then v2 again."""
    drain = {"drain_command": alpha.drain_command}
    deploy(alpha, workspace, "v1", **drain)
    deploy(alpha, workspace, "v2", **drain)
    request.getfixturevalue("registry_down")
    assert not registry_answers()
    load = alpha.load(site.domain, seconds=300, rate=LOAD_RATE)

    back = plugin(alpha, workspace, action="rollback", **drain)
    after_back = serving_versions(site)
    forward = plugin(alpha, workspace, action="rollback", release="v2", **drain)
    summary = load.stop()

    assert back.code == 0, back.output
    assert "the registry is not contacted" in back.output
    assert after_back == {"200 v1"}
    assert forward.code == 0, forward.output
    assert serving_versions(site) == {"200 v2"} and released_tag(site) == "v2"
    assert summary["failed"] == 0, summary
    assert summary["ok"] > LOAD_RATE * (back.seconds + forward.seconds) * 0.5, summary
    assert [(e["action"], e["outcome"]) for e in history(site)] == [
        ("deploy", "deployed"), ("deploy", "deployed"),
        ("rollback", "deployed"), ("rollback", "deployed"),
    ]  # fmt: skip
    print(
        f"rollback {back.seconds:.1f}s, forward {forward.seconds:.1f}s, "
        f"{summary['failed']}/{summary['total']} failed at {LOAD_RATE} req/s"
    )


def test_rollback_of_the_first_release_is_refused(
    alpha: AlphaHost, site: Site, workspace: Workspace
) -> None:
    """With only one release deployed there is nothing to go back to: exit 2, nothing changed."""
    deploy(alpha, workspace, "v1")
    before = snapshot(site, LOCK_FILES)

    run = plugin(alpha, workspace, action="rollback")

    assert run.code == 2, run.output
    assert "no release before" in run.output
    assert snapshot(site, LOCK_FILES) == before
    assert serving_versions(site) == {"200 v1"}


def test_rollback_to_an_unknown_release_is_refused(
    alpha: AlphaHost, site: Site, workspace: Workspace
) -> None:
    """A `release` that names no history id or image tag: exit 2, nothing changed."""
    deploy(alpha, workspace, "v1")
    deploy(alpha, workspace, "v2")
    before = snapshot(site, LOCK_FILES)

    run = plugin(alpha, workspace, action="rollback", release="v9")

    assert run.code == 2, run.output
    assert "'v9'" in run.output and "recent releases" in run.output
    assert snapshot(site, LOCK_FILES) == before
    assert serving_versions(site) == {"200 v2"}


def own_image(alpha: AlphaHost, site: Site) -> str:
    """Demo v1 plus a label, pushed under a repository only this test uses.

    Its own content (not only its own name), so removing it from the host and
    the registry leaves no copy Docker could find by digest, and hurts no one.
    """
    image = f"{alpha.registry}/mintel/{site.app}:v1"
    dockerfile = f"FROM {alpha.image('v1')}\nLABEL alpha.test.site={site.app}\n"
    subprocess.run(["docker", "build", "-q", "-t", image, "-"], input=dockerfile, text=True,
                   capture_output=True, check=True, timeout=120)  # fmt: skip
    subprocess.run(["docker", "push", "-q", image], capture_output=True, check=True, timeout=120)
    return image


def test_rollback_whose_images_are_gone_everywhere_changes_nothing(
    alpha: AlphaHost, site: Site, workspace: Workspace
) -> None:
    """Images removed from the host and unknown to the registry: exit 3, nothing changed."""
    image = own_image(alpha, site)
    workspace.write("v1")
    compose = workspace.path / "docker-compose.yml"
    compose.write_text(compose.read_text().replace(alpha.image("v1"), image))
    assert plugin(alpha, workspace).code == 0
    deploy(alpha, workspace, "v2")
    pinned = ImageRef.parse(history(site)[0]["images"]["web"])
    by_digest = f"{pinned.repository}@{pinned.digest}"
    for name in (image, by_digest):  # the first may take the second with it
        subprocess.run(["docker", "image", "rm", name], capture_output=True, check=False)
    gone = subprocess.run(["docker", "image", "inspect", str(pinned)], capture_output=True)
    assert gone.returncode != 0, "the pinned image is still on the host"
    subprocess.run(["rm", "-rf", str(REGISTRY_STORE / "mintel" / site.app)], check=True)
    before = snapshot(site, LOCK_FILES)

    run = plugin(alpha, workspace, action="rollback")

    assert run.code == 3, run.output
    assert "cannot be restored" in run.output and "nothing was changed" in run.output
    assert snapshot(site, LOCK_FILES) == before
    assert serving_versions(site) == {"200 v2"}


def test_a_corrupt_history_is_kept_aside_and_reported(
    alpha: AlphaHost, site: Site, workspace: Workspace
) -> None:
    """A history that is not JSON lines is moved aside, named in the log, never overwritten."""
    deploy(alpha, workspace, "v1")
    path = site.directory / ".alpha" / "history.jsonl"
    path.write_text("{half a line\n")

    run = deploy(alpha, workspace, "v2")

    aside = list(path.parent.glob("history.jsonl.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text() == "{half a line\n"
    assert "history.jsonl:1 is not valid JSON" in run.output and aside[0].name in run.output
    assert [e["outcome"] for e in history(site)] == ["deployed"]
    wait_until("v2 serves", lambda: serving_versions(site) == {"200 v2"})


def test_releases_beyond_keep_releases_are_pruned_but_shared_images_stay(
    alpha: AlphaHost, site: Site, workspace: Workspace
) -> None:
    """With keep_releases 2, the third deploy removes the first release's files, not its image."""
    for tag in ("v1", "v2"):
        deploy(alpha, workspace, tag, keep_releases="2")

    run = deploy(alpha, workspace, "v1", keep_releases="2")

    staged = sorted(p.name for p in (site.directory / ".alpha" / "releases").iterdir())
    first, second, third = (e["id"] for e in history(site))
    assert "--> Pruning old releases (releases 1" in run.output
    assert staged == sorted([second, third]) and first not in staged
    shared = subprocess.run(["docker", "image", "inspect", alpha.image("v1")], capture_output=True)
    assert shared.returncode == 0, "the demo image other sites use was removed"
