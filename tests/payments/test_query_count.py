"""The payment path's round trips are fixed: they must not grow with history or family size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ledger.models import AccountKind
from ledger.services import account_get_or_create
from payments.services import payment_create_for_relative, payment_create_self
from tests.factories import BindingFactory, EmployeeFactory, ResidentFactory

# Savepoints included; the sync runs later, in the worker, and is not counted here.
AUTHORIZER_PAYMENT_QUERIES = 24
SELF_PAYMENT_QUERIES = 24


@pytest.fixture(autouse=True)
def _fund_account_exists(db):
    """Steady state: the region's fund account was created by an earlier payment."""
    account_get_or_create(code="fund:resident_premium:210200", kind=AccountKind.FUND)


def _count(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


@pytest.mark.parametrize("history", [0, 5])
def test_an_authorizer_payment_takes_a_fixed_number_of_queries(rate, year, actor_for, history):
    authorizer = EmployeeFactory(balance_fen=10_000_000)
    for _ in range(history):
        BindingFactory(authorizer=authorizer)
    binding = BindingFactory(authorizer=authorizer)
    actor = actor_for()

    count = _count(
        lambda: payment_create_for_relative(
            authorizer=authorizer, beneficiary=binding.beneficiary, year=year, actor=actor
        )
    )

    assert count == AUTHORIZER_PAYMENT_QUERIES


@pytest.mark.parametrize("authorizers", [1, 3])
def test_a_self_payment_takes_a_fixed_number_of_queries(rate, year, actor_for, authorizers):
    parent = ResidentFactory()
    for _ in range(authorizers):
        BindingFactory(authorizer=EmployeeFactory(), beneficiary=parent)
    actor = actor_for()

    assert (
        _count(lambda: payment_create_self(beneficiary=parent, year=year, actor=actor))
        == SELF_PAYMENT_QUERIES
    )
