"""Errors that name where the problem is."""

from __future__ import annotations

from pathlib import Path


class SourceError(Exception):
    """A malformed source file, reported as `path:line:col: message`."""

    def __init__(self, path: Path | str, line: int, column: int, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message
        super().__init__(f"{self.path}:{line}:{column}: {message}")


class GateError(Exception):
    """The release gate failed; `report` holds every finding."""

    def __init__(self, report: object) -> None:
        self.report = report
        super().__init__("the release gate failed")


class ReleaseWriteError(Exception):
    """The release could not be written (permissions, disk); the previous one is intact."""
