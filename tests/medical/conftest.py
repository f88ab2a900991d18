import itertools

import pytest

from medical.services import Actor
from tests.factories import BindingFactory, EmployeeFactory, ResidentFactory, user_for
from tests.payments.invariants import Snapshot, assert_money_invariants

_keys = itertools.count()


@pytest.fixture(autouse=True)
def _money_invariants_hold_after_each_test(db):
    """Whatever a test did, the books balance and every hold matches its allowance at its end."""
    yield
    assert_money_invariants()


@pytest.fixture
def family(db):
    """An employee (balance 1,000 yuan) bound to his resident father."""
    return BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000), beneficiary=ResidentFactory())


@pytest.fixture
def actor_for():
    def make(person, key=None):
        return Actor(user=user_for(person), idempotency_key=key or f"key-{next(_keys)}")

    return make


@pytest.fixture
def snapshot():
    """Call it before a refused request; `.assert_unchanged()` after."""
    return Snapshot
