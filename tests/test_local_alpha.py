"""The local Alpha host comes up in one command and is usable the way the plugin uses it."""

import json
import signal
import subprocess
import time

import pytest

from alpha_host import LOCAL_ALPHA, local_alpha

pytestmark = pytest.mark.host


def test_deploy_runs_docker_compose_over_ssh_with_a_pinned_host_key(alpha):
    """ssh with StrictHostKeyChecking=yes and the known_hosts from `env` runs compose as deploy."""
    done = alpha.ssh("docker compose version && id -un")

    assert "Docker Compose version v2" in done.stdout or "version 2." in done.stdout
    assert done.stdout.split()[-1] == "deploy"


def test_ssh_refuses_a_host_key_that_does_not_match(alpha, tmp_path):
    """A known_hosts line for another key makes ssh refuse the host."""
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"[127.0.0.1]:2222 {_other_public_key(tmp_path)}\n")
    argv = alpha.ssh_argv("true")
    argv[argv.index(f"UserKnownHostsFile={alpha.known_hosts_file}")] = f"UserKnownHostsFile={wrong}"

    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)

    assert done.returncode != 0
    assert "host key" in done.stderr.lower()


def _other_public_key(tmp_path) -> str:
    key = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return " ".join(key.with_suffix(".pub").read_text().split()[:2])


def test_site_started_by_hand_answers_through_the_edge(alpha, site):
    """A compose site with Traefik labels in /opt/alpha/sites answers with its body over HTTPS."""
    site.write_compose("v2")
    alpha.ssh(f"cd {site.directory} && docker compose -p {site.project} up -d --wait")

    site.start("v2")

    assert alpha.get(site.domain).text.startswith("demo v2 ")


def test_env_output_evaluates_in_a_shell(alpha):
    """`eval "$(local-alpha env)"` sets every variable, quoting intact."""
    script = f'eval "$({LOCAL_ALPHA} env 2>/dev/null)" && printf %s "$PLUGIN_KNOWN_HOSTS"'

    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)

    assert done.stdout == alpha.known_hosts
    assert alpha.known_hosts.startswith("[127.0.0.1]:2222 ssh-ed25519 ")
    expected = {"PLUGIN_HOST", "PLUGIN_PORT", "PLUGIN_USER", "PLUGIN_SSH_KEY_PATH",
                "PLUGIN_PROBE_ADDRESS", "PLUGIN_CA_BUNDLE", "PLUGIN_REGISTRY", "ALPHA_REGISTRY",
                "ALPHA_EDGE_HTTPS", "ALPHA_CA_BUNDLE", "ALPHA_DRAIN_COMMAND"}  # fmt: skip
    assert expected <= set(alpha.env)


def test_status_reports_everything_running(alpha):
    """`status` exits 0 and lists every component as running."""
    done = local_alpha("status")

    assert done.returncode == 0, done.stdout
    assert "DOWN" not in done.stdout


def test_up_again_is_idempotent_and_fast(alpha):
    """A second `up` while everything runs changes nothing and takes a few seconds at most."""
    started = time.monotonic()

    done = local_alpha("up")

    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 10
    assert "Starting" not in done.stderr


def test_load_tool_sustains_200_requests_per_second(alpha, site):
    """The load tool holds 200 requests/s through the edge for 5 s with no failures."""
    site.start("v1")

    summary = alpha.load(site.domain, seconds=5, rate=200).wait(timeout=60)

    assert summary["total"] >= 990
    assert summary["ok"] == summary["total"]
    assert summary["rate"] >= 195


def test_load_tool_stops_on_sigterm_and_still_reports(alpha, site, tmp_path):
    """SIGTERM ends a load run early with its JSON summary and a timeline line per request."""
    site.start("v1")
    timeline = tmp_path / "timeline.jsonl"
    run = alpha.load(site.domain, seconds=60, rate=50, timeline=timeline)
    time.sleep(2)  # let some requests run

    run.process.send_signal(signal.SIGTERM)
    summary = run.wait(timeout=20)

    assert 0 < summary["total"] < 60 * 50
    assert summary["statuses"] == {"200": summary["total"]}
    lines = [json.loads(line) for line in timeline.read_text().splitlines()]
    assert len(lines) == summary["total"]
    assert {"start_s", "latency_ms", "status"} <= set(lines[0])
