"""The one exception hierarchy of `tracker`.

The library raises these; only `tracker.cli` turns them into messages and exit codes, so that
library code never imports click and every error a user sees is one line.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "TrackerError",
    "InvalidModel",
    "InvalidData",
    "RowError",
    "UnknownEntity",
    "AmbiguousEntity",
    "OutputError",
    "ViewTooLarge",
    "TooManyEntities",
    "EngineUnavailable",
]


class TrackerError(Exception):
    """Base class of every error the tracker raises on purpose."""


class InvalidModel(TrackerError):
    """The schema file (tracker/schema.yaml) is malformed."""


@dataclass(frozen=True, order=True)
class RowError:
    """One problem found in a data file, located by file, line and column (field name)."""

    file: str
    line: int
    column: str
    code: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.column:
            where = f"{where}: {self.column}"
        return f"{where}: {self.severity} [{self.code}] {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
        }


class InvalidData(TrackerError):
    """A dataset cannot be read or does not validate; carries every row error found."""

    def __init__(self, message: str, errors: list[RowError] | None = None) -> None:
        super().__init__(message)
        self.errors: list[RowError] = list(errors or [])


class UnknownEntity(TrackerError):
    """No entity has the id, name or alias given."""


class AmbiguousEntity(TrackerError):
    """Several entities match the name or alias given equally well."""


class OutputError(TrackerError):
    """An output cannot be written where it was asked for."""


class ViewTooLarge(TrackerError):
    """A graph has too many entities for one usable HTML view; narrow it with --focus."""


class TooManyEntities(TrackerError):
    """A neighbourhood reaches more entities than a query cuts out of the store at once (each
    becomes records and a networkx node in memory); ask for fewer hops or another entity."""


class EngineUnavailable(TrackerError):
    """An optional query engine (Spark) is not installed or cannot start.

    The message carries the line that installs it; it is a usage problem, not bad data, so the
    CLI exits 2 with it.
    """
