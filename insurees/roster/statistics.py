"""The planner's statistics kept fit for the rows an import adds."""

from __future__ import annotations

import threading

from django.db import connection

from insurees.models import Insuree, Person
from ledger.services import ledger_statistics_refresh


class Statistics:
    """Keeps the planner's statistics of the roster tables fit for the rows an import adds.

    A bulk load outruns autovacuum: chunks' lookups (and the next import's) were planned on the
    statistics of nearly empty tables, and a million-row re-import took 25 times a 100,000-row one.
    A plan holds while its tables stay within about twice the size it was made for, so the tables
    are analysed whenever the import has doubled the insurees counted at the last analysis (after
    5,000, 10,000, 20,000... new rows into an empty database), and once at the end if it added a
    tenth more, as autovacuum would later. An import that adds nothing analyses nothing: analysing
    the five tables at a million rows costs about a second of the database's time.

    Inside a caller's transaction (a dry run) nothing is analysed: its rows are rolled back, while
    ANALYZE would hold the tables against autovacuum until then and leave behind a count
    (pg_class.reltuples, written in place) that the rollback does not undo.
    """

    def __init__(self, counted: int, *, enabled: bool = True) -> None:
        self._lock = threading.Lock()
        self._enabled = enabled
        self._counted = counted  # insurees at the last analysis
        self._added = 0  # new insurees since

    @classmethod
    def of_database(cls) -> Statistics:
        if connection.in_atomic_block:
            return cls(0, enabled=False)
        return cls(_insurees_counted())

    def grown(self, created: int) -> None:
        """Called after each chunk with the insurees it created; analyses when they are due."""
        if self._due(created, growth=1):
            self._analyse()

    def finish(self) -> None:
        """Called once the rows are in."""
        if self._due(0, growth=0.1):
            self._analyse()

    def _due(self, created: int, *, growth: float) -> bool:
        with self._lock:  # lanes share one: a growth is analysed once, by the lane that saw it
            self._added += created
            if not self._enabled or not self._added or self._added < growth * self._counted:
                return False
            self._counted += self._added
            self._added = 0
            return True

    def _analyse(self) -> None:
        _analyze_roster_tables()
        counted = _insurees_counted()
        with self._lock:
            # What ANALYZE found: the count at the start may have been stale (a restored database).
            self._counted = counted


_ROSTER_TABLES = (Person, Insuree)


def _insurees_counted() -> int:
    """The insurees as the planner's statistics count them (0 before the first analysis)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Insuree._meta.db_table])
        return max(int(cursor.fetchone()[0]), 0)


def _analyze_roster_tables() -> None:
    with connection.cursor() as cursor:
        for model in _ROSTER_TABLES:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    ledger_statistics_refresh()  # the accounts and openings the roster added
