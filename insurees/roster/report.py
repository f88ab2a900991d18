"""What an import reports: rows taken, rows refused with their line and reason."""

from __future__ import annotations

from dataclasses import dataclass, field


class RosterFileError(Exception):
    """The file as a whole cannot be read (no header, missing columns, not UTF-8)."""


class RowError(Exception):
    """One row is refused; the message says why."""


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    bad: list[BadRow] = field(default_factory=list)

    def refuse(self, line: int, reason: str) -> None:
        self.bad.append(BadRow(line, reason))
