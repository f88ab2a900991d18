import itertools

import pytest
from django.utils import timezone

from payments.services import Actor
from tests.factories import BindingFactory, EmployeeFactory, PremiumRateFactory, ResidentFactory, UserFactory
from tests.payments.invariants import Snapshot, assert_money_invariants

_keys = itertools.count()


@pytest.fixture(autouse=True)
def _money_invariants_hold_after_each_test(db):
    """Whatever a test did, the books balance at its end (checked before its data is rolled back)."""
    yield
    assert_money_invariants()


@pytest.fixture
def year():
    return timezone.localdate().year + 1


@pytest.fixture
def rate(db, year):
    return PremiumRateFactory(year=year, amount_fen=42_000)


@pytest.fixture
def family(rate):
    """An employee (balance 1,000 yuan) bound to his resident father."""
    authorizer = EmployeeFactory(balance_fen=100_000)
    father = ResidentFactory()
    binding = BindingFactory(authorizer=authorizer, beneficiary=father)
    return binding


@pytest.fixture
def actor_for():
    def make(user=None, key=None, **kwargs):
        return Actor(user=user or UserFactory(), idempotency_key=key or f"key-{next(_keys)}", **kwargs)

    return make


@pytest.fixture
def snapshot():
    """Call it before a refused request; `.assert_unchanged()` after."""
    return Snapshot
