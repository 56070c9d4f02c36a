"""Small helpers for running commands, installing packages and keeping daemons."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from local_alpha import state

APT_LOCK = ["-o", "DPkg::Lock::Timeout=600"]
POLICY_RC = Path("/usr/sbin/policy-rc.d")


class SetupError(Exception):
    """A step of `up` failed; the message says which and why."""


def say(message: str) -> None:
    """Announce a step on stderr, so `env` output on stdout stays clean."""
    print(f"--> {message}", file=sys.stderr, flush=True)


def run(argv: Sequence[str], **kwargs) -> subprocess.CompletedProcess[str]:
    """Run a command, failing with its output when it exits non-zero."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()[-2000:]
        raise SetupError(f"{' '.join(argv)} exited {done.returncode}:\n{output}")
    return done


def succeeds(argv: Sequence[str]) -> bool:
    """Whether a command exits 0; a missing program counts as failure."""
    try:
        return subprocess.run(argv, capture_output=True, check=False, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def wait_for(what: str, condition: Callable[[], bool], seconds: float) -> None:
    """Poll a condition until it holds or the deadline passes."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SetupError(f"{what} not ready after {seconds:.0f} s")
        time.sleep(0.2)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def missing_packages(packages: Sequence[str]) -> list[str]:
    """The Debian packages of the list that are not installed."""
    return [p for p in packages if not _installed(p)]


def _installed(package: str) -> bool:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() == "install ok installed"


_apt_updated = False


def apt_install(packages: Sequence[str]) -> None:
    """Install the missing packages, without letting apt start their services."""
    global _apt_updated
    missing = missing_packages(packages)
    if not missing:
        return
    say(f"Installing {' '.join(missing)}")
    if not _apt_updated:
        run(["apt-get", *APT_LOCK, "update", "-qq"])
        _apt_updated = True
    # Services run on our own ports under our own configs, so the package's
    # init scripts must not start the Debian defaults (sshd on 22, ...).
    with _services_blocked():
        run(
            ["apt-get", *APT_LOCK, "install", "-y", "-qq", "--no-install-recommends", *missing],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )


class _services_blocked:
    """Installs a policy-rc.d that forbids service starts, if none exists."""

    def __enter__(self) -> None:
        self.created = not POLICY_RC.exists()
        if self.created:
            POLICY_RC.write_text("#!/bin/sh\nexit 101\n")
            POLICY_RC.chmod(0o755)

    def __exit__(self, *exc: object) -> None:
        if self.created:
            POLICY_RC.unlink(missing_ok=True)


def read_pid(name: str) -> int | None:
    """The pid recorded for a daemon, if that process still lives."""
    try:
        pid = int(state.pid_file(name).read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def start_daemon(name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> int:
    """Start a long-running process in the background, logging to STATE_DIR."""
    log = state.log_file(name).open("ab")
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env,
    )
    state.pid_file(name).write_text(f"{process.pid}\n")
    return process.pid


def stop_daemon(name: str, seconds: float = 15) -> bool:
    """Stop a daemon that `up` started; False when it was not running."""
    pid = read_pid(name)
    state.pid_file(name).unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    return True


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"


def which(program: str) -> str | None:
    """The path of a program on PATH."""
    return shutil.which(program)
