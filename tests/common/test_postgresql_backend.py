"""The backend's health check (common/postgresql/base.py): a reused connection is judged without a
query, and one the server has ended is found out before a request uses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import DatabaseError, connection, connections

from common.postgresql.base import DatabaseWrapper
from tests.conftest import raw_connection
from tests.payments.test_sync_with_worker import wait_until


@pytest.fixture
def wrapper(db) -> Iterator[DatabaseWrapper]:
    """A connection of its own to the test database, as a request's would be (autocommit)."""
    own = DatabaseWrapper({**connection.settings_dict, "CONN_HEALTH_CHECKS": True})
    own.ensure_connection()
    yield own
    own.close()


@pytest.fixture
def watcher():
    with raw_connection(autocommit=True) as watcher:
        yield watcher


def _backend(wrapper: DatabaseWrapper) -> int:
    return wrapper.connection.info.backend_pid


def _last_change(watcher, pid: int):
    return watcher.execute("SELECT state_change FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()


def test_the_backend_is_the_projects():
    assert isinstance(connections["default"], DatabaseWrapper)


def test_an_idle_connection_is_usable_and_judging_it_asks_the_server_nothing(wrapper, watcher):
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT 1")
    pid = _backend(wrapper)
    before = _last_change(watcher, pid)

    assert all(wrapper.is_usable() for _ in range(3))

    assert _last_change(watcher, pid) == before  # a query, even SELECT 1, would have moved it


def test_a_connection_the_server_ended_is_unusable_and_replaced_before_the_next_query(wrapper, watcher):
    pid = _backend(wrapper)
    watcher.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert wait_until(lambda: _last_change(watcher, pid) is None, seconds=10)

    assert not wrapper.is_usable()
    # As at the start of a request: the health check closes it, and the query goes on a new one.
    wrapper.health_check_done = False
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_connection_in_a_failed_transaction_is_unusable(wrapper):
    wrapper.set_autocommit(False)
    with pytest.raises(DatabaseError), wrapper.cursor() as cursor:
        cursor.execute("SELECT 1/0")

    assert not wrapper.is_usable()
    wrapper.rollback()
    assert wrapper.is_usable()


def test_a_closed_connection_is_unusable(wrapper):
    wrapper.connection.close()

    assert not wrapper.is_usable()
