"""Pytest fixtures for the local Alpha host (scripts/local-alpha).

- `alpha` (session): brings the host up once per run (`scripts/local-alpha up`);
  a host that cannot be brought up fails the test, it never skips.
- `site` (function): a fresh app name, domain, site directory and compose
  project per test, removed afterwards.

Both are for tests marked `@pytest.mark.host`.
"""

import json
import re
import secrets
import shlex
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import yaml
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parent.parent
LOCAL_ALPHA = ROOT / "scripts" / "local-alpha"
UP_TIMEOUT_S = 900
EDGE_LOG = Path("/var/lib/local-alpha/edge.log")

sys.path.insert(0, str(ROOT / "scripts"))
from local_alpha.load import LoadRun  # noqa: E402 (needs the path above)


class _SniAdapter(HTTPAdapter):
    """Connects to the edge's address but speaks TLS for one domain (SNI, certificate check)."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["server_hostname"] = self.domain
        kwargs["assert_hostname"] = self.domain
        super().init_poolmanager(*args, **kwargs)


@dataclass
class AlphaHost:
    """The running local Alpha: what `env` printed, and helpers to use it."""

    env: dict[str, str]
    sessions: dict[str, requests.Session] = field(default_factory=dict)

    @property
    def host(self) -> str:
        """The SSH host (127.0.0.1)."""
        return self.env["PLUGIN_HOST"]

    @property
    def port(self) -> int:
        """The SSH port (2222)."""
        return int(self.env["PLUGIN_PORT"])

    @property
    def user(self) -> str:
        """The deploy user."""
        return self.env["PLUGIN_USER"]

    @property
    def key_path(self) -> Path:
        """The client's private key."""
        return Path(self.env["PLUGIN_SSH_KEY_PATH"])

    @property
    def known_hosts(self) -> str:
        """The known_hosts line that pins the host key."""
        return self.env["PLUGIN_KNOWN_HOSTS"]

    @property
    def known_hosts_file(self) -> Path:
        """A file holding that known_hosts line."""
        return Path(self.env["ALPHA_KNOWN_HOSTS_FILE"])

    @property
    def ca_bundle(self) -> Path:
        """The test CA that signs the edge's certificates."""
        return Path(self.env["ALPHA_CA_BUNDLE"])

    @property
    def registry(self) -> str:
        """The registry address (127.0.0.1:5000)."""
        return self.env["ALPHA_REGISTRY"]

    @property
    def edge_https(self) -> str:
        """The edge's websecure URL (https://127.0.0.1:8443)."""
        return self.env["ALPHA_EDGE_HTTPS"]

    @property
    def drain_command(self) -> str:
        """The command that makes a demo container unhealthy."""
        return self.env["ALPHA_DRAIN_COMMAND"]

    @property
    def sites_dir(self) -> Path:
        """Where sites live (/opt/alpha/sites)."""
        return Path(self.env["PLUGIN_SITES_DIR"])

    def image(self, tag: str) -> str:
        """The demo image reference for a tag: v1, v2, broken or slow."""
        return f"{self.env['ALPHA_DEMO_IMAGE']}:{tag}"

    def ssh_argv(self, command: str) -> list[str]:
        """The ssh command line that runs a shell command as deploy, host key pinned."""
        return [
            "ssh", "-p", str(self.port), "-i", str(self.key_path),
            "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={self.known_hosts_file}",
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
            f"{self.user}@{self.host}", command,
        ]  # fmt: skip

    def ssh(self, command: str, check: bool = True, timeout: float = 300):
        """Run a shell command as deploy over real ssh; CompletedProcess with text output."""
        done = subprocess.run(
            self.ssh_argv(command), capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and done.returncode != 0:
            pytest.fail(f"ssh {command!r} exited {done.returncode}:\n{done.stdout}{done.stderr}")
        return done

    def session(self, domain: str) -> requests.Session:
        """A requests session that reaches `domain` through the edge, TLS checked by the CA."""
        if domain not in self.sessions:
            session = requests.Session()
            session.trust_env = False  # REQUESTS_CA_BUNDLE and proxies must not override us
            session.verify = str(self.ca_bundle)
            session.headers["Host"] = domain
            session.mount(self.edge_https, _SniAdapter(domain))
            self.sessions[domain] = session
        return self.sessions[domain]

    def get(self, domain: str, path: str = "/", **kwargs) -> requests.Response:
        """An HTTPS GET for `domain` through the edge (SNI and Host = domain)."""
        kwargs.setdefault("timeout", 10)
        return self.session(domain).get(f"{self.edge_https}{path}", **kwargs)

    def edge_routers(self) -> dict[str, dict]:
        """The edge's routing table by router name: domains, service, servers, retry_attempts."""
        url = self.env["ALPHA_EDGE_API"]  # the edge's own http://127.0.0.1 view
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return {router["name"]: router for router in json.load(response)}

    def edge_log(self) -> str:
        """The edge's log so far."""
        return EDGE_LOG.read_text(errors="replace")

    def edge_log_mark(self) -> int:
        """The edge log's current length, to read only what comes after."""
        return len(self.edge_log())

    def load(self, domain: str, seconds: float, rate: float, path: str = "/",
             timeline: Path | None = None) -> LoadRun:  # fmt: skip
        """Start steady load on `domain` in the background; `.stop()` returns the summary."""
        return LoadRun(domain, seconds, rate, path, timeline)


def wait_until(what: str, condition: Callable[[], object], seconds: float = 30) -> object:
    """Poll until condition() is truthy and return it; fail the test after the deadline."""
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not true after {seconds:.0f} s")
        time.sleep(0.1)
    return result


def compose_yaml(app: str, domains: list[str], image: str, replicas: int = 2,
                 retry_attempts: int | None = None, healthcheck: bool = True,
                 environment: dict[str, str] | None = None,
                 labels: dict[str, str] | None = None,
                 exec_healthcheck: bool = False) -> str:  # fmt: skip
    """A site's compose file: the demo image behind the edge with Alpha's Traefik labels."""
    rule = " || ".join(f"Host(`{d}`)" for d in domains)
    router_labels = {
        "traefik.enable": "true",
        f"traefik.http.routers.{app}-web.rule": rule,
        f"traefik.http.routers.{app}-web.entrypoints": "websecure",
        f"traefik.http.routers.{app}-web.tls.certresolver": "le",
        f"traefik.http.routers.{app}-web.service": f"{app}-web",
        f"traefik.http.services.{app}-web.loadbalancer.server.port": "8080",
    }
    if retry_attempts:
        router_labels[f"traefik.http.middlewares.{app}-retry.retry.attempts"] = str(retry_attempts)
        router_labels[f"traefik.http.routers.{app}-web.middlewares"] = f"{app}-retry@docker"
    all_labels = {**router_labels, **(labels or {})}
    service: dict = {"image": image, "labels": all_labels, "deploy": {"replicas": replicas}}
    if environment:
        service["environment"] = environment
    if healthcheck:
        # The platform's form is a shell string; exec form (a list) cannot be auto-drained.
        probe = "wget -q -O - http://localhost:8080/health"
        service["healthcheck"] = {
            "test": ["CMD", *probe.split()] if exec_healthcheck else probe,
            "interval": "1s",
            "timeout": "2s",
            "retries": 3,
        }
    return yaml.safe_dump({"services": {"web": service}}, sort_keys=False)


@dataclass
class Site:
    """One test's own app: name, domains, site directory and compose project."""

    alpha: AlphaHost
    app: str

    @property
    def domain(self) -> str:
        """The site's main domain, `<app>.alpha.test`."""
        return f"{self.app}.alpha.test"

    @property
    def domains(self) -> list[str]:
        """The site's domains: the main one and its www."""
        return [self.domain, f"www.{self.domain}"]

    @property
    def directory(self) -> Path:
        """`/opt/alpha/sites/<app>`, owned by deploy."""
        return self.alpha.sites_dir / self.app

    @property
    def project(self) -> str:
        """The compose project name (the app name)."""
        return self.app

    @property
    def router(self) -> str:
        """The router (and service) name compose_yaml gives the site: `<app>-web`."""
        return f"{self.app}-web"

    @property
    def compose_file(self) -> Path:
        """`<directory>/docker-compose.yml`."""
        return self.directory / "docker-compose.yml"

    def write_compose(self, tag: str = "v1", **options) -> Path:
        """Write the site's compose file for a demo tag; options as compose_yaml takes."""
        domains = options.pop("domains", self.domains)
        text = compose_yaml(self.app, domains, self.alpha.image(tag), **options)
        self.compose_file.write_text(text)
        _chown_deploy(self.compose_file)
        return self.compose_file

    def compose(self, *args: str, check: bool = True, timeout: float = 300):
        """Run `docker compose -p <app> -f <file> ARGS` locally as root."""
        argv = ["docker", "compose", "-p", self.project, "-f", str(self.compose_file), *args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        if check and done.returncode != 0:
            pytest.fail(f"{shlex.join(argv)} exited {done.returncode}:\n{done.stderr}")
        return done

    def container_ids(self) -> list[str]:
        """The ids of the project's running containers."""
        return self.compose("ps", "-q").stdout.split()

    def servers(self) -> list[str]:
        """The servers the edge routes the site's router to (empty when no router)."""
        return self.alpha.edge_routers().get(self.router, {}).get("servers", [])

    def start(self, tag: str = "v1", **options) -> None:
        """Write the compose file, start it, and wait until the edge routes to every replica."""
        self.write_compose(tag, **options)
        self.compose("up", "-d", "--wait")
        replicas = options.get("replicas", 2)
        wait_until(f"{self.router} routed to {replicas} servers",
                   lambda: len(self.servers()) == replicas)  # fmt: skip

    def wait_rebuilt(self, log_mark: int, seconds: float = 30) -> None:
        """Wait until the edge rebuilt its table after an event on this site (log since mark)."""

        def rebuilt() -> bool:
            lines = self.alpha.edge_log()[log_mark:].splitlines()
            events = [i for i, line in enumerate(lines) if "event" in line and self.app in line]
            return bool(events) and any("routing table:" in line for line in lines[events[0] :])

        wait_until(f"edge table rebuilt after an event on {self.app}", rebuilt, seconds)

    def remove(self) -> None:
        """Take the project down with its volumes and delete the site directory."""
        subprocess.run(
            ["docker", "compose", "-p", self.project, "down", "-v", "--remove-orphans", "-t", "5"],
            capture_output=True, check=False, timeout=120,
        )  # fmt: skip
        subprocess.run(["rm", "-rf", str(self.directory)], check=False)


def app_name(test_name: str) -> str:
    """A unique app name from a test name: lower case, [a-z0-9-], random suffix."""
    base = re.sub(r"[^a-z0-9]+", "-", test_name.lower().removeprefix("test_")).strip("-")
    return f"{base[:40].rstrip('-')}-{secrets.token_hex(3)}"


def _chown_deploy(path: Path) -> None:
    subprocess.run(["chown", "deploy:deploy", str(path)], check=True)


def parse_env(text: str) -> dict[str, str]:
    """The variables of `local-alpha env` output (`export NAME=VALUE` lines)."""
    values = {}
    for line in text.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export":
            name, _, value = words[1].partition("=")
            values[name] = value
    return values


def local_alpha(*args: str, timeout: float = UP_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Run scripts/local-alpha with arguments, output captured."""
    return subprocess.run(
        [str(LOCAL_ALPHA), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="session")
def alpha() -> AlphaHost:
    """The local Alpha, brought up once per run; failing to bring it up fails the test."""
    up = local_alpha("up")
    if up.returncode != 0:
        pytest.fail(f"scripts/local-alpha up failed ({up.returncode}):\n{up.stderr[-4000:]}")
    env = local_alpha("env")
    if env.returncode != 0:
        pytest.fail(f"scripts/local-alpha env failed:\n{env.stderr}")
    return AlphaHost(parse_env(env.stdout))


@pytest.fixture
def site(alpha: AlphaHost, request: pytest.FixtureRequest):
    """A fresh site for this test: app name, domains, directory and project; removed after."""
    made = Site(alpha, app_name(request.node.name))
    made.directory.mkdir(parents=True)
    _chown_deploy(made.directory)
    yield made
    made.remove()
