"""What the figures were measured on, read at run time."""

from __future__ import annotations

import importlib.util
import os
import platform
import statistics
import subprocess
from pathlib import Path

from deploys.host import ROOT


def describe() -> dict:
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gib": round(meminfo_kib("MemTotal") / 1024**2, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "docker": output(["docker", "version", "--format", "{{.Server.Version}}"]),
        "compose": output(["docker", "compose", "version", "--short"]),
        "load_average": os.getloadavg()[0],
    }


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def meminfo_kib(key: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def output(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True).stdout.strip()


def cold_starts(runs: int) -> dict:
    """`alpha-deploy --version` and a dry run, timed by bench/startup.py's own function."""
    spec = importlib.util.spec_from_file_location("startup", ROOT / "bench" / "startup.py")
    startup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(startup)
    figures = {}
    for name, args in (("--version", ["-m", "alpha_deploy", "--version"]),
                       ("dry run", ["-m", "alpha_deploy"])):  # fmt: skip
        startup.time_once(args)  # writes any missing .pyc, as the image build does
        samples = [startup.time_once(args) for _ in range(runs)]
        figures[name] = {
            "median_ms": round(statistics.median(samples) * 1000),
            "min_ms": round(min(samples) * 1000),
            "max_ms": round(max(samples) * 1000),
            "runs": runs,
        }
    return figures
