"""A roster import keeps the planner's statistics fit for the rows it adds
(insurees/roster/statistics.py): the tables are analysed each time the import doubles the insurees
counted at the last analysis, and not at all by an import that adds nothing, nor inside a caller's
transaction (a dry run)."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insurees.roster import ImportReport, Statistics, insuree_rows_read, roster_import
from tests.insurees.test_roster_import import HEADER, ident, import_rows, row

TABLES = 5  # persons, insurees, accounts, ledger transactions, entries


def analyses(queries: CaptureQueriesContext) -> int:
    return sum(query["sql"].startswith("ANALYZE") for query in queries.captured_queries)


def import_in_one_lane(lines: list[str], chunk_size: int) -> ImportReport:
    """One lane, on this thread's connection, so that every statement is captured."""
    report = ImportReport()
    rows = insuree_rows_read(file=io.StringIO("\n".join([HEADER, *lines]) + "\n"), report=report)
    return roster_import(rows=list(rows), report=report, chunk_size=chunk_size, lanes=1)


def insurees_counted() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'insurees_insuree'")
        return cursor.fetchone()[0]


@pytest.fixture
def empty_statistics(transactional_db):
    """The statistics of an empty database: other tests' imports linger in pg_class, which no
    rollback undoes."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE insurees_insuree")
    assert insurees_counted() == 0


def test_an_empty_database_is_analysed_each_time_the_import_doubles_it(empty_statistics):
    lines = [row(ident(n)) for n in range(1, 17)]

    with CaptureQueriesContext(connection) as queries:
        report = import_in_one_lane(lines, chunk_size=2)

    # After 2 insurees (more than none), 4, 8 and 16: each twice the count found by the one before.
    assert report.created == 16
    assert analyses(queries) == 4 * TABLES
    assert insurees_counted() == 16


def test_importing_the_same_roster_again_analyses_nothing(empty_statistics):
    lines = [row(ident(n), balance="10") for n in range(1, 7)]
    import_in_one_lane(lines, chunk_size=2)

    with CaptureQueriesContext(connection) as queries:
        report = import_in_one_lane(lines, chunk_size=2)

    assert (report.created, report.unchanged) == (0, 6)
    assert analyses(queries) == 0


def test_a_large_database_is_not_analysed_for_a_few_new_insurees(db):
    statistics = Statistics(counted=1_000_000)

    with CaptureQueriesContext(connection) as queries:
        for _chunk in range(10):
            statistics.grown(5_000)
        statistics.finish()

    assert analyses(queries) == 0  # 50,000 new insurees: a twentieth


def test_a_stale_count_is_corrected_by_the_first_analysis(empty_statistics):
    import_in_one_lane([row(ident(n)) for n in range(1, 9)], chunk_size=8)
    statistics = Statistics(counted=0)  # as a restored database's, never analysed

    with CaptureQueriesContext(connection) as queries:
        statistics.grown(1)  # due: anything is twice nothing
        statistics.grown(1)  # 8 counted now, not 1: not due

    assert analyses(queries) == TABLES


def test_nothing_is_analysed_inside_a_callers_transaction(db):
    with CaptureQueriesContext(connection) as queries:
        report = import_rows(*(row(ident(n)) for n in range(1, 7)), chunk_size=2)

    assert report.created == 6
    assert analyses(queries) == 0


def test_two_lanes_leave_the_statistics_counting_the_insurees(empty_statistics):
    report = import_rows(*(row(ident(n)) for n in range(1, 7)), chunk_size=2)

    assert report.created == 6
    assert insurees_counted() == 6
