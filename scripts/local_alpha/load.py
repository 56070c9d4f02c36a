"""Steady HTTPS load through the edge: `local-alpha load --host DOMAIN --seconds N --rate R`.

Requests start on a fixed schedule (open loop): a slow or failing edge does
not slow the sender down, so an outage shows up as failures, not as fewer
requests. Connections are kept alive and reused; a new one is opened whenever
none is idle. The result is one JSON line:

    {"total": n, "ok": n, "failed": n, "statuses": {"200": n, "502": n},
     "errors": {"ConnectionResetError": n}, "longest_failure_ms": ms, ...}

`ok` counts statuses below 400; a failure is any other status or a connection
error; `longest_failure_ms` is the longest run of consecutive failures (by
start time), from the start of its first request to the end of its last.
SIGTERM or SIGINT stops the load early and still prints the line.
"""

import argparse
import asyncio
import json
import signal
import ssl
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from local_alpha import state

GRACE_S = 2.0


@dataclass
class Outcome:
    """One request: when it started (s from the first), how long it took, how it ended."""

    start: float
    latency: float
    status: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the request got a status below 400."""
        return self.status is not None and self.status < 400


class Pool:
    """Idle keep-alive connections to the edge, opened with SNI = the tested domain."""

    def __init__(self, edge: tuple[str, int], domain: str, context: ssl.SSLContext) -> None:
        self.edge = edge
        self.domain = domain
        self.context = context
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def take(self):
        """An idle connection, or a new one."""
        if self.idle:
            return self.idle.pop()
        return await asyncio.open_connection(
            *self.edge, ssl=self.context, server_hostname=self.domain
        )

    def give_back(self, connection) -> None:
        """Keep a connection for the next request."""
        self.idle.append(connection)


async def fetch(pool: Pool, path: str, timeout: float) -> int:
    """One GET through a pooled connection; returns the status."""
    reader, writer = await pool.take()
    try:
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {pool.domain}\r\nUser-Agent: local-alpha-load\r\n\r\n"
        )
        writer.write(request.encode())
        status, keep = await asyncio.wait_for(_read_response(reader), timeout)
    except BaseException:
        writer.close()
        raise
    if keep:
        pool.give_back((reader, writer))
    else:
        writer.close()
    return status


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
    status = int(head.split(" ", 2)[1])
    headers = dict(line.split(":", 1) for line in head.split("\r\n")[1:] if ":" in line)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    if "chunked" in headers.get("transfer-encoding", ""):
        while (size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)) > 0:
            await reader.readexactly(size + 2)
        while await reader.readuntil(b"\r\n") != b"\r\n":
            pass
    elif "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    else:
        await reader.read()
        return status, False
    return status, "close" not in headers.get("connection", "")


class Load:
    """A fixed-rate run of GET requests against one domain."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        context = ssl.create_default_context(cafile=str(args.ca))
        host, port = args.edge.rsplit(":", 1)
        self.pool = Pool((host, int(port)), args.host, context)
        self.outcomes: list[Outcome] = []
        self.stopped = asyncio.Event()
        self.started = 0.0

    async def run(self) -> dict:
        """Send until the time is up or a signal arrives, then summarize."""
        self.started = time.monotonic()
        tasks: set[asyncio.Task[None]] = set()
        interval = 1.0 / self.args.rate
        sent = 0
        for number in range(int(self.args.seconds * self.args.rate)):
            delay = self.started + number * interval - time.monotonic()
            if self.stopped.is_set() or (delay > 0 and await self._stopped_within(delay)):
                break
            sent = number + 1
            task = asyncio.create_task(self._one())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        sending = time.monotonic() - self.started
        if tasks:
            await asyncio.wait(
                tasks, timeout=self.args.timeout if not self.stopped.is_set() else GRACE_S
            )
        summary = summarize(self.outcomes, unfinished=len(tasks), elapsed=sending)
        summary["sent"] = sent
        return summary

    async def _stopped_within(self, delay: float) -> bool:
        try:
            await asyncio.wait_for(self.stopped.wait(), delay)
        except TimeoutError:
            return False
        return True

    async def _one(self) -> None:
        began = time.monotonic()
        outcome = Outcome(start=began - self.started, latency=0.0)
        try:
            outcome.status = await fetch(self.pool, self.args.path, self.args.timeout)
        except TimeoutError:
            outcome.error = "timeout"
        except (OSError, asyncio.IncompleteReadError, ValueError, ssl.SSLError) as error:
            outcome.error = type(error).__name__
        outcome.latency = time.monotonic() - began
        self.outcomes.append(outcome)


def summarize(outcomes: list[Outcome], unfinished: int = 0, elapsed: float = 0.0) -> dict:
    """The JSON summary of a run."""
    ok = sum(o.ok for o in outcomes)
    return {
        "total": len(outcomes),
        "ok": ok,
        "failed": len(outcomes) - ok,
        "statuses": dict(sorted(Counter(str(o.status) for o in outcomes if o.status).items())),
        "errors": dict(Counter(o.error for o in outcomes if o.error)),
        "connection_errors": sum(1 for o in outcomes if o.error),
        "longest_failure_ms": round(longest_failure_s(outcomes) * 1000),
        "unfinished": unfinished,
        "seconds": round(elapsed, 3),
        "rate": round(len(outcomes) / elapsed, 1) if elapsed else 0.0,
        "p99_latency_ms": _p99_ms(outcomes),
    }


def _p99_ms(outcomes: list[Outcome]) -> float:
    latencies = sorted(o.latency for o in outcomes)
    return round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else 0.0


def longest_failure_s(outcomes: list[Outcome]) -> float:
    """The longest run of consecutive failures, start of the first to end of the last."""
    longest, run_start = 0.0, None
    for outcome in sorted(outcomes, key=lambda o: o.start):
        if outcome.ok:
            run_start = None
            continue
        run_start = outcome.start if run_start is None else run_start
        longest = max(longest, outcome.start + outcome.latency - run_start)
    return longest


def write_timeline(path: Path, outcomes: list[Outcome]) -> None:
    """One JSON line per request, in start order, for plotting."""
    with path.open("w") as timeline:
        for o in sorted(outcomes, key=lambda o: o.start):
            line = {"start_s": round(o.start, 4), "latency_ms": round(o.latency * 1000, 2)}
            line.update({"status": o.status} if o.status else {"error": o.error})
            timeline.write(json.dumps(line) + "\n")


def parse(argv: list[str]) -> argparse.Namespace:
    """The load tool's options."""
    parser = argparse.ArgumentParser(prog="local-alpha load", description=__doc__.split("\n")[0])
    parser.add_argument("--host", required=True, help="the domain (Host header and SNI)")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--path", default="/")
    parser.add_argument("--timeline", type=Path, help="write one JSON line per request here")
    parser.add_argument("--edge", default=f"127.0.0.1:{state.EDGE_HTTPS_PORT}")
    parser.add_argument("--ca", type=Path, default=state.CA_CERT, help="CA bundle to trust")
    parser.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    return parser.parse_args(argv)


async def _main(args: argparse.Namespace) -> dict:
    load = Load(args)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, load.stopped.set)
    summary = await load.run()
    if args.timeline:
        write_timeline(args.timeline, load.outcomes)
    return summary


def main(argv: list[str]) -> int:
    """Run the load and print its JSON line; exit 0 whatever the failures."""
    summary = asyncio.run(_main(parse(argv)))
    print(json.dumps(summary), flush=True)
    return 0


class LoadRun:
    """The load tool in a background process, for tests: start, then stop() or wait()."""

    def __init__(self, domain: str, seconds: float, rate: float, path: str = "/",
                 timeline: Path | None = None) -> None:  # fmt: skip
        argv = ["--host", domain, "--seconds", str(seconds), "--rate", str(rate), "--path", path]
        argv += ["--timeline", str(timeline)] if timeline else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local_alpha", "load", *argv],
            stdout=subprocess.PIPE,
            text=True,
            env={"PYTHONPATH": str(Path(__file__).parent.parent), "PATH": "/usr/bin:/bin"},
        )

    def stop(self) -> dict:
        """Stop the load now and return its summary."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.wait()

    def wait(self, timeout: float | None = None) -> dict:
        """Wait for the load to end by itself and return its summary."""
        out, _ = self.process.communicate(timeout=timeout)
        return json.loads(out.strip().splitlines()[-1])
