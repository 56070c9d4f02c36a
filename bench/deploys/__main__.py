"""Run every scenario round-robin, N times, and write bench/results/ and the tables.

    .venv/bin/python -m deploys [--repetitions N] [--only a,b] [--tables-only]

(with bench/ on PYTHONPATH; bench/run does all of it, picture included).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import traceback

from deploys import machine, tables
from deploys.host import ROOT, Bench, local_alpha_env
from deploys.scenarios import SCENARIOS, Run

RESULTS = ROOT / "bench" / "results"


def main() -> int:
    args = parse()
    if not args.tables_only:
        measure_all(args)
    results = json.loads((RESULTS / "results.json").read_text())
    tables.write_docs(results)
    print(f"--> docs/benchmarks.md updated from {RESULTS / 'results.json'}")
    return 0


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--only", help="scenario keys, comma-separated: a,b,bn,bra,br,bd,c,da,dp")
    parser.add_argument("--tables-only", action="store_true", help="rewrite the docs only")
    return parser.parse_args()


def measure_all(args: argparse.Namespace) -> None:
    keys = args.only.split(",") if args.only else [s.key for s in SCENARIOS]
    chosen = [s for s in SCENARIOS if s.key in keys]
    shutil.rmtree(RESULTS / "sites", ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    bench = Bench(local_alpha_env())
    began = time.monotonic()
    results = {"machine": machine.describe(), "repetitions": args.repetitions, "runs": []}
    print(f"--> Cold start ({5 if args.repetitions == 1 else 10} runs each)", flush=True)
    results["cold_start"] = machine.cold_starts(5 if args.repetitions == 1 else 10)
    for repetition in range(1, args.repetitions + 1):
        for scenario in chosen:  # round-robin: a slow spell of the machine hits all alike
            print(f"--> {scenario.label}, run {repetition}/{args.repetitions}", flush=True)
            results["runs"].append(one_run(bench, scenario, repetition))
            print("    " + summary_line(results["runs"][-1]), flush=True)
    results["machine"]["load_average_end"] = machine.describe()["load_average"]
    results["bench_minutes"] = round((time.monotonic() - began) / 60, 1)
    (RESULTS / "results.json").write_text(json.dumps(results, indent=1))


def one_run(bench: Bench, scenario, repetition: int) -> dict:
    try:
        return Run(bench, scenario, repetition, RESULTS).measure()
    except Exception as error:  # one bad run is recorded, the others still run
        traceback.print_exc()
        return {"scenario": scenario.key, "label": scenario.label, "error": str(error)}


def summary_line(run: dict) -> str:
    if "error" in run:
        return f"error: {run['error']}"
    load = run["load"]
    return (
        f"failed {load['failed']}/{load['total']}, longest {load['longest_failure_ms']} ms, "
        f"no healthy {run['no_healthy_s']} s, wall {run['wall_s']} s, exit {run['exit_code']}"
        + (f", overhead {run['overhead_s']} s" if "overhead_s" in run else "")
    )


if __name__ == "__main__":
    sys.exit(main())
