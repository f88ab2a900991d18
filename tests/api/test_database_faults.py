"""The database connection dropped in the middle of a payment, on the real PostgreSQL.

The payment's own backend is terminated while it waits for the enrollment's row lock, after it has
claimed its Idempotency-Key: nothing of that attempt remains, the portal asks again on a new
connection with the same key, and the client's one request is answered 201 with a payment made once.
(tests/api/test_payment_outcome.py: the connection lost after the commit, and the database staying away.)
"""

import threading

import psycopg
from django.db import connections

from insurees.models import Enrollment
from ledger.models import Transaction
from payments.models import IdempotencyKey, OutboxMessage, Payment
from tests.api.conftest import client_for
from tests.api.test_payments_api import pay
from tests.conftest import raw_connection
from tests.payments.invariants import assert_money_invariants
from tests.payments.test_sync_with_worker import wait_until


def _backend_waiting_on_a_lock(watcher: psycopg.Connection) -> int | None:
    row = watcher.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    ).fetchone()
    return row[0] if row else None


def test_a_payment_whose_connection_drops_is_made_once_on_a_new_connection(
    transactional_db, binding, rate, year
):
    authorizer = binding.authorizer
    balance_before = authorizer.account.balance_fen
    Enrollment.objects.create(insuree=binding.beneficiary, year=year)
    client = client_for(authorizer.person)
    client.raise_request_exception = False
    answers = []

    def first_attempt():
        try:
            answers.append(pay(client, binding.beneficiary, year, key="drop-1"))
        finally:
            connections.close_all()

    blocker, watcher = raw_connection(autocommit=False), raw_connection(autocommit=True)
    try:
        # Hold the enrollment, so the payment stops inside its transaction, its key already claimed.
        blocker.execute(
            "SELECT 1 FROM insurees_enrollment WHERE insuree_id = %s AND year = %s FOR UPDATE",
            [binding.beneficiary_id, year],
        )
        attempt = threading.Thread(target=first_attempt)
        attempt.start()
        assert wait_until(lambda: _backend_waiting_on_a_lock(watcher) is not None, seconds=20)
        dropped = _backend_waiting_on_a_lock(watcher)
        watcher.execute("SELECT pg_terminate_backend(%s)", [dropped])
        # Its transaction is gone whole: the key is free again, nothing of the payment remains.
        assert wait_until(lambda: not _alive(watcher, dropped), seconds=20)
        assert not Payment.objects.exists()
        assert not IdempotencyKey.objects.exists()
        # The portal asks again with the same key, on a backend of its own, and waits for the lock.
        assert wait_until(lambda: _backend_waiting_on_a_lock(watcher) not in (None, dropped), seconds=20)
    finally:
        blocker.rollback()
        blocker.close()
    try:
        attempt.join(timeout=20)
        assert not attempt.is_alive()
    finally:
        watcher.close()

    [answer] = answers
    assert answer.status_code == 201, answer.content
    replay = pay(client, binding.beneficiary, year, key="drop-1")
    assert replay.json()["reference"] == answer.json()["reference"]
    assert Payment.objects.count() == 1
    assert OutboxMessage.objects.count() == 1
    assert Transaction.objects.filter(memo__startswith="premium").count() == 1
    authorizer.account.refresh_from_db()
    assert authorizer.account.balance_fen == balance_before - rate.amount_fen
    assert_money_invariants()


def _alive(watcher: psycopg.Connection, pid: int) -> bool:
    return watcher.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone() is not None
