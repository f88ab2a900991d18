"""Concurrent payments against the real PostgreSQL: row locks, unique constraints, no deadlock."""

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from django.db import connection

from common.errors import ApplicationError
from insurees.models import PremiumKind
from ledger.models import Account
from payments.models import Payment, PaymentStatus
from payments.services import Actor
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    LongTermCareRateFactory,
    ResidentFactory,
    UserFactory,
)
from tests.payments.invariants import assert_money_invariants
from tests.payments.paying import payment_create_for_relative, payment_create_self


def run_concurrently(calls, max_connections=45):
    """Runs the calls from up to `max_connections` threads at once (PostgreSQL allows 100 clients);
    returns each outcome: a payment id, an error code, or the unexpected exception."""

    def run(call):
        try:
            return call().pk
        except ApplicationError as refused:
            return refused.code
        except Exception as unexpected:  # a deadlock or any database error fails the test
            return unexpected
        finally:
            connection.close()

    start = threading.Barrier(min(len(calls), max_connections))

    def first_wave(call):
        start.wait()
        return run(call)

    with ThreadPoolExecutor(max_workers=max_connections) as pool:
        head = list(pool.map(first_wave, calls[:max_connections]))
        tail = list(pool.map(run, calls[max_connections:]))
    return head + tail


def test_fifty_self_payments_for_one_beneficiary_make_exactly_one_payment(transactional_db, rate, year):
    parent = ResidentFactory()
    for balance_fen in (100_000, 200_000, 150_000):
        BindingFactory(authorizer=EmployeeFactory(balance_fen=balance_fen), beneficiary=parent)
    user = UserFactory()
    calls = [
        (
            lambda i=i: payment_create_self(
                beneficiary=parent, year=year, actor=Actor(user=user, idempotency_key=f"k{i}")
            )
        )
        for i in range(50)
    ]

    outcomes = run_concurrently(calls)

    ids = [o for o in outcomes if isinstance(o, int)]
    assert len(ids) == 1, outcomes
    assert Counter(o for o in outcomes if not isinstance(o, int)) == {"already_paid": 49}
    assert Payment.objects.get().authorizer.account.balance_fen == 200_000 - 42_000
    assert_money_invariants()


def test_twenty_retries_with_one_key_return_the_same_payment(transactional_db, rate, year):
    binding = BindingFactory()
    actor = Actor(user=UserFactory(), idempotency_key="one-key")
    calls = [
        (
            lambda: payment_create_for_relative(
                authorizer=binding.authorizer, beneficiary=binding.beneficiary, year=year, actor=actor
            )
        )
        for _ in range(20)
    ]

    outcomes = run_concurrently(calls)

    assert len(set(outcomes)) == 1, outcomes
    assert isinstance(outcomes[0], int)
    assert Payment.objects.count() == 1
    assert_money_invariants()


def test_two_hundred_self_payments_of_a_hundred_relatives_sharing_twenty_accounts(
    transactional_db, rate, year
):
    rng = random.Random(2026)
    # Tight balances: 20 accounts holding 1 to 5 premiums each for 100 relatives, so many must fail.
    authorizers = [
        EmployeeFactory(balance_fen=42_000 * rng.randint(1, 5) + rng.randint(0, 41_999)) for _ in range(20)
    ]
    relatives = [ResidentFactory() for _ in range(100)]
    for relative in relatives:
        for authorizer in rng.sample(authorizers, rng.randint(2, 3)):
            BindingFactory(authorizer=authorizer, beneficiary=relative)
    user = UserFactory()
    calls = [
        (
            lambda i=i, relative=relative: payment_create_self(
                beneficiary=relative, year=year, actor=Actor(user=user, idempotency_key=f"r{i}")
            )
        )
        for i, relative in enumerate(relatives * 2)
    ]
    rng.shuffle(calls)

    outcomes = run_concurrently(calls)

    unexpected = [o for o in outcomes if not isinstance(o, int | str)]
    assert unexpected == []
    assert set(o for o in outcomes if isinstance(o, str)) <= {"already_paid", "insufficient_balance"}
    settled = Payment.objects.filter(status=PaymentStatus.SETTLED)
    assert settled.count() == len({o for o in outcomes if isinstance(o, int)})
    assert settled.values("beneficiary").distinct().count() == settled.count()
    assert_money_invariants()


def test_long_term_care_and_resident_self_payments_racing_make_exactly_one_of_each(
    transactional_db, rate, year
):
    LongTermCareRateFactory(year=year, amount_fen=12_000)
    parent = ResidentFactory()
    for balance_fen in (100_000, 200_000, 150_000):
        BindingFactory(authorizer=EmployeeFactory(balance_fen=balance_fen), beneficiary=parent)
    user = UserFactory()
    calls = [
        (
            lambda i=i, kind=kind: payment_create_self(
                beneficiary=parent,
                year=year,
                actor=Actor(user=user, idempotency_key=f"{kind}-{i}"),
                kind=kind,
            )
        )
        for i in range(25)
        for kind in (PremiumKind.LONG_TERM_CARE, PremiumKind.RESIDENT_MEDICAL)
    ]
    random.Random(2027).shuffle(calls)

    outcomes = run_concurrently(calls)

    assert Counter(o for o in outcomes if not isinstance(o, int)) == {"already_paid": 48}, outcomes
    settled = Payment.objects.filter(status=PaymentStatus.SETTLED)
    assert sorted(settled.values_list("kind", "amount_fen")) == [
        (PremiumKind.LONG_TERM_CARE, 12_000),
        (PremiumKind.RESIDENT_MEDICAL, 42_000),
    ]
    # The richest account stays the richest after either premium, so it pays both.
    assert {p.authorizer.account.balance_fen for p in settled} == {200_000 - 54_000}
    assert_money_invariants()


def test_two_authorizers_paying_one_relatives_long_term_care_premium_at_once_pay_it_once(
    transactional_db, rate, year
):
    LongTermCareRateFactory(year=year, amount_fen=12_000)
    parent = ResidentFactory()
    bindings = [BindingFactory(beneficiary=parent) for _ in range(2)]
    calls = [
        (
            lambda i=i, binding=binding: payment_create_for_relative(
                authorizer=binding.authorizer,
                beneficiary=parent,
                year=year,
                actor=Actor(user=UserFactory(), idempotency_key=f"ltc-{i}"),
                kind=PremiumKind.LONG_TERM_CARE,
            )
        )
        for i in range(10)
        for binding in bindings
    ]

    outcomes = run_concurrently(calls)

    assert Counter(o for o in outcomes if not isinstance(o, int)) == {"already_paid": 19}, outcomes
    [payment] = Payment.objects.all()
    assert (payment.kind, payment.amount_fen) == (PremiumKind.LONG_TERM_CARE, 12_000)
    balances = Account.objects.filter(pk__in=[b.authorizer.account_id for b in bindings])
    assert sorted(balances.values_list("balance_fen", flat=True)) == [100_000 - 12_000, 100_000]
    assert_money_invariants()
