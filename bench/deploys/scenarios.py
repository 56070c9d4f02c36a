"""The scenarios and one measured run of each: v1 deployed, then v2 (or broken) under load."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from deploys.host import ROOT, Bench, HealthSampler, domain

RATE = 50  # requests per second through the edge; the machine has 2 cores
BASELINE_S = 2.5  # load before the deploy starts
SETTLE_S = 4.0  # load after the site is healthy again (edge throttle is 2 s)
GIVE_UP_S = 10.0  # load after the command exits when the site never recovers
PLUGIN = ROOT / ".venv" / "bin" / "alpha-deploy"
HOOK = Path(__file__).parent / "hook"


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    tool: str  # "compose" (today's deploy) or "plugin"
    settings: dict[str, str] = field(default_factory=dict)
    retry: bool = False
    release: str = "v2"

    @property
    def broken(self) -> bool:
        return self.release == "broken"


NO_DRAIN = {"PLUGIN_AUTO_DRAIN": "false"}
SCENARIOS = [
    Scenario("a", "A: compose pull && up -d", "compose"),
    Scenario("b", "B: rolling, plain (auto drain)", "plugin"),
    Scenario("bn", "B: rolling, plain, no drain", "plugin", NO_DRAIN),
    Scenario("bra", "B: rolling, retry middleware (auto drain)", "plugin", retry=True),
    Scenario("br", "B: rolling, retry middleware, no drain", "plugin", NO_DRAIN, retry=True),
    Scenario("bd", "B: rolling, drain_command", "plugin", {"PLUGIN_DRAIN_COMMAND": "$DRAIN"}),
    Scenario("c", "C: recreate", "plugin", {"PLUGIN_STRATEGY": "recreate"}),
    Scenario("da", "D: broken release, compose", "compose", release="broken"),
    Scenario("dp", "D: broken release, alpha-deploy", "plugin", release="broken"),
]


@dataclass
class Run:
    """One scenario's run on its own fresh site."""

    bench: Bench
    scenario: Scenario
    repetition: int
    out: Path

    def __post_init__(self) -> None:
        self.app = f"bench-{self.scenario.key}-{self.repetition}-{secrets.token_hex(2)}"
        self.workspace = self.out / "sites" / self.app
        self.workspace.mkdir(parents=True)

    # --- the run, as phases ---------------------------------------------------
    def measure(self) -> dict:
        try:
            self.deploy("v1", measured=False)
            self.bench.wait_serving(self.app)
            return self.deploy_under_load()
        finally:
            self.bench.remove_site(self.app)

    def deploy_under_load(self) -> dict:
        sampler = HealthSampler(self.app)
        sampler.start()
        load = self.start_load()
        time.sleep(BASELINE_S)
        started = time.monotonic()
        step = self.deploy(self.scenario.release, measured=True)
        ended = self.settle(sampler, started + step["wall_s"])
        summary = self.stop_load(load)
        sampler.stop()
        return {
            **self.identity(),
            **step,
            "load": summary,
            "load_offset_s": round(summary["started_monotonic"] - started, 4),
            "no_healthy_s": sampler.seconds_without_healthy(started, ended),
            "observed_s": round(ended - started, 2),
        }

    def identity(self) -> dict:
        return {
            "scenario": self.scenario.key,
            "label": self.scenario.label,
            "repetition": self.repetition,
            "app": self.app,
            "rate": RATE,
        }

    def settle(self, sampler: HealthSampler, exited: float) -> float:
        """Keep the load on until the site is healthy again plus the edge's throttle."""
        while time.monotonic() < exited + GIVE_UP_S:
            if sampler.healthy_now() and not self.scenario.broken:
                time.sleep(SETTLE_S)
                return time.monotonic()
            time.sleep(0.1)
        return time.monotonic()

    # --- load -------------------------------------------------------------------
    def start_load(self) -> subprocess.Popen:
        argv = ["--host", domain(self.app), "--seconds", "900", "--rate", str(RATE)]
        argv += ["--timeline", str(self.workspace / "timeline.jsonl")]
        return subprocess.Popen(
            [sys.executable, "-m", "deploys.loadgen", *argv],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT / 'scripts'}"},
        )

    def stop_load(self, load: subprocess.Popen) -> dict:
        load.send_signal(signal.SIGTERM)
        output, _ = load.communicate(timeout=60)
        return json.loads(output.strip().splitlines()[-1])

    # --- one deploy, with either tool --------------------------------------------
    def deploy(self, tag: str, measured: bool) -> dict:
        compose = self.bench.compose_text(self.app, tag, retry=self.scenario.retry)
        (self.workspace / "docker-compose.yml").write_text(compose)
        if self.scenario.tool == "compose":
            self.upload(compose)
            argv = self.bench.alpha.ssh_argv(
                f"cd {self.site_dir()} && docker compose pull && docker compose up -d"
            )
            return timed_child(argv, os.environ.copy(), self.log(tag))
        return self.plugin(tag, measured)

    def site_dir(self) -> str:
        return f"{self.bench.alpha.sites_dir}/{self.app}"

    def upload(self, compose: str) -> None:
        """Today's way: the compose file copied into the site directory as deploy."""
        argv = self.bench.alpha.ssh_argv(
            f"mkdir -p {self.site_dir()} && cat > {self.site_dir()}/docker-compose.yml"
        )
        subprocess.run(argv, input=compose, text=True, check=True, capture_output=True)

    def log(self, tag: str) -> Path:
        return self.workspace / f"deploy-{tag}.log"

    def plugin(self, tag: str, measured: bool) -> dict:
        report = self.workspace / f"report-{tag}.json"
        timing = self.workspace / f"timing-{tag}.json"
        env = self.plugin_env(report)
        if measured:
            env.update(BENCH_TIMING_FILE=str(timing), PYTHONPATH=str(HOOK))
        step = timed_child([str(PLUGIN)], env, self.log(tag))
        if not measured:
            if step["exit_code"] != 0:
                raise RuntimeError(f"first deploy of {self.app} failed: see {self.log(tag)}")
            return step
        return {**step, **plugin_figures(step["wall_s"], report, timing)}

    def plugin_env(self, report: Path) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PLUGIN_", "CI_"))}
        extra = {
            key: value.replace("$DRAIN", self.bench.env["ALPHA_DRAIN_COMMAND"])
            for key, value in self.scenario.settings.items()
        }
        return {
            **base,
            **{k: v for k, v in self.bench.env.items() if k.startswith("PLUGIN_")},
            "NO_COLOR": "1",
            "CI_WORKSPACE": str(self.workspace),
            "PLUGIN_APP": self.app,
            "PLUGIN_IGNORE_RULES": "image-registry",
            "PLUGIN_HEALTH_INTERVAL": "0.5",
            "PLUGIN_REPORT_FILE": str(report),
            **extra,
        }


def timed_child(argv: list[str], env: dict[str, str], log: Path) -> dict:
    """Run a command as a child; its wall time, exit code, CPU seconds and peak memory."""
    with log.open("w") as out:
        started = time.monotonic()
        child = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_s": round(wall, 3),
        "exit_code": child.returncode,
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def plugin_figures(wall: float, report_path: Path, timing_path: Path) -> dict:
    """Phases from the report; the plugin's own overhead from the timing hook."""
    report = json.loads(report_path.read_text())
    phases = {p["name"]: p["seconds"] for p in report["phases"]}
    timing = json.loads(timing_path.read_text())
    waiting = timing["remote_s"] + timing["probe_s"] + timing["sleep_s"]
    return {
        "outcome": report["outcome"],
        "phases": phases,
        "timing": timing,
        "overhead_s": round(wall - waiting, 3),
        "overhead_phases_s": round(wall - phases.get("pull", 0) - phases.get("rollout", 0), 3),
    }
