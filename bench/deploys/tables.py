"""The generated part of docs/benchmarks.md: machine, tables per scenario, targets."""

from __future__ import annotations

import statistics
from collections.abc import Callable

from deploys.host import ROOT
from deploys.scenarios import SCENARIOS

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- bench/run writes from here to the end marker; edit bench/deploys/tables.py -->"
END = "<!-- end of bench/run's part -->"
DASH = "\u2013"  # en dash, for ranges

METRICS: list[tuple[str, Callable[[dict], float | None], str]] = [
    ("failed requests", lambda r: r["load"]["failed"], "{:.0f}"),
    ("requests sent", lambda r: r["load"]["total"], "{:.0f}"),
    ("longest run of failures (ms)", lambda r: r["load"]["longest_failure_ms"], "{:.0f}"),
    ("seconds with no healthy replica", lambda r: r["no_healthy_s"], "{:.2f}"),
    ("wall time of the step (s)", lambda r: r["wall_s"], "{:.1f}"),
    ("exit code", lambda r: r["exit_code"], "{:.0f}"),
    ("CPU seconds of the step's process", lambda r: r["cpu_s"], "{:.2f}"),
    ("peak memory (MiB)", lambda r: r["peak_rss_mb"], "{:.0f}"),
    ("plugin overhead (s)", lambda r: r.get("overhead_s"), "{:.2f}"),
    ("  waiting on remote commands (s)", lambda r: r.get("timing", {}).get("remote_s"), "{:.1f}"),
    ("  waiting in health polls and pauses (s)", lambda r: _waits(r.get("timing")), "{:.1f}"),
    ("wall - (pull + rollout phases) (s)", lambda r: r.get("overhead_phases_s"), "{:.2f}"),
]


def _waits(timing: dict | None) -> float | None:
    return None if timing is None else timing["sleep_s"] + timing["probe_s"]


def runs_of(results: dict, key: str) -> list[dict]:
    return [r for r in results["runs"] if r["scenario"] == key and "error" not in r]


def spread(values: list[float], form: str) -> str:
    if not values:
        return DASH
    middle = form.format(statistics.median(values))
    if min(values) == max(values):
        return f"{middle} | {middle}"
    return f"{middle} | {form.format(min(values))}{DASH}{form.format(max(values))}"


def scenario_table(runs: list[dict]) -> list[str]:
    lines = [f"| | median | range (min{DASH}max) |", "|---|---|---|"]
    for name, get, form in METRICS:
        values = [v for v in map(get, runs) if v is not None]
        if values:
            lines.append(f"| {name.strip()} | {spread(values, form)} |")
    return lines


def summary_table(results: dict) -> list[str]:
    lines = [
        "| scenario | failed / sent (median) | longest failure run | no healthy replica "
        "| wall time | exit codes |",
        "|---|---|---|---|---|---|",
    ]
    for scenario in SCENARIOS:
        runs = runs_of(results, scenario.key)
        if not runs:
            continue
        failed = statistics.median(r["load"]["failed"] for r in runs)
        sent = statistics.median(r["load"]["total"] for r in runs)
        longest = statistics.median(r["load"]["longest_failure_ms"] for r in runs)
        healthless = statistics.median(r["no_healthy_s"] for r in runs)
        wall = statistics.median(r["wall_s"] for r in runs)
        codes = ", ".join(sorted({str(r["exit_code"]) for r in runs}))
        lines.append(
            f"| {scenario.label} | {failed:.0f} / {sent:.0f} | {longest:.0f} ms "
            f"| {healthless:.2f} s | {wall:.1f} s | {codes} |"
        )
    return lines


def median_of(results: dict, key: str, get: Callable[[dict], float]) -> float | None:
    runs = runs_of(results, key)
    return statistics.median(map(get, runs)) if runs else None


def targets(results: dict) -> list[str]:
    def failed(key: str) -> float | None:
        return median_of(results, key, lambda r: r["load"]["failed"])

    def worst(key: str, get: Callable[[dict], float]) -> float | None:
        runs = runs_of(results, key)
        return max(map(get, runs)) if runs else None

    a_failed = failed("a")
    rows = [
        ("B with retry middleware (auto drain): 0 failed",
         worst("bra", lambda r: r["load"]["failed"]), "== 0"),
        ("B with retry middleware alone (no drain): 0 failed",
         worst("br", lambda r: r["load"]["failed"]), "== 0"),
        ("B with drain_command: 0 failed", worst("bd", lambda r: r["load"]["failed"]), "== 0"),
        ("B plain (auto drain): ≤ a tenth of A's median failures",
         failed("b"), f"<= {a_failed / 10:.1f}" if a_failed is not None else None),
        ("B plain, no drain: ≤ a tenth of A's median failures",
         failed("bn"), f"<= {a_failed / 10:.1f}" if a_failed is not None else None),
        ("D alpha-deploy: exits non-zero in every run (lowest exit code)",
         min((r["exit_code"] for r in runs_of(results, "dp")), default=None), "!= 0"),
        ("D alpha-deploy: 0 failed", worst("dp", lambda r: r["load"]["failed"]), "== 0"),
        ("D compose: exits 0 (the broken release is not reported)",
         worst("da", lambda r: abs(r["exit_code"])), "== 0"),
        ("plugin overhead < 1.5 s (worst run of any scenario)",
         max((r["overhead_s"] for r in results["runs"] if "overhead_s" in r), default=None),
         "< 1.5"),
    ]  # fmt: skip
    lines = ["| target | measured (worst run, or median where stated) | met |", "|---|---|---|"]
    for name, value, test in rows:
        if value is None or test is None:
            continue
        met = eval(f"{value} {test}")  # noqa: S307 (our own literal comparisons)
        shown = f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else value
        lines.append(f"| {name} | {shown} | {'yes' if met else '**no**'} |")
    return lines


def machine_lines(results: dict) -> list[str]:
    m = results["machine"]
    return [
        f"- {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB memory, Linux {m['kernel']}",
        f"- Python {m['python']}, Docker Engine {m['docker']}, Docker Compose {m['compose']}",
        f"- load average {m['load_average']:.1f} at the start, "
        f"{m.get('load_average_end', 0):.1f} at the end; the whole run took "
        f"{results.get('bench_minutes', '?')} min",
    ]


def cold_start_lines(results: dict) -> list[str]:
    lines = [f"| | median | range (min{DASH}max) | runs |", "|---|---|---|---|"]
    for name, f in results["cold_start"].items():
        lines.append(
            f"| `alpha-deploy {name}` | {f['median_ms']} ms | {f['min_ms']}{DASH}{f['max_ms']} ms "
            f"| {f['runs']} |"
        )
    return lines


def generated(results: dict) -> str:
    reps = results["repetitions"]
    rate = results["runs"][0].get("rate", "?") if results["runs"] else "?"
    parts = [
        BEGIN,
        "",
        f"Measured by `bench/run`: {reps} run(s) of each scenario, round-robin, "
        f"each on a fresh site, under {rate} requests/s through the edge.",
        "",
        "### Machine",
        "",
        *machine_lines(results),
        "",
        "### At a glance",
        "",
        *summary_table(results),
        "",
        "![Requests during the deploy, A beside B](benchmarks-requests.png)",
        "",
        "### Targets",
        "",
        *targets(results),
        "",
        "### Cold start",
        "",
        *cold_start_lines(results),
        "",
    ]
    for scenario in SCENARIOS:
        runs = runs_of(results, scenario.key)
        if runs:
            parts += [f"### {scenario.label}", "", *scenario_table(runs), ""]
    failed_runs = [r for r in results["runs"] if "error" in r]
    if failed_runs:
        parts += ["Runs that could not be measured:", ""]
        parts += [f"- {r['label']}: {r['error']}" for r in failed_runs] + [""]
    return "\n".join([*parts, END])


def write_docs(results: dict) -> None:
    text = DOC.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
    else:
        head, tail = text.rstrip() + "\n\n## Deploys side by side\n\n", "\n"
    DOC.write_text(head + generated(results) + tail)
