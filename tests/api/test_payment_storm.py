"""A storm of identical payments through the HTTP layer, against the real PostgreSQL.

tests/payments/test_concurrency.py calls the services from many threads; here the same races go
through everything in front of them (token authentication, DRF parsing, the Idempotency-Key header,
the error handler that maps refusals to 409): 20 threads, each with its own APIClient and database
connection, released at once by a barrier, POST the same payment.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

from ledger.models import Account, Entry
from payments.models import Payment, PaymentStatus
from tests.api.conftest import client_for
from tests.api.test_payments_api import pay
from tests.factories import BindingFactory, EmployeeFactory
from tests.payments.invariants import assert_money_invariants

THREADS = 20
PREMIUM_FEN = 42_000


def storm(clients, request):
    """Sends `request(client, i)` from one thread per client, all released at once; returns each
    thread's (status, body) in order (an exception, such as a dropped connection, fails the test)."""
    start = threading.Barrier(len(clients))

    def run(i):
        try:
            start.wait()
            response = request(clients[i], i)
            return response.status_code, response.json()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return list(pool.map(run, range(len(clients))))


def clients_of(person):
    """One APIClient per thread (a client is no thread-safe object), all signed in as the person."""
    return [client_for(person) for _ in range(THREADS)]


def outcome(status, body):
    return body["error"]["code"] if status >= 400 else status


def debits_of(account_id):
    return Entry.objects.filter(account_id=account_id, amount_fen__lt=0)


def test_twenty_retries_with_one_idempotency_key_pay_once_and_answer_the_same_payment(
    transactional_db, binding, rate, year
):
    account_id = binding.authorizer.account_id

    answers = storm(
        clients_of(binding.authorizer.person),
        lambda client, i: pay(client, binding.beneficiary, year, key="storm-one-key"),
    )

    paid = [body for status, body in answers if status in {200, 201}]
    others = [(status, body) for status, body in answers if status not in {200, 201}]
    assert paid, answers
    assert all(
        (status, outcome(status, body)) == (409, "idempotency_in_flight") for status, body in others
    ), others
    assert {body["reference"] for body in paid} == {Payment.objects.get().reference}
    assert Payment.objects.filter(status=PaymentStatus.SETTLED).count() == 1
    assert debits_of(account_id).count() == 1
    assert Account.objects.get(pk=account_id).balance_fen == 100_000 - PREMIUM_FEN
    assert_money_invariants()


def test_twenty_payments_with_twenty_keys_pay_once_and_the_others_are_already_paid(
    transactional_db, binding, rate, year
):
    account_id = binding.authorizer.account_id

    answers = storm(
        clients_of(binding.authorizer.person),
        lambda client, i: pay(client, binding.beneficiary, year, key=f"storm-key-{i}"),
    )

    assert Counter(outcome(*answer) for answer in answers) == {201: 1, "already_paid": THREADS - 1}, answers
    assert all(status == 409 for status, body in answers if status != 201)
    (created,) = [body for status, body in answers if status == 201]
    settled = Payment.objects.get(status=PaymentStatus.SETTLED)
    assert (settled.reference, Payment.objects.count()) == (created["reference"], 1)
    assert debits_of(account_id).count() == 1
    assert Account.objects.get(pk=account_id).balance_fen == 100_000 - PREMIUM_FEN
    assert_money_invariants()


def test_twenty_self_payments_with_twenty_keys_pay_once_from_the_richest_account(
    transactional_db, binding, rate, year
):
    parent = binding.beneficiary
    richest = EmployeeFactory(balance_fen=200_000)
    BindingFactory(authorizer=richest, beneficiary=parent, pledge=binding.pledge)
    BindingFactory(authorizer=EmployeeFactory(balance_fen=150_000), beneficiary=parent, pledge=binding.pledge)

    answers = storm(
        clients_of(parent.person),
        lambda client, i: client.post(
            "/api/v1/payments/self/", {"year": year}, format="json", HTTP_IDEMPOTENCY_KEY=f"storm-self-{i}"
        ),
    )

    assert Counter(outcome(*answer) for answer in answers) == {201: 1, "already_paid": THREADS - 1}, answers
    settled = Payment.objects.get(status=PaymentStatus.SETTLED)
    assert Payment.objects.count() == 1
    assert settled.authorizer_id == richest.pk
    assert Account.objects.get(pk=richest.account_id).balance_fen == 200_000 - PREMIUM_FEN
    assert Entry.objects.filter(amount_fen__lt=0, account__kind="personal").count() == 1
    assert_money_invariants()
