"""The one place remote commands run: each with a timeout and its exit status checked."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from alpha_deploy.console import Console
from alpha_deploy.errors import HostError


class CommandFailed(HostError):
    """A remote command exited non-zero or timed out; carries its result."""

    def __init__(self, message: str, result: Result) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class Result:
    command: str
    exit_code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def tail(self, lines: int = 5) -> str:
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return " | ".join(text[-lines:])


class Host:
    """Runs shell commands on the host over an open fabric connection."""

    def __init__(self, connection: Any, console: Console, timeout: float) -> None:
        self.connection = connection
        self.console = console
        self.timeout = timeout

    def run(
        self,
        command: str,
        *,
        timeout: float | None = None,
        check: bool = True,
        quiet: bool = False,
    ) -> Result:
        """Run ``command`` (already quoted); raise ``CommandFailed`` unless it exits 0."""
        if not quiet:
            self.console.debug(f"$ {command}")
        result = self._execute(command, timeout or self.timeout)
        if not quiet and result.stdout.strip():
            self.console.debug(result.stdout.strip()[-2000:])
        if check and not result.ok:
            raise CommandFailed(
                f"remote command failed (exit {result.exit_code}): "
                f"{short(command)}: {result.tail()}",
                result,
            )
        return result

    def _execute(self, command: str, timeout: float) -> Result:
        from invoke.exceptions import CommandTimedOut

        try:
            raw = self.connection.run(
                command, hide=True, warn=True, in_stream=False, timeout=timeout
            )
        except CommandTimedOut as error:
            result = Result(command, 124, error.result.stdout, error.result.stderr)
            raise CommandFailed(
                f"remote command timed out after {timeout:.0f}s "
                f"(PLUGIN_COMMAND_TIMEOUT): {short(command)}",
                result,
            ) from None
        return Result(command, raw.exited, raw.stdout, raw.stderr)

    def write_file(self, path: str, text: str, mode: str = "600") -> None:
        """Write a file atomically: a reader sees the old content or the new, never half.

        The content travels on the command's stdin, never on its command line,
        so secrets in an ``.env`` do not show up in the host's process list.
        """
        temp = f"{path}.tmp"
        command = (
            f"umask 077 && cat > {shlex.quote(temp)} && chmod {mode} {shlex.quote(temp)}"
            f" && mv -f {shlex.quote(temp)} {shlex.quote(path)}"
        )
        self.console.debug(f"$ {command} <{len(text)} bytes on stdin>")
        result = self._send(command, text.encode())
        if not result.ok:
            raise CommandFailed(f"writing {path} on the host failed: {result.tail()}", result)

    def _send(self, command: str, data: bytes) -> Result:
        """Run ``command`` with ``data`` as its whole stdin on a bare channel.

        invoke's stdin pump polls and waits on its own timers; a bare channel
        sends the bytes, closes stdin and is done in one round trip.
        """
        channel = self.connection.client.get_transport().open_session()
        try:
            channel.settimeout(self.timeout)
            channel.exec_command(command)
            channel.sendall(data)
            channel.shutdown_write()
            if not channel.status_event.wait(self.timeout):
                return Result(command, 124, "", f"timed out after {self.timeout:.0f}s")
            code = channel.recv_exit_status()
            stderr = channel.recv_stderr(65536) if channel.recv_stderr_ready() else b""
        finally:
            channel.close()
        return Result(command, code, "", stderr.decode(errors="replace"))

    def close(self) -> None:
        self.connection.close()


def short(command: str, limit: int = 160) -> str:
    return command if len(command) <= limit else command[: limit - 3] + "..."
