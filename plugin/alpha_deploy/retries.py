"""Saying so each time a transient failure is retried: attempt n/N, cause, delay."""

from __future__ import annotations

from collections.abc import Callable

from tenacity import RetryCallState

from alpha_deploy.console import Console


def announce(
    console: Console, what: str, attempts: int, describe: Callable[[BaseException | None], str]
) -> Callable[[RetryCallState], None]:
    """A tenacity ``before_sleep`` that logs ``WHAT attempt n/N failed (cause); retrying in Xs``."""

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        console.warn(
            f"{what} attempt {state.attempt_number}/{attempts} failed ({describe(error)}); "
            f"retrying in {delay:.1f}s"
        )

    return before_sleep
