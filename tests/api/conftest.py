import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import BindingFactory, EmployeeFactory, PledgeFactory, PremiumRateFactory, user_for


def client_for(person) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user_for(person))
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def pledge(db):
    return PledgeFactory()


@pytest.fixture
def rate(db, year):
    return PremiumRateFactory(year=year, amount_fen=42_000)


@pytest.fixture
def year():
    from django.utils import timezone

    return timezone.localdate().year + 1


@pytest.fixture
def authorizer(db):
    return EmployeeFactory(balance_fen=100_000)


@pytest.fixture
def binding(authorizer, pledge):
    return BindingFactory(authorizer=authorizer, pledge=pledge)


@pytest.fixture
def as_authorizer(authorizer):
    return client_for(authorizer.person)


@pytest.fixture
def as_beneficiary(binding):
    return client_for(binding.beneficiary.person)
