"""Healthchecks on public services: present, calling /health, fast enough for the rollout."""

from __future__ import annotations

import re

from alpha_deploy.checks.context import Context
from alpha_deploy.compose import Healthcheck, Service

_HEALTH_PATH = re.compile(r"/health(?![A-Za-z0-9_-])")


def check_healthchecks(ctx: Context) -> None:
    """Every public service has a healthcheck that probes /health within the timeout."""
    for service in ctx.site.public_services():
        check = service.healthcheck
        if check is None or check.disabled:
            _report_missing(ctx, service, check)
            continue
        if not _HEALTH_PATH.search(" ".join(check.test)):
            _report_path(ctx, service, check)
        _check_speed(ctx, service, check)


def _report_missing(ctx: Context, service: Service, check: Healthcheck | None) -> None:
    state = "disables its healthcheck" if check is not None else "has no healthcheck"
    message = (
        f"service {service.name!r} {state}, so the rollout cannot tell when a new replica is "
        "ready; add `healthcheck: {test: wget -q -O - http://localhost:PORT/health, "
        "interval: 5s, timeout: 2s, retries: 10}`"
    )
    path = service.path_of("healthcheck") if check is not None else service.path
    ctx.report("healthcheck-missing", path, message)


def _report_path(ctx: Context, service: Service, check: Healthcheck) -> None:
    message = (
        f"healthcheck runs {' '.join(check.test[1:]) or check.test!r} which does not call "
        "/health; probe the platform endpoint, e.g. "
        "`test: wget -q -O - http://localhost:PORT/health`"
    )
    path = "healthcheck.test" if "test" in (service.raw.get("healthcheck") or {}) else "healthcheck"
    ctx.report("healthcheck-path", service.path_of(path), message)


def _check_speed(ctx: Context, service: Service, check: Healthcheck) -> None:
    worst = check.start_period_s + check.interval_s * check.retries
    limit = ctx.policy.health_timeout
    if worst > limit:
        message = (
            f"worst case to healthy is {worst:g}s (start_period {check.start_period_s:g}s + "
            f"interval {check.interval_s:g}s x retries {check.retries}), more than the health "
            f"timeout {limit:g}s (setting health_timeout); shorten the interval or "
            "raise the timeout"
        )
        ctx.report("healthcheck-slow", service.path_of("healthcheck"), message)
