"""End-to-end deploys through the plugin image onto the local Alpha.

Every test here runs the real image the way Woodpecker runs a plugin step,
against a real sshd, Docker engine with Compose v2, registry and the
Traefik-faithful edge, with steady HTTPS load crossing the edge where the
claim is about availability.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from alpha_host import AlphaHost, Site, wait_until
from plugin_run import (
    current_release,
    make_workspace,
    run_step,
    serving_versions,
    start_step,
)

pytestmark = pytest.mark.host

LOAD_RATE = 50


@pytest.fixture
def workspace(site: Site, tmp_path: Path):
    return make_workspace(site, tmp_path)


def deploy(alpha: AlphaHost, workspace, tag: str, timeout: float = 600, options=None,
           **settings: str):  # fmt: skip
    """Commit a compose file for ``tag`` and run the deploy step."""
    workspace.write(tag, **(options or {}))
    return run_step(alpha, workspace, timeout, **settings)


def assert_ok(step) -> None:
    assert step.exit_code == 0, step.output


def released_tag(site: Site) -> str:
    release = current_release(site)
    assert release is not None
    return release["images"]["web"].split("@")[0].rsplit(":", 1)[1]


def test_first_deploy_then_rolling_update_loses_no_request(alpha, site, workspace):
    """v1 then v2 under steady load with the defaults: not one request fails, v2 serves."""
    assert_ok(deploy(alpha, workspace, "v1"))
    load = alpha.load(site.domain, seconds=120, rate=LOAD_RATE)

    step = deploy(alpha, workspace, "v2")
    summary = load.stop()

    assert_ok(step)
    assert "drain auto" in step.output
    assert summary["failed"] == 0, summary
    assert serving_versions(site) == {"200 v2"}
    assert released_tag(site) == "v2"


def test_without_any_drain_the_site_still_answers_every_second(alpha, site, workspace, tmp_path):
    """With auto_drain off, old replicas are stopped one by one and every second has answers."""
    timeline = tmp_path / "timeline.jsonl"
    assert_ok(deploy(alpha, workspace, "v1", auto_drain="false"))
    load = alpha.load(site.domain, seconds=120, rate=LOAD_RATE, timeline=timeline)

    step = deploy(alpha, workspace, "v2", auto_drain="false")
    summary = load.stop()

    assert_ok(step)
    assert "drain none" in step.output
    assert seconds_without_an_answer(timeline) == [], summary
    print(f"no drain: {summary['failed']}/{summary['total']} requests failed")


def seconds_without_an_answer(timeline: Path) -> list[int]:
    """Whole seconds of the load run in which no request was answered 200."""
    answered, seen = set(), set()
    for line in timeline.read_text().splitlines():
        entry = json.loads(line)
        second = int(entry["start_s"])
        seen.add(second)
        if entry.get("status") == 200:
            answered.add(second)
    last = max(seen)
    return sorted(s for s in seen if s not in answered and s < last)


def test_rolling_update_with_retry_middleware_loses_no_request(alpha, site, workspace):
    """A site whose router has a retry middleware loses no request during v1 -> v2."""
    options = {"retry_attempts": 3}
    assert_ok(deploy(alpha, workspace, "v1", options=dict(options)))
    load = alpha.load(site.domain, seconds=120, rate=LOAD_RATE)

    step = deploy(alpha, workspace, "v2", options=dict(options))
    summary = load.stop()

    assert_ok(step)
    assert summary["failed"] == 0, summary
    assert serving_versions(site) == {"200 v2"}


def test_release_failing_the_edge_probe_brings_drained_replicas_back(alpha, site, workspace):
    """New replicas healthy in Docker but failing through Traefik: old ones return and serve."""
    assert_ok(deploy(alpha, workspace, "v1"))
    wrong_port = {f"traefik.http.services.{site.app}-web.loadbalancer.server.port": "9999"}

    step = deploy(alpha, workspace, "v2", options={"labels": wrong_port}, health_timeout="15")

    assert step.exit_code == 1, step.output
    assert "Restarting the old replicas" in step.output
    assert "not healthy through Traefik" in step.output
    assert serving_versions(site) == {"200 v1"}
    assert released_tag(site) == "v1"


def test_rolling_update_with_drain_command_loses_no_request(alpha, site, workspace):
    """With a drain command the old replicas leave the router first: no request fails."""
    drain = {"drain_command": alpha.drain_command}
    assert_ok(deploy(alpha, workspace, "v1", **drain))
    load = alpha.load(site.domain, seconds=120, rate=LOAD_RATE)

    step = deploy(alpha, workspace, "v2", **drain)
    summary = load.stop()

    assert_ok(step)
    assert summary["failed"] == 0, summary
    assert "Retiring old web" in step.output


def test_broken_release_is_refused_and_v1_keeps_serving(alpha, site, workspace):
    """A release that never turns healthy fails with exit 1 while v1 answers every request."""
    assert_ok(deploy(alpha, workspace, "v1"))
    load = alpha.load(site.domain, seconds=120, rate=LOAD_RATE)

    step = deploy(alpha, workspace, "broken")
    summary = load.stop()

    assert step.exit_code == 1, step.output
    assert "is unhealthy" in step.output
    assert "evidence of" in step.output
    assert summary["failed"] == 0, summary
    assert serving_versions(site) == {"200 v1"}
    assert released_tag(site) == "v1"


def test_slow_release_within_timeout_deploys(alpha, site, workspace):
    """A release that needs ~20 s to turn healthy deploys when its start period allows it."""
    assert_ok(deploy(alpha, workspace, "v1"))

    step = deploy(alpha, workspace, "slow", options={"start_period": "40s"})

    assert_ok(step)
    assert released_tag(site) == "slow"


def test_slow_release_past_the_health_timeout_rolls_back(alpha, site, workspace):
    """With a health timeout shorter than its start, the slow release is rolled back."""
    assert_ok(deploy(alpha, workspace, "v1"))

    step = deploy(alpha, workspace, "slow", options={"start_period": "40s"},
                  health_timeout="8")  # fmt: skip

    assert step.exit_code == 1, step.output
    assert "PLUGIN_HEALTH_TIMEOUT" in step.output or "not healthy after" in step.output
    assert serving_versions(site) == {"200 v1"}
    assert released_tag(site) == "v1"


def test_wrong_known_hosts_is_refused_before_any_change(alpha, site, workspace):
    """A host key that is not the pinned one ends the step with exit 3 and nothing on the host."""
    other_key = subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                                str(workspace.path / "other")], check=True)  # fmt: skip
    assert other_key.returncode == 0
    fake = (workspace.path / "other.pub").read_text().split()[:2]
    known_hosts = f"[{alpha.host}]:{alpha.port} {' '.join(fake)}"

    step = deploy(alpha, workspace, "v1", known_hosts=known_hosts)

    assert step.exit_code == 3, step.output
    assert "CHANGED" in step.output and "ssh-keyscan" in step.output
    assert list(site.directory.iterdir()) == []


def test_unreachable_host_fails_after_retries_without_change(alpha, site, workspace):
    """No sshd listening: the connection is retried, then the step exits 3, nothing changed."""
    step = deploy(alpha, workspace, "v1", port="2299", connect_attempts="3")

    assert step.exit_code == 3, step.output
    assert step.output.count("connect attempt") == 2
    assert list(site.directory.iterdir()) == []


def test_registry_down_during_pull_changes_nothing(alpha, site, workspace):
    """When the registry refuses the pull, the serving release and its files stay as they were."""
    assert_ok(deploy(alpha, workspace, "v1"))
    before = (site.directory / "docker-compose.yml").read_text()
    ids_before = sorted(site.container_ids())
    text = (workspace.path / "docker-compose.yml").read_text()

    workspace.write_text(text.replace(alpha.registry, "127.0.0.1:5999").replace(":v1", ":v2"))
    step = run_step(alpha, workspace, pull_attempts="2")

    assert step.exit_code == 3, step.output
    assert "pull attempt 1/2 failed" in step.output
    assert (site.directory / "docker-compose.yml").read_text() == before
    assert sorted(site.container_ids()) == ids_before
    assert released_tag(site) == "v1"
    assert len(list((site.directory / ".alpha" / "releases").iterdir())) == 1


def test_two_deploys_of_one_site_run_one_after_the_other(alpha, site, workspace):
    """Two pipelines deploying the same site at once are serialised by the site lock."""
    assert_ok(deploy(alpha, workspace, "v1"))
    workspace.write("v2")

    first = start_step(alpha, workspace)
    wait_until("first step holds the lock", lambda: (site.directory / ".alpha" /
                                                     "lock.json").exists(), 60)  # fmt: skip
    second = start_step(alpha, workspace)
    first.wait(), second.wait()

    assert_ok(first)
    assert_ok(second)
    assert "is locked by" in second.output
    history = (site.directory / ".alpha" / "history.jsonl").read_text().splitlines()
    assert len(history) == 3


def test_sigterm_mid_rollout_leaves_a_complete_release_and_no_lock(alpha, site, workspace):
    """A cancelled pipeline stops within 15 s with one complete release serving, lock released."""
    assert_ok(deploy(alpha, workspace, "v1"))
    workspace.write("slow", start_period="40s")
    step = start_step(alpha, workspace)
    wait_until("new replicas are starting", lambda: len(site.container_ids()) >= 4, 120)

    cancelled_at = time.monotonic()
    step.terminate()
    step.wait(60)

    assert time.monotonic() - cancelled_at < 15
    assert step.exit_code == 143, step.output
    assert "cancelled by SIGTERM" in step.output
    assert serving_versions(site) == {"200 v1"}
    assert len(site.container_ids()) == 2
    assert not (site.directory / ".alpha" / "lock.json").exists()
    free = alpha.ssh(f"flock -n {site.directory}/.alpha/lock true", check=False)
    assert free.returncode == 0


CLASHES = {
    "router": ({"router_app": "SELF"}, "cross-site-router"),
    "domain": ({"domains": ["SELF_DOMAIN"]}, "cross-site-domain"),
    "postgres": ({"environment": {"DATABASE_URL": "PG_URL"}}, "cross-site-postgres-db"),
    "redis": ({"environment": {"REDIS_URL": "redis://redis:6379/3"}}, "cross-site-redis-db"),
}


@pytest.mark.parametrize("clash", sorted(CLASHES))
def test_cross_site_clash_is_refused(alpha, site, workspace, tmp_path, request, clash):
    """A site that takes another's router, domain, database or Redis index is refused (exit 2)."""
    database = f"postgres://infra:infra@postgres:5432/{site.app.replace('-', '_')}"
    owned = {"DATABASE_URL": database, "REDIS_URL": "redis://redis:6379/3"}
    assert_ok(deploy(alpha, workspace, "v1", options={"environment": owned}))
    other = Site(alpha, site.app[:-6] + "x" + site.app[-6:])
    request.addfinalizer(other.remove)
    second = make_workspace(other, tmp_path / "second")
    options, rule = CLASHES[clash]
    options = {key: resolve(value, site, database) for key, value in options.items()}

    second.write("v1", **options)
    step = run_step(alpha, second, ignore_rules="image-registry,traefik-name-prefix")

    assert step.exit_code == 2, step.output
    assert f"[{rule}]" in step.output
    assert site.app in step.output
    assert current_release(other) is None


def resolve(value, site: Site, database: str):
    """Fill the placeholders of CLASHES with the first site's values."""
    if isinstance(value, list):
        return [site.domain for _ in value]
    if isinstance(value, dict):
        return {k: database if v == "PG_URL" else v for k, v in value.items()}
    return site.app


def test_secrets_never_reach_the_log_or_the_report(alpha, site, workspace):
    """Key, passphrase and .env values stay out of the log and the report, even with debug on."""
    key_file = workspace.path / "encrypted_key"
    key_file.write_text(alpha.key_path.read_text())
    key_file.chmod(0o600)
    passphrase = "correct horse battery staple 4711"
    subprocess.run(["ssh-keygen", "-q", "-p", "-P", "", "-N", passphrase, "-f", str(key_file)],
                   check=True, capture_output=True)  # fmt: skip
    env_secret = "s3cr3t-value-0815"
    (workspace.path / "release.env").write_text(f"API_TOKEN={env_secret}\n")

    step = deploy(alpha, workspace, "v1", ssh_key=key_file.read_text(),
                  ssh_passphrase=passphrase, env_file="release.env", debug="true")  # fmt: skip
    report = (workspace.path / "report.json").read_text()

    assert_ok(step)
    key_lines = [line for line in key_file.read_text().splitlines() if "PRIVATE KEY" not in line]
    for text in (step.output, report):
        assert passphrase not in text
        assert env_secret not in text
        assert not any(line in text for line in key_lines)
    assert json.loads(report)["settings"]["ssh_key"] == "***"
    env_on_host = site.directory / ".env"
    assert env_on_host.read_text() == f"API_TOKEN={env_secret}\n"
    assert env_on_host.stat().st_mode & 0o777 == 0o600


def test_lock_of_a_killed_run_is_taken_over(alpha, site, workspace):
    """A run killed outright frees the lock with its connection; the next run says it took over."""
    assert_ok(deploy(alpha, workspace, "v1"))
    workspace.write("v2")
    killed = start_step(alpha, workspace)
    lock_note = site.directory / ".alpha" / "lock.json"
    wait_until("the first run holds the lock", lock_note.exists, 60)

    subprocess.run(["docker", "kill", "--signal", "KILL", killed.name], check=True,
                   capture_output=True)  # fmt: skip
    killed.wait(60)
    step = run_step(alpha, workspace, lock_timeout="60")

    assert killed.exit_code != 0
    assert_ok(step)
    assert "took over the lock left by" in step.output
    assert serving_versions(site) == {"200 v2"}
