"""The site lock: one deploy of a site at a time on the host.

The lock is a ``flock`` held by a shell on the host for as long as our SSH
channel stays open. If this run dies, its connection closes, the shell exits
and the kernel releases the lock, so a dead run never blocks the next one; its
``lock.json`` stays behind and tells the next holder whose lock it took over.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import time
from dataclasses import dataclass
from typing import Any

from alpha_deploy.console import Console
from alpha_deploy.deploy.commands import state_dir
from alpha_deploy.errors import HostError, LockTimeout
from alpha_deploy.remote.host import Host
from alpha_deploy.settings import Settings

HOLD_SCRIPT = r"""
set -e
mkdir -p "$1"
exec 9>>"$1/lock"
if ! flock -n 9; then
  printf 'BUSY %s\n' "$(tr -d '\n' < "$1/lock.json" 2>/dev/null)"
  if ! flock -w "$2" 9; then
    printf 'TIMEOUT %s\n' "$(tr -d '\n' < "$1/lock.json" 2>/dev/null)"
    exit 75
  fi
fi
printf 'ACQUIRED %s\n' "$(tr -d '\n' < "$1/lock.json" 2>/dev/null)"
cat > /dev/null
"""


def holder_info(settings: Settings) -> dict[str, Any]:
    """Who takes the lock: enough for the next pipeline to say who it waits for."""
    env = os.environ
    return {
        "pipeline": env.get("CI_PIPELINE_URL") or env.get("CI_PIPELINE_NUMBER") or "local run",
        "commit": env.get("CI_COMMIT_SHA", ""),
        "author": env.get("CI_COMMIT_AUTHOR", ""),
        "runner": socket.gethostname(),
        "action": settings.action,
        "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def describe_holder(raw: str) -> str:
    try:
        info = json.loads(raw)
        return f"{info['pipeline']} ({info.get('action', 'deploy')}) since {info['since']}"
    except (ValueError, KeyError, TypeError):
        return "an unknown holder"


@dataclass
class SiteLock:
    """Holds the lock of one site for the duration of a ``with`` block."""

    host: Host
    settings: Settings
    console: Console
    channel: Any = None

    @property
    def directory(self) -> str:
        return state_dir(self.settings.site_dir)

    def __enter__(self) -> SiteLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        timeout = self.settings.lock_timeout
        command = shlex.join(["sh", "-c", HOLD_SCRIPT, "sh", self.directory, str(int(timeout))])
        transport = self.host.connection.client.get_transport()
        self.channel = transport.open_session()
        self.channel.settimeout(timeout + self.settings.command_timeout)
        self.channel.exec_command(command)
        self._await_grant(self.channel.makefile("r"), timeout)
        self.host.write_file(
            f"{self.directory}/lock.json", json.dumps(holder_info(self.settings)) + "\n", mode="644"
        )

    def _await_grant(self, lines: Any, timeout: float) -> None:
        for line in lines:
            word, _, info = line.strip().partition(" ")
            if word == "BUSY":
                self.console.info(
                    f"site {self.settings.app} is locked by "
                    f"{describe_holder(info)}; waiting up to {timeout:.0f}s "
                    "(PLUGIN_LOCK_TIMEOUT)"
                )
            elif word == "TIMEOUT":
                self.channel.close()
                raise LockTimeout(
                    f"site {self.settings.app} is still locked by "
                    f"{describe_holder(info)} after {timeout:.0f}s "
                    "(PLUGIN_LOCK_TIMEOUT); nothing was changed"
                )
            elif word == "ACQUIRED":
                if info:
                    self.console.warn(
                        f"took over the lock left by {describe_holder(info)}, "
                        "which ended without releasing it"
                    )
                self.console.ok(f"locked {self.directory}/lock")
                return
        raise HostError(
            f"could not take the lock of {self.settings.app}: the host closed the "
            "channel (is `flock` installed on the host?)"
        )

    def release(self) -> None:
        """Remove our holder note, then close the channel: the lock is free."""
        if self.channel is None:
            return
        try:
            self.host.run(
                shlex.join(["rm", "-f", f"{self.directory}/lock.json"]), check=False, timeout=30
            )
        except Exception as error:  # the connection may be gone; the lock goes with it
            self.console.warn(f"could not remove lock.json ({type(error).__name__}); the lock "
                              "itself is released when the connection closes")  # fmt: skip
        try:
            self.channel.shutdown_write()
            self.channel.close()
        except Exception:  # noqa: S110 (a dead channel holds no lock)
            pass
        self.channel = None
        self.console.ok(f"lock of {self.settings.app} released")
