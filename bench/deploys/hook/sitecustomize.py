"""Loaded by the plugin's Python only under bench/run (PYTHONPATH): splits its wall time.

When BENCH_TIMING_FILE is set, the main thread's time is sorted into waiting
on the host (remote commands: Docker, file writes), waiting for health (HTTP
probes through the edge, and every deliberate sleep: health polls, Traefik's
throttle, retry back-off), and the rest. At exit the totals go to that file.
Nested waits count once; the SSH library's own I/O threads are not counted.
"""

import atexit
import json
import os
import threading
import time

TARGET = os.environ.get("BENCH_TIMING_FILE")
totals = {"remote_s": 0.0, "remote_commands": 0, "probe_s": 0.0, "sleep_s": 0.0}
depth = 0
_sleep = time.sleep


def counted(key, function):
    """Wrap ``function`` so the main thread's time inside it adds to ``totals[key]``."""

    def wrapper(*args, **kwargs):
        global depth
        if depth or threading.current_thread() is not threading.main_thread():
            return function(*args, **kwargs)
        depth += 1
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[key] += time.perf_counter() - started
            totals["remote_commands"] += key == "remote_s"
            depth -= 1

    return wrapper


def install():
    from alpha_deploy.deploy import probe
    from alpha_deploy.remote import host

    host.Host._execute = counted("remote_s", host.Host._execute)
    host.Host._send = counted("remote_s", host.Host._send)
    probe.probe_once = counted("probe_s", probe.probe_once)
    time.sleep = counted("sleep_s", _sleep)
    atexit.register(write)


def write():
    with open(TARGET, "w") as out:
        json.dump({k: round(v, 4) for k, v in totals.items()}, out)


if TARGET:
    install()
