"""The local host as the bench sees it: settings, ssh, sites, replica health, the edge."""

from __future__ import annotations

import http.client
import json
import shlex
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCAL_ALPHA = ROOT / "scripts" / "local-alpha"
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "scripts")]

from alpha_host import AlphaHost, compose_yaml  # noqa: E402 (needs the path above)

SAMPLE_EVERY_S = 0.25


def local_alpha_env() -> dict[str, str]:
    """The PLUGIN_* and ALPHA_* values `scripts/local-alpha env` prints."""
    text = subprocess.run(
        [str(LOCAL_ALPHA), "env"], capture_output=True, text=True, check=True
    ).stdout
    lines = [line.removeprefix("export ") for line in text.splitlines() if "=" in line]
    return dict(shlex.split(line)[0].split("=", 1) for line in lines)


@dataclass
class Bench:
    """The running local host plus the helpers every scenario needs."""

    env: dict[str, str]
    alpha: AlphaHost = field(init=False)

    def __post_init__(self) -> None:
        self.alpha = AlphaHost(self.env)

    def compose_text(self, app: str, tag: str, retry: bool = False) -> str:
        return compose_yaml(
            app, [domain(app)], self.alpha.image(tag), retry_attempts=3 if retry else None
        )

    def serves(self, app: str) -> bool:
        try:
            return self.alpha.get(domain(app), timeout=2).status_code == 200
        except OSError:
            return False

    def wait_serving(self, app: str, seconds: float = 30) -> None:
        """Until the edge answers 200 for the site three times in a row."""
        deadline, streak = time.monotonic() + seconds, 0
        while streak < 3:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{domain(app)} not served after {seconds:.0f}s")
            streak = streak + 1 if self.serves(app) else 0
            time.sleep(0.2)

    def remove_site(self, app: str) -> None:
        """Every container of the project, its network and the site directory."""
        ids = docker_api("GET", containers_path(app)) or []
        for item in ids:
            docker_api("DELETE", f"/containers/{item['Id']}?force=1&v=1")
        subprocess.run(["docker", "network", "rm", f"{app}_default"], capture_output=True)
        subprocess.run(["rm", "-rf", str(self.alpha.sites_dir / app)], check=True)


def domain(app: str) -> str:
    return f"{app}.alpha.test"


class _UnixConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect("/var/run/docker.sock")


def docker_api(method: str, path: str):
    """One call to the Docker Engine API on its socket; the decoded JSON or None."""
    connection = _UnixConnection("docker", timeout=10)
    try:
        connection.request(method, path)
        body = connection.getresponse().read()
    finally:
        connection.close()
    return json.loads(body) if body.strip() else None


def containers_path(app: str) -> str:
    filters = json.dumps({"label": [f"com.docker.compose.project={app}"]})
    return f"/containers/json?all=1&filters={urllib.parse.quote(filters)}"


def healthy_count(app: str) -> int:
    """Containers of the project that are running and report healthy, as `docker ps` shows."""
    items = docker_api("GET", containers_path(app)) or []
    return sum(1 for c in items if c["State"] == "running" and "(healthy)" in c["Status"])


class HealthSampler(threading.Thread):
    """Samples the project's healthy replicas every 0.25 s in the background."""

    def __init__(self, app: str) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.samples: list[tuple[float, int]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.samples.append((time.monotonic(), healthy_count(self.app)))
            self.stopped.wait(SAMPLE_EVERY_S)

    def stop(self) -> None:
        self.stopped.set()
        self.join()

    def healthy_now(self) -> bool:
        return bool(self.samples) and self.samples[-1][1] > 0

    def seconds_without_healthy(self, start: float, end: float) -> float:
        """Time in [start, end] whose preceding sample saw no healthy replica."""
        total = 0.0
        points = [s for s in self.samples if s[0] <= end]
        for (at, count), (following, _) in zip(points, [*points[1:], (end, 0)], strict=True):
            if count == 0 and following > start:
                total += min(following, end) - max(at, start)
        return round(total, 2)
