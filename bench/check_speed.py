"""Time load + check of a generated 500-service compose file; prints the median.

Run: .venv/bin/python bench/check_speed.py [services] [runs]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from alpha_deploy.checks import Policy, check_site
from alpha_deploy.compose import load_site

SERVICE = """\
  web{n}:
    <<: *common
    image: registry.infra.mintel.me/mintel/klz:${{TAG:-1.0.{n}}}
    labels:
      - traefik.enable=true
      - traefik.http.routers.klz-web{n}.rule=Host(`s{n}.klz.com`) || Host(`www.s{n}.klz.com`)
      - traefik.http.routers.klz-web{n}.entrypoints=websecure
      - traefik.http.routers.klz-web{n}.tls.certresolver=le
      - traefik.http.services.klz-web{n}.loadbalancer.server.port=3000
    environment:
      DATABASE_URL: postgres://infra:infra@postgres:5432/klz_site
      REDIS_URL: redis://redis:6379/{redis}
    volumes:
      - ./data/{n}:/data
"""
HEADER = """\
x-common: &common
  healthcheck:
    test: [CMD, wget, -q, -O, -, http://localhost:3000/health]
    interval: 5s
    retries: 10
  deploy:
    replicas: 2
services:
"""


def compose_text(services: int) -> str:
    """A compose file with ``services`` public services that follow every rule."""
    body = "".join(SERVICE.format(n=n, redis=n % 16) for n in range(services))
    return HEADER + body


def time_once(path: Path) -> float:
    start = time.perf_counter()
    findings = check_site(load_site(path, {}), Policy(app="klz"))
    elapsed = time.perf_counter() - start
    assert not findings, findings[:3]
    return elapsed


def main(services: int = 500, runs: int = 7) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "docker-compose.yml"
        path.write_text(compose_text(services))
        timings = [time_once(path) for _ in range(runs)]
        size = path.stat().st_size
    median = statistics.median(timings)
    print(
        f"{services} services, {size} bytes: median {median * 1000:.0f} ms over {runs} runs "
        f"(min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
