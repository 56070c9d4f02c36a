"""`status` and `check` on the local Alpha: they report, and change nothing on the host."""

from __future__ import annotations

from pathlib import Path

import pytest

from alpha_host import AlphaHost, Site
from plugin_run import Workspace, make_workspace
from test_rollback_e2e import deploy, plugin, snapshot

pytestmark = pytest.mark.host


@pytest.fixture
def workspace(site: Site, tmp_path: Path) -> Workspace:
    return make_workspace(site, tmp_path)


def test_status_and_check_change_nothing(
    alpha: AlphaHost, site: Site, workspace: Workspace
) -> None:
    """After v1 and v2, status and check leave every file and container as they were."""
    deploy(alpha, workspace, "v1")
    deploy(alpha, workspace, "v2")
    before = snapshot(site)

    status = plugin(alpha, workspace, action="status")
    check = plugin(alpha, workspace, action="check")

    assert status.code == 0, status.output
    assert check.code == 0, check.output
    assert snapshot(site) == before


def test_status_shows_release_age_replicas_and_history(
    alpha: AlphaHost, site: Site, workspace: Workspace
) -> None:
    """status names the serving release and its age, each replica's health, and the history."""
    deploy(alpha, workspace, "v1")

    run = plugin(alpha, workspace, action="status")

    assert run.code == 0, run.output
    assert "--> Serving (release " in run.output and "-v1, since " in run.output
    assert "age " in run.output and "by tester" in run.output
    assert run.output.count("running, healthy") == 2
    assert "--> History (" in run.output and "deploy   deployed" in run.output


def test_status_reports_a_corrupt_history_and_leaves_it(
    alpha: AlphaHost, site: Site, workspace: Workspace
) -> None:
    """status says the history is corrupt but does not move it: it changes nothing."""
    deploy(alpha, workspace, "v1")
    (site.directory / ".alpha" / "history.jsonl").write_text("not json\n")
    before = snapshot(site)

    run = plugin(alpha, workspace, action="status")

    assert run.code == 0, run.output
    assert "history.jsonl:1 is not valid JSON" in run.output
    assert snapshot(site) == before


def test_status_of_a_site_never_deployed_says_so(
    alpha: AlphaHost, site: Site, workspace: Workspace
) -> None:
    """status on an empty site directory reports nothing recorded and creates nothing."""
    run = plugin(alpha, workspace, action="status")

    assert run.code == 0, run.output
    assert "nothing recorded" in run.output
    assert list(site.directory.iterdir()) == []
