"""Findings: what a check says about a compose file, with where it says it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One broken rule at one place in one file.

    ``path`` is the key path inside the compose file (``services.web.labels``);
    ``message`` says what is wrong and what to write instead.
    """

    rule: str
    severity: Severity
    file: str
    line: int
    column: int
    path: str
    message: str

    def render(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where} {self.severity} [{self.rule}] {self.path}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        return data
