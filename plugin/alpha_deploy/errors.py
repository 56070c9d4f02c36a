"""The failures alpha-deploy knows about, and the exit code each one ends with.

Every expected failure is an ``AlphaDeployError``; its class says which area
failed and its ``exit_code`` is the only place that maps that area to the
process exit status. Anything else that escapes is a bug and is reported as one.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit statuses documented in the README; Woodpecker fails the step on any but OK."""

    OK = 0
    ROLLED_BACK = 1  # the rollout failed and the previous release is serving
    INVALID = 2  # bad settings or compose file; nothing was touched
    HOST = 3  # unreachable, authentication, host key or lock; nothing was touched
    NEEDS_PERSON = 4  # the rollout failed and the previous release could not be restored
    INTERRUPTED = 130  # SIGINT (Ctrl-C)
    TERMINATED = 143  # SIGTERM (a cancelled pipeline)


class AlphaDeployError(Exception):
    """Root of every failure the plugin expects and explains in one line."""

    exit_code: ExitCode = ExitCode.INVALID


class InvalidSettings(AlphaDeployError):
    """A setting is missing or malformed; the message names the variable or flag."""

    exit_code = ExitCode.INVALID


class InvalidCompose(AlphaDeployError):
    """The compose file cannot be read or breaks a platform rule."""

    exit_code = ExitCode.INVALID


class InvalidRequest(AlphaDeployError):
    """The requested action cannot be carried out as asked (e.g. no release to roll back to)."""

    exit_code = ExitCode.INVALID


class HostError(AlphaDeployError):
    """The host could not be reached, did not authenticate us, or presented a wrong key."""

    exit_code = ExitCode.HOST


class HostKeyMismatch(HostError):
    """The host presented a key that is not the pinned one."""


class LockTimeout(HostError):
    """Another run held the site's lock for longer than ``lock_timeout``."""


class RolloutFailed(AlphaDeployError):
    """The new release was not healthy; the previous one was restored and serves."""

    exit_code = ExitCode.ROLLED_BACK


class RestoreFailed(AlphaDeployError):
    """The new release failed and the previous one could not be brought back."""

    exit_code = ExitCode.NEEDS_PERSON


class Interrupted(AlphaDeployError):
    """The run was cancelled by a signal; the message says what state the site is in."""

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.TERMINATED) -> None:
        super().__init__(message)
        self.exit_code = exit_code
