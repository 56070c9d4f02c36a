"""Unit tests of the rollout's pure decisions: deadlines, drain wrapping, pins, cancellation."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import yaml

from alpha_deploy.compose import load_site
from alpha_deploy.deploy import drain
from alpha_deploy.deploy.release import Release, pin_file_text
from alpha_deploy.deploy.rollout import health_deadline
from alpha_deploy.errors import ExitCode, Interrupted
from alpha_deploy.settings import Settings
from alpha_deploy.signals import Cancellation

COMPOSE = """
services:
  web:
    image: r.io/m/shop:1
    labels: [traefik.enable=true]
    healthcheck:
      test: wget -q -O - http://localhost:8080/health
      interval: 5s
      timeout: 2s
      retries: 10
      start_period: 30s
  api:
    image: r.io/m/shop:1
    labels: [traefik.enable=true]
    healthcheck:
      test: ["CMD", "wget", "-q", "http://localhost/health"]
  worker:
    image: r.io/m/shop:1
"""


@pytest.fixture
def site(tmp_path: Path):
    path = tmp_path / "docker-compose.yml"
    path.write_text(COMPOSE)
    return load_site(path, {})


def settings(**values: object) -> Settings:
    return Settings(app="shop", **values)  # type: ignore[arg-type]


def test_health_deadline_is_the_healthchecks_worst_case(site):
    """Start period plus (interval + timeout) x retries, plus one interval."""
    assert health_deadline(site.services["web"], settings()) == 30 + 7 * 10 + 5


def test_health_deadline_is_capped_by_health_timeout(site):
    """A slow healthcheck never waits longer than health_timeout."""
    assert health_deadline(site.services["web"], settings(health_timeout=40)) == 40


def test_only_shell_healthchecks_of_public_services_are_wrapped(site):
    """Exec-form healthchecks and workers keep their healthcheck untouched."""
    tests = drain.health_tests(site, settings())

    assert list(tests) == ["web"]
    assert tests["web"] == ["CMD-SHELL", "( wget -q -O - http://localhost:8080/health ) && "
                            f"[ ! -e {drain.DRAIN_FILE} ]"]  # fmt: skip


def test_no_wrapping_with_a_drain_command_or_auto_drain_off(site):
    """The user's drain command, or auto_drain false, leaves every healthcheck as written."""
    assert drain.health_tests(site, settings(drain_command="touch /x")) == {}
    assert drain.health_tests(site, settings(auto_drain=False)) == {}


def test_replicas_are_drainable_only_with_the_wrapped_test():
    """A replica from before auto-drain (plain test) is not taken for drainable."""
    assert drain.is_drainable(["CMD-SHELL", f"( true ) && [ ! -e {drain.DRAIN_FILE} ]"])
    assert not drain.is_drainable(["CMD-SHELL", "true"])


def test_pin_file_keeps_dollar_signs_literal_for_compose():
    """Compose interpolates the pin file too, so `$` in a healthcheck is written as `$$`."""
    release = Release("r1", {"web": "r.io/m/shop:1@sha256:ab"},
                      health_tests={"web": ["CMD-SHELL", "test -n \"$HOME\""]})  # fmt: skip

    pins = yaml.safe_load(pin_file_text(release))

    assert pins["services"]["web"]["image"] == "r.io/m/shop:1@sha256:ab"
    assert pins["services"]["web"]["healthcheck"]["test"] == ["CMD-SHELL", 'test -n "$$HOME"']


def test_a_signal_outside_the_rollout_interrupts_at_once():
    """Before anything changed, SIGTERM raises Interrupted with exit 143 right away."""
    cancel = Cancellation().install()

    with pytest.raises(Interrupted) as error:
        os.kill(os.getpid(), signal.SIGTERM)

    assert error.value.exit_code == ExitCode.TERMINATED
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    assert cancel.requested


def test_a_signal_during_the_rollout_only_sets_the_flag():
    """Inside the rollout the signal is remembered and raised at the next safe point."""
    cancel = Cancellation().install()

    with cancel.deferring():
        os.kill(os.getpid(), signal.SIGINT)
        assert cancel.requested
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    with pytest.raises(Interrupted) as error:
        cancel.check()
    assert error.value.exit_code == ExitCode.INTERRUPTED
