"""The payment path's round trips are few and fixed: they grow neither with history nor with the number
of bound accounts.

Counted inside the test's own transaction, so the payment's outermost transaction shows as a
SAVEPOINT and a RELEASE (in production: BEGIN and COMMIT, which the driver sends unseen).

The payment is one call of the server-side function payments_pay (payments/migrations/sql/pay.sql),
which does every step in the database.

After the commit a drain of the outbox is started unless one runs (a cache flag), with no database
work; the sync runs later, in the worker, in batches, and is not counted here.
"""

import pytest
from django.db import connection

from tests.factories import BindingFactory, EmployeeFactory, ResidentFactory
from tests.payments.paying import fund_account_ensure, payment_create_for_relative, payment_create_self


def expected_queries() -> int:
    return 3  # SAVEPOINT (inside the test's transaction), the payment's one call, RELEASE


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

    # SAVEPOINT, the call that finds the key taken, its payments, RELEASE.
    with django_assert_num_queries(4):
        payment_create_for_relative(
            authorizer=binding.authorizer, beneficiary=binding.beneficiary, year=year, actor=actor
        )


def test_the_payment_functions_plan_each_statement_once_per_connection(db):
    """With custom plans, every payment planned its statements again: each function on the payment's
    and the sync's path says so in its own text (the apps' migrations/sql/ files)."""
    functions = [
        "payments_pay",
        "payments_settle",
        "payments_sync_enrollments",
        "ledger_post",
        "ledger_accounts_lock",
        "ledger_accounts_ensure",
        "ledger_entries_posted",
        "insurees_enrollments_lock",
        "insurees_enrollments_lock_pairs",
        "insurees_enrollments_mark_paid",
        "notices_post",
        "notices_post_many",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname, proconfig FROM pg_proc WHERE proname = ANY (%s)", [functions])
        settings = dict(cursor.fetchall())

    assert settings == {name: ["plan_cache_mode=force_generic_plan"] for name in functions}
