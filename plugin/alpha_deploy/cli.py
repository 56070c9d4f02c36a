"""The ``alpha-deploy`` command: phases that read in order, exit codes mapped once.

This module keeps its imports light: ``--version`` must answer without paying
for pydantic, and a dry run without paying for the SSH stack.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from alpha_deploy import __version__

if TYPE_CHECKING:
    from alpha_deploy.compose import Site
    from alpha_deploy.console import Console
    from alpha_deploy.report import Report
    from alpha_deploy.settings import Settings
    from alpha_deploy.signals import Cancellation

BUG_EXIT = 70  # EX_SOFTWARE: an unexpected exception, i.e. a bug in alpha-deploy


def main(argv: Sequence[str] | None = None) -> NoReturn:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        print(f"alpha-deploy {__version__}")
        sys.exit(0)
    sys.exit(run(args))


def run(argv: Sequence[str]) -> int:
    """Run one action and return its exit code; the report is written on every path."""
    from alpha_deploy.console import Console
    from alpha_deploy.errors import AlphaDeployError
    from alpha_deploy.report import Report
    from alpha_deploy.signals import Cancellation

    console, report = Console(), Report()
    cancel = Cancellation().install()
    report_file = early_report_file(argv)
    try:
        settings = read_settings(argv, console, report)
        report_file = settings.report_file
        console.debug_enabled = settings.debug
        perform(settings, console, report, cancel)
        finish(report, "success", 0, "")
        return 0
    except AlphaDeployError as error:
        for line in str(error).splitlines():
            console.error(line)
        finish(report, type(error).__name__, int(error.exit_code), str(error))
        return int(error.exit_code)
    except Exception as error:  # anything unexpected is a bug: show everything
        import traceback

        traceback.print_exc()
        console.error(f"internal error ({type(error).__name__}); this is a bug in alpha-deploy")
        finish(report, "bug", BUG_EXIT, repr(error))
        return BUG_EXIT
    finally:
        show_timings(report, console)
        if report_file:
            write_report(report, report_file, console)


def early_report_file(argv: Sequence[str]) -> str | None:
    """The report's path before the settings are validated, so that failure is reported too."""
    import os

    for index, arg in enumerate(argv):
        if arg.startswith("--report-file="):
            return arg.partition("=")[2] or None
        if arg == "--report-file" and index + 1 < len(argv):
            return argv[index + 1]
    return os.environ.get("PLUGIN_REPORT_FILE") or None


def write_report(report: Report, path: str, console: Console) -> None:
    try:
        report.write(path)
    except OSError as error:
        console.warn(f"could not write the report to {path} (PLUGIN_REPORT_FILE): {error}")


def show_timings(report: Report, console: Console) -> None:
    """One closing line with each phase and its seconds, as the log's summary."""
    if report.phases:
        spent = ", ".join(f"{p.name} {p.seconds:.1f}s" for p in report.phases)
        console.info(f"phases: {spent}")


def finish(report: Report, outcome: str, code: int, message: str) -> None:

    report.outcome, report.exit_code, report.message = outcome, code, message


def read_settings(argv: Sequence[str], console: Console, report: Report) -> Settings:
    from alpha_deploy.config import load_settings

    with report.phase("settings"):
        settings, warnings = load_settings(argv)
    report.action, report.app, report.dry_run = settings.action, settings.app, settings.dry_run
    report.settings = settings.redacted()
    console.phase(
        f"alpha-deploy {__version__}",
        action=settings.action,
        app=settings.app,
        host=f"{settings.user}@{settings.host}:{settings.port}",
        dry_run="yes" if settings.dry_run else None,
    )
    for warning in warnings:
        console.warn(warning)
    return settings


def perform(settings: Settings, console: Console, report: Report, cancel: Cancellation) -> None:
    """Check locally, then plan (dry run) or act on the host."""
    site = None
    if settings.action in ("deploy", "check"):
        site = check_locally(settings, console, report)
    if settings.dry_run:
        show_plan(settings, site, console, report)
        return
    from alpha_deploy.deploy.run import act

    act(settings, site, console, report, cancel)


def check_locally(settings: Settings, console: Console, report: Report) -> Site:
    from alpha_deploy.checking import check_compose_file

    with report.phase("check"):
        return check_compose_file(settings, console, report)


def show_plan(settings: Settings, site: Site | None, console: Console, report: Report) -> None:
    from alpha_deploy.deploy.plan import plan_for

    with report.phase("plan"):
        report.plan = plan_for(settings, site)
    console.phase("Plan: a real run would execute on the host", host=settings.host)
    for line in report.plan:
        console.info(line)
    console.ok("dry run: nothing was contacted or changed")
