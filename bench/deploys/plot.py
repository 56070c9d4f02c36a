"""docs/benchmarks-requests.png: every request of one deploy, A beside alpha-deploy.

Runs in bench/.venv (matplotlib only); reads bench/results/results.json and the
timelines next to it. For each panel it picks the run whose failure count is
the scenario's median, so the picture shows a typical run, not the best one.

    bench/.venv/bin/python bench/deploys/plot.py
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # the backend must be chosen before this import

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
PICTURE = ROOT / "docs" / "benchmarks-requests.png"
PANELS = [
    ("a", "b"),  # v1 -> v2: today's deploy, alpha-deploy rolling (defaults)
    ("da", "dp"),  # v1 -> broken
]
OK, FAILED = "#2a9d3f", "#d62828"


def typical(runs: list[dict], key: str) -> dict | None:
    mine = sorted(
        (r for r in runs if r["scenario"] == key and "error" not in r),
        key=lambda r: r["load"]["failed"],
    )
    return mine[(len(mine) - 1) // 2] if mine else None


def requests_of(run: dict) -> list[dict]:
    lines = (RESULTS / "sites" / run["app"] / "timeline.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def draw(axes, run: dict) -> None:
    requests = requests_of(run)
    for ok, colour, name in ((True, OK, "ok"), (False, FAILED, "failed")):
        chosen = (
            [r for r in requests if (r.get("status") or 999) < 400]
            if ok
            else [r for r in requests if (r.get("status") or 999) >= 400]
        )
        axes.scatter(
            [r["start_s"] + run["load_offset_s"] for r in chosen],
            [max(r["latency_ms"], 1) for r in chosen],
            s=7 if ok else 12,
            c=colour,
            marker="o" if ok else "x",
            linewidths=1,
            label=f"{name} ({len(chosen)})",
        )
    axes.axvspan(0, run["wall_s"], color="#999999", alpha=0.15, lw=0)
    axes.axvline(run["wall_s"], color="#555555", lw=1, ls="--")
    failed, total = run["load"]["failed"], run["load"]["total"]
    axes.set_title(
        f"{run['label']}\n{failed} of {total} requests failed, "
        f"step exited {run['exit_code']} after {run['wall_s']:.1f} s",
        fontsize=9,
    )
    axes.set_yscale("log")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper right", fontsize=8)


def main() -> None:
    results = json.loads((RESULTS / "results.json").read_text())
    rows = [(typical(results["runs"], a), typical(results["runs"], b)) for a, b in PANELS]
    rows = [row for row in rows if all(row)]
    figure, grid = plt.subplots(
        len(rows), 2, figsize=(12, 3.6 * len(rows)), sharex="row", sharey=True, squeeze=False
    )
    for (left, right), axes in zip(rows, grid, strict=True):
        draw(axes[0], left)
        draw(axes[1], right)
    for axes in grid[-1]:
        axes.set_xlabel("seconds since the deploy step started (grey: the step running)")
    for axes in grid[:, 0]:
        axes.set_ylabel("request latency (ms, log)")
    rate = statistics.median(r.get("rate", 0) for r in results["runs"] if "error" not in r)
    figure.suptitle(
        f"Every request through the edge during one deploy ({rate:.0f} requests/s)", fontsize=11
    )
    figure.tight_layout()
    figure.savefig(PICTURE, dpi=110)
    print(f"--> wrote {PICTURE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
