"""Automatic drain: take an old replica out of Traefik before it is stopped.

Traefik drops a replica only when it dies or turns unhealthy, and a replica
that has died stays in its router for the provider's throttle: requests sent
to it then hang or fail. So the plugin wraps each public service's shell
healthcheck with one more condition, "no drain file", and drains an old
replica by creating that file: its healthcheck fails, Traefik drops it, and
only then is it stopped. This is the same idea as Kamal's "cord".

Only ``CMD-SHELL`` healthchecks are wrapped, since they already need a shell
in the image; a service with an exec-form healthcheck, or ``auto_drain:
false``, is stopped one replica at a time instead.
"""

from __future__ import annotations

import shlex

from alpha_deploy.compose import Service, Site
from alpha_deploy.settings import Settings

DRAIN_FILE = "/tmp/.alpha-deploy-drained"  # noqa: S108 (inside the replica, not on the host)


def wrapped_test(service: Service) -> list[str] | None:
    """The service's healthcheck with the drain condition, or None if it cannot be wrapped."""
    check = service.healthcheck
    if check is None or check.disabled or check.test[:1] != ["CMD-SHELL"] or len(check.test) < 2:
        return None
    return ["CMD-SHELL", f"( {check.test[1]} ) && [ ! -e {DRAIN_FILE} ]"]


def health_tests(site: Site, settings: Settings) -> dict[str, list[str]]:
    """Service -> wrapped healthcheck test, for every public service that can be auto-drained."""
    if not settings.auto_drain or settings.drain_command:
        return {}
    tests = {}
    for service in site.public_services():
        test = wrapped_test(service)
        if test is not None:
            tests[service.name] = test
    return tests


def is_drainable(health_test: list[str]) -> bool:
    """Whether a running replica was created with the drain condition."""
    return any(DRAIN_FILE in part for part in health_test)


def drain_command() -> str:
    return f": > {shlex.quote(DRAIN_FILE)}"


def undrain_command() -> str:
    return f"rm -f {shlex.quote(DRAIN_FILE)}"
