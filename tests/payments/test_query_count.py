"""The payment path's round trips are few and fixed: they grow neither with history nor with the number
of bound accounts.

Counted inside the test's own transaction, so the payment's outermost transaction shows as a
SAVEPOINT and a RELEASE (in production: BEGIN and COMMIT, which the driver sends unseen).

On PostgreSQL the payment is one call of the server-side function payments_pay (migration 0004 of
payments), which does all of the steps below in the database. On SQLite, the ORM path:

    claim the idempotency key        1  INSERT ... ON CONFLICT DO NOTHING RETURNING
    ensure + lock the enrollment     2  INSERT ... ON CONFLICT DO NOTHING; SELECT ... FOR UPDATE
                                        (the beneficiary comes in the same round trip)
    the bindings                     1
    the rate; already paid?          2
    lock the accounts                1  the personal accounts and the fund account, one statement
    ledger posting                   3  transaction, entries, one update of both balances (the
                                        accounts are locked already: no savepoint, no second lock)
    payment, outbox row, notice      3
    the key's link to the payment    1

After the commit a drain of the outbox is started unless one runs (a cache flag), with no database
work; the sync runs later, in the worker, in batches, and is not counted here.
"""

import pytest
from django.db import connection

from payments.services import fund_account_ensure, payment_create_for_relative, payment_create_self
from tests.factories import BindingFactory, EmployeeFactory, ResidentFactory


def expected_queries() -> int:
    return 3 if connection.vendor == "postgresql" else 16


@pytest.fixture(autouse=True)
def _steady_state(rate, django_capture_on_commit_callbacks):
    """The region's fund account exists and this process knows it, as after the region's first payment."""
    with django_capture_on_commit_callbacks(execute=True):
        fund_account_ensure(region_code=rate.region_code)


@pytest.mark.parametrize("history", [0, 5])
def test_an_authorizer_payment_takes_a_fixed_number_of_queries(
    year, actor_for, django_assert_num_queries, history
):
    authorizer = EmployeeFactory(balance_fen=10_000_000)
    for _ in range(history):
        BindingFactory(authorizer=authorizer)
    binding = BindingFactory(authorizer=authorizer)
    actor = actor_for()

    with django_assert_num_queries(expected_queries()):
        payment_create_for_relative(
            authorizer=authorizer, beneficiary=binding.beneficiary, year=year, actor=actor
        )


@pytest.mark.parametrize("authorizers", [1, 3])
def test_a_self_payment_takes_a_fixed_number_of_queries(
    year, actor_for, django_assert_num_queries, authorizers
):
    parent = ResidentFactory()
    for _ in range(authorizers):
        BindingFactory(authorizer=EmployeeFactory(), beneficiary=parent)
    actor = actor_for()

    with django_assert_num_queries(expected_queries()):
        payment_create_self(beneficiary=parent, year=year, actor=actor)


def test_a_retry_with_the_same_key_is_cheaper_still(year, actor_for, django_assert_num_queries):
    binding = BindingFactory()
    actor = actor_for()
    payment_create_for_relative(
        authorizer=binding.authorizer, beneficiary=binding.beneficiary, year=year, actor=actor
    )

    # SAVEPOINT, the claim that finds the key taken (and, on SQLite, the key), its payments, RELEASE.
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 5):
        payment_create_for_relative(
            authorizer=binding.authorizer, beneficiary=binding.beneficiary, year=year, actor=actor
        )


@pytest.mark.postgres
def test_the_payment_functions_plan_each_statement_once_per_connection(db):
    """With custom plans, every payment planned its statements again (migration 0006 of payments). A
    function created again loses the setting unless it says so itself: this test then fails."""
    functions = ["payments_pay", "payments_pay_for_person", "payments_sync_enrollments"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname, proconfig FROM pg_proc WHERE proname = ANY (%s)", [functions])
        settings = dict(cursor.fetchall())

    assert settings == {name: ["plan_cache_mode=force_generic_plan"] for name in functions}
