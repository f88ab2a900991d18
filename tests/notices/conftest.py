import itertools

import pytest
from django.utils import timezone

from payments.services import Actor
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PersonFactory,
    PledgeFactory,
    PremiumRateFactory,
    ResidentFactory,
    UserFactory,
)

_keys = itertools.count()


@pytest.fixture
def year():
    return timezone.localdate().year + 1


@pytest.fixture
def rate(db, year):
    return PremiumRateFactory(year=year, amount_fen=42_000)


@pytest.fixture
def pledge(db):
    return PledgeFactory()


@pytest.fixture
def family(rate, pledge):
    """张伟, an employee with 1,000 yuan, bound to his father 张国强, a resident."""
    son = EmployeeFactory(person=PersonFactory(name="张伟"), balance_fen=100_000)
    father = ResidentFactory(person=PersonFactory(name="张国强"))
    return BindingFactory(authorizer=son, beneficiary=father, pledge=pledge)


@pytest.fixture
def actor_for():
    def make(user=None, **kwargs):
        return Actor(user=user or UserFactory(), idempotency_key=f"notice-key-{next(_keys)}", **kwargs)

    return make
