"""Hostile and malformed input through the page forms: shown again with the reason (400), never a 500,
never a change in the database, and the input never echoed unescaped."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from insurees.models import Person
from staff.models import AuditRecord
from tests.api.test_hostile_input import HOSTILE_STRINGS
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PledgeFactory,
    PremiumRateFactory,
    ResidentFactory,
    user_for,
)
from tests.payments.invariants import Snapshot
from tests.staff.conftest import staff_user

# (page, who submits, the fields filled with a hostile value; the rest of the body is valid)
FORMS = {
    "register": ("anonymous", ["id_number", "name", "phone"]),
    "binding-create": (
        "authorizer",
        ["beneficiary_id_number", "beneficiary_name", "relation", "pledge_version"],
    ),
    "pay": ("authorizer", ["year", "beneficiaries"]),
    "pay-self": ("beneficiary", ["year"]),
    "staff:home": ("counter_staff", ["id_number"]),
}
CASES = [
    (page, field, value)
    for page, (_who, fields) in FORMS.items()
    for field in fields
    for value in HOSTILE_STRINGS
]


@pytest.fixture
def year():
    return timezone.localdate().year + 1


@pytest.fixture
def rate(db, year):
    return PremiumRateFactory(year=year)


@pytest.fixture
def pledge(db):
    return PledgeFactory()


@pytest.fixture
def binding(pledge):
    return BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000), pledge=pledge)


def valid_body(page, binding, pledge, year, stranger):
    beneficiary = binding.beneficiary
    return {
        "register": {
            "id_number": stranger.person.id_number,
            "name": stranger.person.name,
            "phone": "13900000000",
            "password": "Gongji-test-2026",
            "password_again": "Gongji-test-2026",
        },
        "binding-create": {
            "beneficiary_id_number": stranger.person.id_number,
            "beneficiary_name": stranger.person.name,
            "relation": "parent",
            "pledge_version": pledge.version,
            "pledge_accepted": "on",
        },
        "pay": {"year": year, "beneficiaries": [beneficiary.pk], "idempotency_key": "hostile-page"},
        "pay-self": {"year": year, "idempotency_key": "hostile-page"},
        "staff:home": {"id_number": beneficiary.person.id_number},
    }[page]


def client_as(who, binding):
    if who == "anonymous":
        return Client()
    client = Client()
    if who == "counter_staff":
        client.force_login(staff_user("counter_staff", "clerk"))
        client.post(reverse("staff:home"), {"counter_id": "DL-01"})
        return client
    person = binding.authorizer.person if who == "authorizer" else binding.beneficiary.person
    client.force_login(user_for(person))
    return client


def counts():
    return [Person.objects.count(), AuditRecord.objects.count()]


@pytest.mark.parametrize(
    ("page", "field", "value"), CASES, ids=[f"{p}:{f}:{i}" for i, (p, f, _v) in enumerate(CASES)]
)
def test_a_hostile_form_field_is_shown_again_with_the_reason_and_changes_nothing(
    binding, pledge, rate, year, page, field, value
):
    stranger = ResidentFactory(region_code=binding.beneficiary.region_code)
    who, _fields = FORMS[page]
    client = client_as(who, binding)
    body = {**valid_body(page, binding, pledge, year, stranger), field: value}
    before, before_counts = Snapshot(), counts()

    response = client.post(reverse(page), body)

    assert response.status_code == 400, response.content[:300]
    html = response.content.decode()
    assert 'aria-invalid="true"' in html or 'role="alert"' in html
    assert "<script>alert(1)</script>" not in html
    before.assert_unchanged()
    assert counts() == before_counts


@pytest.mark.parametrize("page", list(FORMS))
def test_the_valid_body_is_accepted(binding, pledge, rate, year, page):
    """The control: without the hostile value each form goes through, so the refusals above are the
    hostile field's doing."""
    stranger = ResidentFactory(region_code=binding.beneficiary.region_code)
    who, _fields = FORMS[page]

    response = client_as(who, binding).post(reverse(page), valid_body(page, binding, pledge, year, stranger))

    assert response.status_code == 302, response.content[:300]
