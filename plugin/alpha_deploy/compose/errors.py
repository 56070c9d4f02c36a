"""The one error the loader raises: a compose file that cannot be loaded at all."""

from __future__ import annotations

from alpha_deploy.errors import InvalidCompose


class ComposeLoadError(InvalidCompose):
    """A fatal loading problem, rendered as ``FILE:LINE:COL: what is wrong; what to do``."""

    def __init__(self, file: str, line: int, column: int, problem: str, fix: str) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.problem = problem
        self.fix = fix
        super().__init__(f"{file}:{line}:{column}: {problem}; {fix}")
