"""The health gate: ``GET https://DOMAIN/health`` through Traefik, for every domain.

Each probe connects to ``probe_address`` (the host's Traefik on 443 unless
set), sends the domain as SNI and Host, and verifies the certificate against
``ca_bundle`` or the system store: exactly what a visitor's browser does.
A release passes when every domain answered 200 several times in a row.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_result, stop_after_delay, wait_fixed

from alpha_deploy.console import Console
from alpha_deploy.settings import Settings


class ProbeAdapter(HTTPAdapter):
    """Connects to a fixed address while speaking TLS to the domain (SNI and certificate)."""

    def __init__(self, domain: str, **kwargs: Any) -> None:
        self.domain = domain
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["server_hostname"] = self.domain
        kwargs["assert_hostname"] = self.domain
        super().init_poolmanager(*args, **kwargs)


@dataclass
class DomainProbe:
    domain: str
    streak: int = 0
    attempts: int = 0
    last: str = "not probed"
    history: list[str] = field(default_factory=list)


def probe_session(domain: str) -> requests.Session:
    session = requests.Session()
    session.mount("https://", ProbeAdapter(domain, max_retries=0))
    return session


def probe_once(settings: Settings, probe: DomainProbe, session: requests.Session) -> bool:
    """One GET; ``True`` when it answered 200."""
    host, port = settings.probe_target
    address = f"[{host}]" if ":" in host else host
    url = f"https://{address}:{port}{settings.health_path}"
    verify: bool | str = settings.ca_bundle or True
    probe.attempts += 1
    try:
        response = session.get(
            url,
            headers={"Host": probe.domain},
            verify=verify,
            timeout=min(10.0, settings.health_interval * 5),
            allow_redirects=False,
        )
        probe.last = f"HTTP {response.status_code}"
        ok = response.status_code == 200
    except requests.RequestException as error:
        probe.last = f"{type(error).__name__}: {str(error)[:160]}"
        ok = False
    probe.streak = probe.streak + 1 if ok else 0
    probe.history.append(probe.last)
    return ok


@dataclass
class GateResult:
    healthy: bool
    probes: list[DomainProbe]
    reason: str = ""

    def summary(self) -> list[dict[str, Any]]:
        return [
            {"domain": p.domain, "last": p.last, "attempts": p.attempts, "consecutive_ok": p.streak}
            for p in self.probes
        ]


def health_gate(
    settings: Settings,
    domains: list[str],
    console: Console,
    should_stop: Callable[[], bool],
    timeout: float | None = None,
) -> GateResult:
    """Probe every domain until each has ``health_successes`` 200s in a row, or time runs out."""
    timeout = settings.health_timeout if timeout is None else timeout
    probes = [DomainProbe(domain) for domain in domains]
    sessions = {p.domain: probe_session(p.domain) for p in probes}
    needed = settings.health_successes

    def round_of_probes() -> bool:
        for probe in probes:
            if probe.streak < needed:
                probe_once(settings, probe, sessions[probe.domain])
        return all(p.streak >= needed for p in probes) or should_stop()

    def log_round(state: RetryCallState) -> None:
        waiting = [f"{p.domain}: {p.last}" for p in probes if p.streak < needed]
        console.info(f"probe round {state.attempt_number}: waiting for {'; '.join(waiting)}")

    start = time.monotonic()
    retrying = Retrying(
        stop=stop_after_delay(timeout),
        wait=wait_fixed(settings.health_interval),
        retry=retry_if_result(lambda done: not done),
        before_sleep=log_round,
        retry_error_callback=lambda state: False,
    )
    passed = retrying(round_of_probes) and not should_stop()
    for session in sessions.values():
        session.close()
    if passed:
        return GateResult(True, probes)
    reason = (
        "cancelled"
        if should_stop()
        else (
            f"not healthy through Traefik after {time.monotonic() - start:.0f}s "
            f"(PLUGIN_HEALTH_TIMEOUT={timeout:.0f})"
        )
    )
    return GateResult(False, probes, reason)
