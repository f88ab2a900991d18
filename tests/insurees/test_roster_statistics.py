"""A roster import keeps the planner's statistics fit for the rows it adds (insurees/roster.py): the
tables are analysed each time the import doubles the insurees counted at the last analysis, and
not at all by an import that adds nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insurees.roster import Statistics
from tests.insurees.test_roster_import import ident, import_rows, row

pytestmark = pytest.mark.postgres

TABLES = 5  # persons, insurees, accounts, ledger transactions, entries


def analyses(queries: CaptureQueriesContext) -> int:
    return sum(query["sql"].startswith("ANALYZE") for query in queries.captured_queries)


def test_an_empty_database_is_analysed_as_the_import_doubles_it_and_once_at_the_end(db):
    statistics = Statistics(counted=0)
    done = []

    with CaptureQueriesContext(connection) as queries:
        for created in (5, 5, 5, 5, 10, 0):
            statistics.grown(created)
            done.append(analyses(queries) // TABLES)
        statistics.finish()

    # After 5 (more than none), 10 (twice 5) and 20 (twice 10) insurees; then 30 at the end.
    assert done == [1, 2, 2, 3, 3, 3]
    assert analyses(queries) == 4 * TABLES


def test_a_large_database_is_not_analysed_for_a_few_new_insurees(db):
    statistics = Statistics(counted=1_000_000)

    with CaptureQueriesContext(connection) as queries:
        for _chunk in range(10):
            statistics.grown(5_000)
        statistics.finish()

    assert analyses(queries) == 0  # 50,000 new insurees: a twentieth


def test_importing_the_same_roster_again_analyses_nothing(db):
    lines = [row(ident(n), balance="10") for n in range(1, 7)]
    import_rows(*lines, chunk_size=2)

    with CaptureQueriesContext(connection) as queries:
        report = import_rows(*lines, chunk_size=2)

    assert (report.created, report.unchanged) == (0, 6)
    assert analyses(queries) == 0


def test_a_first_import_leaves_the_statistics_counting_its_insurees(db):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE insurees_insuree")  # as an empty database's: other tests' runs linger

        import_rows(*(row(ident(n)) for n in range(1, 7)), chunk_size=2)

        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'insurees_insuree'")
        assert cursor.fetchone()[0] == 6
