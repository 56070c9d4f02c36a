"""Start, watch and stop the edge daemon (python -m local_alpha.edge from the venv)."""

import hashlib
import os
import sys
from pathlib import Path

from local_alpha import state
from local_alpha.system import port_open, read_pid, say, start_daemon, stop_daemon, wait_for

NAME = "edge"
SOURCES = Path(__file__).parent
STAMP = state.STATE_DIR / "edge.sha256"


def ensure_edge() -> None:
    """Start the edge, or restart it when its code changed since it started."""
    stamp = _code_digest()
    if edge_running() and STAMP.exists() and STAMP.read_text() == stamp:
        return
    if stop_daemon(NAME):
        say("Restarting the edge: its code changed")
    address = f"https://127.0.0.1:{state.EDGE_HTTPS_PORT}"
    say(f"Starting the edge on {address} (log {state.log_file(NAME)})")
    environment = {**os.environ, "PYTHONPATH": str(SOURCES.parent.parent)}
    start_daemon(NAME, [sys.executable, "-m", "local_alpha.edge"], env=environment)
    STAMP.write_text(stamp)
    wait_for("the edge", lambda: port_open(state.EDGE_HTTPS_PORT), 30)


def edge_running() -> bool:
    """Whether the edge daemon lives and listens."""
    return read_pid(NAME) is not None and port_open(state.EDGE_HTTPS_PORT)


def stop_edge() -> bool:
    """Stop the edge."""
    return stop_daemon(NAME)


def _code_digest() -> str:
    digest = hashlib.sha256()
    for source in sorted([*SOURCES.glob("*.py"), SOURCES.parent / "ca.py"]):
        digest.update(source.read_bytes())
    return digest.hexdigest()
