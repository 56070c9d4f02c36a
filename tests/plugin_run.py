"""Running the plugin image the way Woodpecker runs a plugin step.

The workspace is mounted under ``/woodpecker/src/...``, ``CI_*`` and
``PLUGIN_*`` come in as environment (secrets included, as Woodpecker passes
``from_secret`` values), and the exit code and the log are what the step sees.
Values travel as ``-e NAME`` without ``=VALUE`` so they never show on the
``docker run`` command line.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alpha_host import AlphaHost, Site, compose_yaml

IMAGE = os.environ.get("ALPHA_DEPLOY_IMAGE", "mintel/alpha-deploy:dev")
WORKSPACE_ROOT = "/woodpecker/src/git.example.com/mintel"


@dataclass
class Workspace:
    """A repository checkout for one site: its compose file and the plugin's report."""

    site: Site
    path: Path

    @property
    def mount(self) -> str:
        return f"{WORKSPACE_ROOT}/{self.site.app}"

    def write(self, tag: str, start_period: str | None = None, router_app: str | None = None,
              **options: Any) -> None:  # fmt: skip
        """Commit a compose file that runs the demo image at ``tag``.

        ``router_app`` names the routers after another app (to provoke a clash);
        ``start_period`` gives the healthcheck one (for the slow release).
        """
        domains = options.pop("domains", self.site.domains)
        text = compose_yaml(router_app or self.site.app, domains, self.site.alpha.image(tag),
                            **options)  # fmt: skip
        if start_period:
            data = yaml.safe_load(text)
            data["services"]["web"]["healthcheck"]["start_period"] = start_period
            text = yaml.safe_dump(data, sort_keys=False)
        (self.path / "docker-compose.yml").write_text(text)

    def write_text(self, text: str) -> None:
        (self.path / "docker-compose.yml").write_text(text)

    def report(self) -> dict[str, Any]:
        return json.loads((self.path / "report.json").read_text())


def make_workspace(site: Site, tmp_path: Path) -> Workspace:
    path = tmp_path / "workspace"
    path.mkdir(parents=True)

    path.chmod(0o777)  # the plugin runs as a non-root user and writes its report here
    return Workspace(site, path)


def woodpecker_env(alpha: AlphaHost, workspace: Workspace, **settings: str) -> dict[str, str]:
    """What Woodpecker would set for a deploy step of this site on push to main."""
    env = {
        "CI": "woodpecker",
        "CI_WORKSPACE": workspace.mount,
        "CI_REPO_NAME": workspace.site.app,
        "CI_REPO": f"mintel/{workspace.site.app}",
        "CI_COMMIT_SHA": secrets.token_hex(20),
        "CI_COMMIT_AUTHOR": "tester",
        "CI_PIPELINE_EVENT": "push",
        "CI_PIPELINE_NUMBER": str(secrets.randbelow(10_000)),
        "PLUGIN_HOST": alpha.host,
        "PLUGIN_PORT": str(alpha.port),
        "PLUGIN_USER": alpha.user,
        "PLUGIN_SSH_KEY": alpha.key_path.read_text(),
        "PLUGIN_KNOWN_HOSTS": alpha.known_hosts,
        "PLUGIN_PROBE_ADDRESS": alpha.env["PLUGIN_PROBE_ADDRESS"],
        "PLUGIN_CA_BUNDLE": str(alpha.ca_bundle),
        "PLUGIN_REGISTRY": alpha.registry,
        "PLUGIN_SITES_DIR": str(alpha.sites_dir),
        # Test sites share the demo image, which is named after no app.
        "PLUGIN_IGNORE_RULES": "image-registry",
        "PLUGIN_HEALTH_INTERVAL": "0.5",
        "PLUGIN_REPORT_FILE": f"{workspace.mount}/report.json",
    }
    env.update({f"PLUGIN_{key.upper()}": value for key, value in settings.items()})
    return env


@dataclass
class StepRun:
    """A plugin step running in the background."""

    process: subprocess.Popen[str]
    name: str
    output: str = ""
    exit_code: int | None = None
    lines: list[str] = field(default_factory=list)

    def wait(self, timeout: float = 600) -> StepRun:
        self.output, _ = self.process.communicate(timeout=timeout)
        self.exit_code = self.process.returncode
        return self

    def terminate(self) -> None:
        """What Woodpecker does on cancel: SIGTERM to the container."""
        subprocess.run(["docker", "kill", "--signal", "TERM", self.name], check=False,
                       capture_output=True)  # fmt: skip


def start_step(alpha: AlphaHost, workspace: Workspace, **settings: str) -> StepRun:
    env = woodpecker_env(alpha, workspace, **settings)
    name = f"step-{workspace.site.app}-{secrets.token_hex(3)}"
    argv = ["docker", "run", "--rm", "--name", name, "--network", "host",
            "-v", f"{workspace.path}:{workspace.mount}", "-w", workspace.mount,
            "-v", f"{alpha.ca_bundle}:{alpha.ca_bundle}:ro"]  # fmt: skip
    for key in env:
        argv += ["-e", key]
    process = subprocess.Popen(
        [*argv, IMAGE], env={**os.environ, **env}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    return StepRun(process, name)


def run_step(alpha: AlphaHost, workspace: Workspace, timeout: float = 600,
             **settings: str) -> StepRun:  # fmt: skip
    """Run one plugin step to its end."""
    step = start_step(alpha, workspace, **settings)
    try:
        return step.wait(timeout)
    except subprocess.TimeoutExpired:
        step.terminate()
        os.killpg(step.process.pid, signal.SIGKILL)
        raise


def current_release(site: Site) -> dict[str, Any] | None:
    """What the host records as the site's serving release."""
    path = site.directory / ".alpha" / "current.json"
    return json.loads(path.read_text()) if path.exists() else None


def serving_versions(site: Site, requests_count: int = 8) -> set[str]:
    """The versions the site's domain answers with through the edge (``demo v1`` bodies)."""
    bodies = set()
    for _ in range(requests_count):
        response = site.alpha.get(site.domain, "/")
        bodies.add(f"{response.status_code} {response.text.split()[1] if response.ok else ''}")
    return bodies
