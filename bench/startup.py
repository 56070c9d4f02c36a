"""Cold start of the plugin: `--version` and a dry run of the example site.

Each run is a fresh Python process (no warm interpreter, .pyc files already
written, as in the image). Prints the median and spread of N runs, then the
heaviest imports of one dry run from `python -X importtime`.

    .venv/bin/python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SITE = ROOT / "tests" / "examples" / "demo"
SSH_STACK = ("paramiko", "fabric", "invoke")


def environment() -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PLUGIN_", "CI_"))}
    return {
        **base,
        "NO_COLOR": "1",
        "CI_WORKSPACE": str(EXAMPLE_SITE),
        "CI_REPO_NAME": "demo",
        "PLUGIN_DRY_RUN": "true",
        "PLUGIN_REGISTRY": "127.0.0.1:5000",
    }


def time_once(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, *args], env=environment(), check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def measure(name: str, args: list[str], runs: int) -> None:
    time_once(args)  # writes any missing .pyc, like the image build does
    samples = sorted(time_once(args) for _ in range(runs))
    print(
        f"{name:<10} median {statistics.median(samples) * 1000:6.0f} ms   "
        f"min {samples[0] * 1000:5.0f} ms   max {samples[-1] * 1000:5.0f} ms   ({runs} runs)"
    )


def import_times(args: list[str]) -> dict[str, int]:
    """Cumulative microseconds of each package root and each alpha_deploy module."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        env=environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    totals: dict[str, int] = {}
    for line in completed.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| \s*(\S+)", line)
        if match and ("." not in match.group(2) or match.group(2).startswith("alpha_deploy.")):
            name = match.group(2)
            totals[name] = max(totals.get(name, 0), int(match.group(1)))
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    measure("--version", ["-m", "alpha_deploy", "--version"], runs)
    measure("dry run", ["-m", "alpha_deploy"], runs)
    totals = import_times(["-m", "alpha_deploy"])
    print("heaviest imports in a dry run (cumulative):")
    for name, micros in sorted(totals.items(), key=lambda item: -item[1])[:10]:
        print(f"  {name:<26} {micros / 1000:6.1f} ms")
    loaded = sorted(set(SSH_STACK) & set(totals))
    print("SSH stack imported in a dry run:", ", ".join(loaded) if loaded else "none")
    return 1 if loaded else 0


if __name__ == "__main__":
    sys.exit(main())
