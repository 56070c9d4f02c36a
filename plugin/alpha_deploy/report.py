"""The JSON report of a run (``report_file``); its fields are documented in docs/report.md."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alpha_deploy.findings import Finding

REPORT_VERSION = 1


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    status: str = "running"


@dataclass
class Report:
    """What happened in one run; written once at the end, whatever the outcome."""

    action: str = "deploy"
    app: str | None = None
    dry_run: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    started_at: str = field(default_factory=utc_now)
    phases: list[Phase] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    ignored_findings: list[Finding] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    release_before: dict[str, Any] | None = None
    release_after: dict[str, Any] | None = None
    health: list[dict[str, Any]] = field(default_factory=list)
    outcome: str = "running"
    exit_code: int | None = None
    message: str = ""

    @contextmanager
    def phase(self, name: str) -> Iterator[Phase]:
        """Time a phase; it ends ``ok`` unless an exception leaves it ``failed``."""
        entry = Phase(name)
        self.phases.append(entry)
        start = time.monotonic()
        try:
            yield entry
            entry.status = "ok" if entry.status == "running" else entry.status
        except BaseException:
            entry.status = "failed"
            raise
        finally:
            entry.seconds = round(time.monotonic() - start, 3)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": REPORT_VERSION,
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "message": self.message,
            "action": self.action,
            "app": self.app,
            "dry_run": self.dry_run,
            "started_at": self.started_at,
            "finished_at": utc_now(),
            "settings": self.settings,
            "phases": [vars(phase) for phase in self.phases],
            "findings": [finding.to_dict() for finding in self.findings],
            "ignored_findings": [finding.to_dict() for finding in self.ignored_findings],
            "plan": self.plan,
            "release_before": self.release_before,
            "release_after": self.release_after,
            "health": self.health,
        }

    def write(self, path: str) -> None:
        """Write atomically, so a reader never sees half a report."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".report-")
        with os.fdopen(handle, "w") as out:
            json.dump(self.to_dict(), out, indent=2)
            out.write("\n")
        os.chmod(temp, 0o644)  # later pipeline steps, often another user, read it
        os.replace(temp, target)
