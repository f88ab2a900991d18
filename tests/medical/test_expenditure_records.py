"""The authorizer's expenditure records (支出记录) show what his allowances moved in his personal account:
each hold and release, and what a settlement paid back into it once its allowance was gone; together
with his premiums they account for every fen the account moved since it was funded."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insurees.models import InsureeStatus
from insurees.services import insuree_change
from medical.movement_selectors import MovementKind, allowance_movements_for_authorizer
from medical.services import Actor, allowance_release, allowance_set
from portal.expenditures import expenditure_records_for_person
from tests.api.conftest import client_for
from tests.factories import DALIAN, BindingFactory, EmployeeFactory, PremiumRateFactory, user_for
from tests.medical.settling import balance, clinic_make, code_for

OPENING = 100_000  # the family's employee starts with ¥1,000


@pytest.fixture
def clinic(db):
    return clinic_make("H001", DALIAN, name="大连市中心医院")


def set_to(binding, amount_fen: int, key: str):
    person = binding.authorizer.person
    return allowance_set(
        authorizer=person,
        binding_id=binding.pk,
        amount_fen=amount_fen,
        actor=Actor(user=user_for(person), idempotency_key=key),
    )


def release(binding, key: str = "release") -> None:
    person = binding.authorizer.person
    allowance_release(
        authorizer=person, binding_id=binding.pk, actor=Actor(user=user_for(person), idempotency_key=key)
    )


def movements(binding) -> list[tuple[str, int]]:
    return [
        (m.kind, m.amount_fen) for m in allowance_movements_for_authorizer(person=binding.authorizer.person)
    ]


def moved_since_funding(binding) -> int:
    return balance(binding.authorizer.account_id) - OPENING


def test_each_hold_and_release_is_a_line_newest_first_and_a_settlement_is_none(family, clinic):
    set_to(family, 50_000, "a")
    set_to(family, 80_000, "b")
    clinic.settle(code_for(family.beneficiary), 10_000)
    set_to(family, 60_000, "c")
    set_to(family, 60_000, "d")  # the same amount again moves nothing
    release(family)

    assert movements(family) == [
        (MovementKind.RELEASE, 50_000),  # what was left of ¥600 after ¥100 spent
        (MovementKind.RELEASE, 20_000),
        (MovementKind.HOLD, -30_000),
        (MovementKind.HOLD, -50_000),
    ]
    assert sum(amount for _kind, amount in movements(family)) == moved_since_funding(family) == -10_000


def test_a_reversal_or_refund_into_a_live_allowance_is_no_line_but_after_its_release_it_is(family, clinic):
    set_to(family, 50_000, "a")
    into_hold = clinic.settle(code_for(family.beneficiary), 10_000)
    clinic.reverse(into_hold.settlement_id)
    refunded = clinic.settle(code_for(family.beneficiary), 20_000)
    reversed_later = clinic.settle(code_for(family.beneficiary), 5_000)
    release(family)
    clinic.refund(refunded.settlement_id, 3_000)
    clinic.reverse(reversed_later.settlement_id)

    lines = allowance_movements_for_authorizer(person=family.authorizer.person)

    assert [(line.kind, line.amount_fen) for line in lines] == [
        (MovementKind.RETURN, 5_000),
        (MovementKind.RETURN, 3_000),
        (MovementKind.RELEASE, 25_000),
        (MovementKind.HOLD, -50_000),
    ]
    assert {line.settlement.settlement_id for line in lines[:2]} == {
        refunded.settlement_id,
        reversed_later.settlement_id,
    }
    assert lines[0].settlement.institution.name == "大连市中心医院"
    assert sum(line.amount_fen for line in lines) == moved_since_funding(family) == -17_000


@pytest.mark.django_db(transaction=True)  # the binding's end is timed by its own transaction's start
def test_the_binding_ending_with_a_status_change_is_a_release_line(family):
    set_to(family, 50_000, "a")

    insuree_change(insuree=family.beneficiary, status=InsureeStatus.TERMINATED)

    assert movements(family) == [(MovementKind.RELEASE, 50_000), (MovementKind.HOLD, -50_000)]
    assert moved_since_funding(family) == 0


def test_the_lines_are_the_authorizers_alone(family, clinic):
    set_to(family, 50_000, "a")
    clinic.settle(code_for(family.beneficiary), 10_000)
    release(family)

    assert allowance_movements_for_authorizer(person=family.beneficiary.person) == []


def test_premiums_and_allowances_share_the_records_newest_first(family, clinic):
    year = timezone.localdate().year + 1
    PremiumRateFactory(region_code=family.beneficiary.region_code, year=year, amount_fen=42_000)
    as_authorizer = client_for(family.authorizer.person)
    set_to(family, 30_000, "a")
    paid = as_authorizer.post(
        "/api/v1/payments/",
        {"beneficiary_id_number": family.beneficiary.person.id_number, "year": year},
        format="json",
        HTTP_IDEMPOTENCY_KEY="pay",
    )
    assert paid.status_code == 201, paid.json()
    release(family)

    records = expenditure_records_for_person(person=family.authorizer.person)

    assert [(str(r.kind), r.amount_fen) for r in records] == [
        ("allowance_release", 30_000),
        ("debit", -42_000),
        ("allowance_hold", -30_000),
    ]
    assert sum(r.amount_fen for r in records) == moved_since_funding(family)


def test_the_api_names_the_relative_and_where_money_came_back_from(family, clinic):
    as_authorizer = client_for(family.authorizer.person)
    set_to(family, 50_000, "a")
    settlement = clinic.settle(code_for(family.beneficiary), 20_000, category="drugs")
    release(family)
    clinic.refund(settlement.settlement_id, 2_000)

    body = as_authorizer.get("/api/v1/expenditures/").json()

    assert body["count"] == 3
    back, released, held = body["results"]
    assert (back["kind"], back["amount"], back["payment"]) == ("settlement_return", "20.00", None)
    assert back["settlement"] == {
        "settlement_id": settlement.settlement_id,
        "institution": {"code": "H001", "name": "大连市中心医院"},
        "category": "drugs",
    }
    assert (released["kind"], released["amount"], released["settlement"]) == (
        "allowance_release",
        "300.00",
        None,
    )
    assert held["kind"] == "allowance_hold"
    assert held["amount"] == "-500.00"
    assert held["allowance"]["binding_id"] == family.pk
    assert held["allowance"]["beneficiary"]["name"] == family.beneficiary.person.name
    assert family.beneficiary.person.id_number not in str(body)
    assert client_for(family.beneficiary.person).get("/api/v1/expenditures/").json()["count"] == 0


def test_the_api_filters_the_lines_by_local_day(family):
    as_authorizer = client_for(family.authorizer.person)
    set_to(family, 50_000, "a")
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)

    assert as_authorizer.get(f"/api/v1/expenditures/?from={today}&to={today}").json()["count"] == 1
    assert as_authorizer.get(f"/api/v1/expenditures/?to={yesterday}").json()["count"] == 0
    for query, field in (
        (f"from={today}&to={yesterday}", "from"),
        ("from=2026-13-01", "from"),
        ("to=x", "to"),
    ):
        refused = as_authorizer.get(f"/api/v1/expenditures/?{query}").json()["error"]
        assert (refused["code"], refused["field"]) == ("invalid_input", field), query


def test_the_records_page_shows_the_hold_and_release_with_the_relatives_name(client, family):
    set_to(family, 50_000, "a")
    release(family)
    client.force_login(user_for(family.authorizer.person))

    page = client.get(reverse("records"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert page.count(family.beneficiary.person.name) == 2
    assert "共济额度预留" in page
    assert "-¥500.00" in page
    assert "+¥500.00" in page


def authorizer_with_allowances(relatives: int, clinic):
    """An authorizer who set an allowance for each of `relatives` relatives, and released it after a
    settlement and its refund."""
    authorizer = EmployeeFactory(balance_fen=10_000_000)
    for n in range(relatives):
        binding = BindingFactory(authorizer=authorizer)
        set_to(binding, 10_000, f"set-{n}")
        settlement = clinic.settle(code_for(binding.beneficiary), 1_000)
        release(binding, f"release-{n}")
        clinic.refund(settlement.settlement_id, 500)
    return authorizer


@pytest.mark.parametrize("path", ["/api/v1/expenditures/", "/records/"])
def test_the_records_cost_as_many_queries_for_many_allowances_as_for_one(clinic, path):
    def queries_for(authorizer) -> int:
        client = client_for(authorizer.person) if path.startswith("/api/") else Client()
        if not path.startswith("/api/"):
            client.force_login(user_for(authorizer.person))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    assert queries_for(authorizer_with_allowances(1, clinic)) == queries_for(
        authorizer_with_allowances(6, clinic)
    )


def test_a_resident_without_a_personal_account_sees_no_expenditure_records_heading(client, family):
    client.force_login(user_for(family.beneficiary.person))

    page = client.get(reverse("records"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "个人账户支出记录" not in page
    assert "暂无记录" in page
