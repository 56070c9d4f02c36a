"""The registry on 127.0.0.1:5000 (Debian's docker-registry), run without systemd.

The engine trusts registries on 127.0.0.0/8 without TLS, so pushes and
`docker compose pull` need no certificate.
"""

from local_alpha import state
from local_alpha.system import (
    apt_install,
    port_open,
    read_pid,
    say,
    start_daemon,
    stop_daemon,
    wait_for,
)

CONFIG = state.STATE_DIR / "registry.yml"
STORAGE = state.STATE_DIR / "registry"


def ensure_registry() -> None:
    """Install and start the registry unless it already serves."""
    apt_install(["docker-registry"])
    if read_pid("registry") and port_open(5000):
        return
    STORAGE.mkdir(parents=True, exist_ok=True)
    CONFIG.write_text(
        f"""version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {STORAGE}
  delete:
    enabled: true
http:
  addr: {state.REGISTRY}
"""
    )
    say(f"Starting the registry on {state.REGISTRY}")
    start_daemon("registry", ["docker-registry", "serve", str(CONFIG)])
    wait_for("the registry", lambda: port_open(5000), 20)


def registry_running() -> bool:
    """Whether our registry answers."""
    return read_pid("registry") is not None and port_open(5000)


def stop_registry() -> bool:
    """Stop our registry."""
    return stop_daemon("registry")
