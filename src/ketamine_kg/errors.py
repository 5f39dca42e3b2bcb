"""The one base of every error a user can cause, and the errors shared across packages.

Every error the command line reports derives from `KetamineKgError`: it carries the message
the user reads (`user_message`) and the exit status (`exit_status`). `cli.main` catches this
base alone; an error class elsewhere only chooses its message and, if it must, its status.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

EXIT_FAIL = 1


class KetamineKgError(Exception):
    """An error a user can cause: the CLI prints `error: <user_message>` and exits with status."""

    exit_status: int = EXIT_FAIL

    def user_message(self) -> str:
        """What the user reads after `error: `."""
        return str(self)


class SourceError(KetamineKgError):
    """A malformed source file, reported as `path:line:col: message`."""

    def __init__(self, path: Path | str, line: int, column: int, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message
        super().__init__(f"{self.path}:{line}:{column}: {message}")

    def __reduce__(self) -> tuple:
        """Pickled by its fields (it crosses from a worker process: parallel.py)."""
        return type(self), (self.path, self.line, self.column, self.message)


class _Report(Protocol):
    def render(self) -> str: ...


class GateError(KetamineKgError):
    """The release gate failed; `report` holds every finding."""

    def __init__(self, report: _Report) -> None:
        self.report = report
        super().__init__("the release gate failed")

    def user_message(self) -> str:
        """The verdict, then every finding."""
        return "validation failed; the release was not written\n" + self.report.render()


class ReleaseWriteError(KetamineKgError):
    """The release could not be written (permissions, disk); the previous one is intact."""
