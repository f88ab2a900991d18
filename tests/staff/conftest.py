import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import BindingFactory, EmployeeFactory, PledgeFactory, PremiumRateFactory, UserFactory


def staff_user(role: str, username: str):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def year():
    return timezone.localdate().year + 1


@pytest.fixture
def world(db, year):
    PledgeFactory()
    PremiumRateFactory(year=year)
    return BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000))


@pytest.fixture
def clerk(db):
    return staff_user("counter_staff", "clerk")


@pytest.fixture
def supervisor(db):
    return staff_user("counter_supervisor", "supervisor")


@pytest.fixture
def auditor(db):
    return staff_user("auditor", "auditor")


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    client.credentials(HTTP_X_COUNTER_ID="DL-07")
    return client
