"""The allowance API (API.md "Allowances"): shapes, refusals, access and idempotency."""

import pytest
from rest_framework.test import APIClient

from ledger.models import Account
from medical.models import Allowance
from tests.api.conftest import client_for
from tests.factories import BindingFactory, EmployeeFactory, ResidentFactory
from tests.medical.test_allowance_services import spend
from tests.staff.conftest import api_as, staff_user


def put(client, binding_id, amount, key="k-1"):
    return client.put(
        f"/api/v1/bindings/{binding_id}/allowance/",
        {"amount": amount},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def code_of(response):
    return response.json()["error"]["code"]


@pytest.fixture
def as_authorizer(family):
    return client_for(family.authorizer.person)


def test_setting_an_allowance_answers_its_shape(family, as_authorizer):
    response = put(as_authorizer, family.pk, "300.00")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id", "binding_id", "authorizer", "beneficiary", "amount", "spent", "remaining", "status",
        "created_at", "released_at",
    }  # fmt: skip
    assert (body["binding_id"], body["amount"], body["spent"], body["remaining"], body["status"]) == (
        family.pk, "300.00", "0.00", "300.00", "active",
    )  # fmt: skip
    assert body["beneficiary"]["name"] == family.beneficiary.person.name
    assert "*" in body["authorizer"]["id_number_masked"]
    assert body["released_at"] is None


def test_me_shows_balance_held_and_available(family, as_authorizer):
    put(as_authorizer, family.pk, "300.00")

    [employee] = [
        i for i in as_authorizer.get("/api/v1/me/").json()["insurances"] if i["scheme"] == "employee"
    ]

    assert (employee["balance"], employee["held"], employee["available_balance"]) == (
        "1000.00",
        "300.00",
        "700.00",
    )


def test_me_of_a_resident_has_no_balance(family):
    [resident] = client_for(family.beneficiary.person).get("/api/v1/me/").json()["insurances"]

    assert not {"balance", "held", "available_balance"} & set(resident)


@pytest.mark.parametrize("amount", ["0", "0.00", "-5.00", "1.005", "abc", "", "1e3", None, True, 12.5, "NaN"])
def test_bad_amounts_are_invalid_input_on_amount(family, as_authorizer, amount):
    response = put(as_authorizer, family.pk, amount)

    assert (response.status_code, code_of(response), response.json()["error"]["field"]) == (
        400, "invalid_input", "amount",
    )  # fmt: skip
    assert not Allowance.objects.exists()


def test_a_whole_number_of_yuan_is_an_amount(family, as_authorizer):
    assert put(as_authorizer, family.pk, 250).json()["amount"] == "250.00"


def test_a_missing_key_is_refused(family, as_authorizer):
    response = as_authorizer.put(
        f"/api/v1/bindings/{family.pk}/allowance/", {"amount": "1.00"}, format="json"
    )

    assert (response.status_code, code_of(response)) == (400, "idempotency_key_required")


def test_more_than_available_is_insufficient_balance(family, as_authorizer):
    response = put(as_authorizer, family.pk, "1000.01")

    assert (response.status_code, code_of(response)) == (422, "insufficient_balance")
    assert Account.objects.get(pk=family.authorizer.account_id).balance_fen == 100_000


def test_below_spent_is_allowance_below_spent(family, as_authorizer):
    put(as_authorizer, family.pk, "300.00")
    spend(Allowance.objects.get(), 10_000)

    response = put(as_authorizer, family.pk, "99.99", key="k-2")

    assert (response.status_code, code_of(response)) == (422, "allowance_below_spent")


def test_same_key_replays_and_another_body_conflicts(family, as_authorizer):
    first = put(as_authorizer, family.pk, "300.00", key="same")
    again = put(as_authorizer, family.pk, "300.00", key="same")
    other = put(as_authorizer, family.pk, "400.00", key="same")

    assert (again.status_code, again.json()) == (200, first.json())
    assert (other.status_code, code_of(other)) == (409, "idempotency_conflict")
    assert Account.objects.get(pk=family.authorizer.account_id).balance_fen == 70_000


def test_release_answers_204_and_the_money_is_back(family, as_authorizer):
    put(as_authorizer, family.pk, "300.00")

    response = as_authorizer.delete(f"/api/v1/bindings/{family.pk}/allowance/")

    assert response.status_code == 204
    assert Account.objects.get(pk=family.authorizer.account_id).balance_fen == 100_000
    [listed] = as_authorizer.get("/api/v1/allowances/").json()["results"]
    assert (listed["status"], listed["remaining"]) == ("released", "0.00")
    assert listed["released_at"] is not None


def test_release_without_an_allowance_is_not_found(family, as_authorizer):
    response = as_authorizer.delete(f"/api/v1/bindings/{family.pk}/allowance/")

    assert (response.status_code, code_of(response)) == (404, "not_found")


@pytest.mark.parametrize("binding_id", [2**63, 10**30])
def test_a_binding_id_beyond_the_databases_range_is_not_found(as_authorizer, snapshot, binding_id):
    url = f"/api/v1/bindings/{binding_id}/allowance/"
    before = snapshot()

    released = as_authorizer.delete(url)
    set_ = as_authorizer.put(url, {"amount": "1.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert [(r.status_code, code_of(r)) for r in (released, set_)] == [(404, "binding_not_found")] * 2
    before.assert_unchanged()


def test_a_release_retried_under_its_key_answers_204_again(family, as_authorizer):
    put(as_authorizer, family.pk, "300.00")
    url = f"/api/v1/bindings/{family.pk}/allowance/"

    assert as_authorizer.delete(url, HTTP_IDEMPOTENCY_KEY="r-1").status_code == 204
    assert as_authorizer.delete(url, HTTP_IDEMPOTENCY_KEY="r-1").status_code == 204
    assert as_authorizer.delete(url).status_code == 404


def test_both_sides_list_their_allowances_paginated(family, as_authorizer):
    put(as_authorizer, family.pk, "300.00")
    other = BindingFactory(authorizer=EmployeeFactory(), beneficiary=family.beneficiary)
    put(client_for(other.authorizer.person), other.pk, "50.00")

    mine = as_authorizer.get("/api/v1/allowances/").json()
    relatives = client_for(family.beneficiary.person).get("/api/v1/allowances/").json()

    assert set(mine) == {"count", "next", "previous", "results"}
    assert [a["amount"] for a in mine["results"]] == ["300.00"]
    assert sorted(a["amount"] for a in relatives["results"]) == ["300.00", "50.00"]


def test_nobody_else_reads_or_changes_the_allowance(family, as_authorizer):
    put(as_authorizer, family.pk, "300.00")
    url = f"/api/v1/bindings/{family.pk}/allowance/"
    beneficiary = client_for(family.beneficiary.person)
    stranger = client_for(EmployeeFactory().person)
    relative_of_stranger = client_for(ResidentFactory().person)

    for client in (beneficiary, stranger, relative_of_stranger):
        assert code_of(put(client, family.pk, "1.00", key="x")) == "binding_not_found"
        assert code_of(client.delete(url)) == "binding_not_found"
    assert stranger.get("/api/v1/allowances/").json()["results"] == []
    staff = api_as(staff_user("counter_staff", "allowance-clerk"))
    assert put(staff, family.pk, "1.00", key="x").status_code == 403
    assert staff.get("/api/v1/allowances/").status_code == 403
    assert put(APIClient(), family.pk, "1.00").status_code == 401
    assert Allowance.objects.get().amount_fen == 30_000
