"""The counter's allowance API (`PUT`/`DELETE staff/bindings/{id}/allowance/`), mirroring the insuree's
with the counter recorded, and the allowances in the staff lookup."""

import pytest
from django.utils import translation

from ledger.models import Account
from medical.models import Allowance, AllowanceStatus
from medical.services import Actor, allowance_set
from staff.models import AuditAction, AuditRecord
from tests.api.conftest import client_for
from tests.factories import BindingFactory, EmployeeFactory, user_for
from tests.medical.test_allowance_services import spend
from tests.payments.invariants import Snapshot, assert_money_invariants
from tests.staff.conftest import api_as


@pytest.fixture(autouse=True)
def _money_invariants_hold_after_each_test(db):
    yield
    assert_money_invariants()


def url(binding) -> str:
    return f"/api/v1/staff/bindings/{binding.pk}/allowance/"


def put(client, binding, amount, key="k-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.put(url(binding), {"amount": amount}, format="json", **headers)


def code_of(response) -> str:
    return response.json()["error"]["code"]


def balance(binding) -> int:
    return Account.objects.get(pk=binding.authorizer.account_id).balance_fen


def test_the_lookup_lists_his_allowances_and_what_they_hold(clerk, world):
    person = world.authorizer.person
    allowance_set(
        authorizer=person,
        binding_id=world.pk,
        amount_fen=30_000,
        actor=Actor(user=user_for(person), idempotency_key="online"),
    )

    body = api_as(clerk).post("/api/v1/staff/persons/", {"id_number": person.id_number}, format="json").json()

    [insurance] = body["insurances"]
    assert (insurance["balance"], insurance["available_balance"], insurance["held"]) == (
        "1000.00",
        "700.00",
        "300.00",
    )
    [allowance] = body["allowances"]
    assert allowance["binding_id"] == world.pk
    assert allowance["beneficiary"] == {
        "name": world.beneficiary.person.name,
        "id_number": world.beneficiary.person.id_number,  # unmasked, as the rest of the lookup
    }
    assert (allowance["amount"], allowance["spent"], allowance["remaining"], allowance["status"]) == (
        "300.00",
        "0.00",
        "300.00",
        "active",
    )
    # The relative's own lookup shows the same allowance, from his side.
    relative = api_as(clerk).post(
        "/api/v1/staff/persons/", {"id_number": world.beneficiary.person.id_number}, format="json"
    )
    assert [a["id"] for a in relative.json()["allowances"]] == [allowance["id"]]


def test_put_sets_it_and_records_the_operator_and_the_counter(clerk, world):
    response = put(api_as(clerk), world, "300.00")

    assert response.status_code == 200
    body = response.json()
    assert (body["binding_id"], body["amount"], body["remaining"], body["status"]) == (
        world.pk,
        "300.00",
        "300.00",
        "active",
    )
    assert body["authorizer"]["id_number"] == world.authorizer.person.id_number
    assert balance(world) == 70_000
    record = AuditRecord.objects.get(action=AuditAction.ALLOWANCE_SET)
    assert (record.operator, record.counter_id, record.person, record.details["idempotency_key"]) == (
        clerk,
        "DL-07",
        world.authorizer.person,
        "k-1",
    )


def test_the_same_key_replays_and_another_body_conflicts(clerk, world):
    client = api_as(clerk)
    first = put(client, world, "300.00", key="same")
    again = put(client, world, "300.00", key="same")
    other = put(client, world, "400.00", key="same")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert (other.status_code, code_of(other)) == (409, "idempotency_conflict")
    assert balance(world) == 70_000
    assert AuditRecord.objects.filter(action=AuditAction.ALLOWANCE_SET).count() == 1


def test_delete_releases_it_and_is_recorded(clerk, world):
    client = api_as(clerk)
    put(client, world, "300.00")

    released = client.delete(url(world), HTTP_IDEMPOTENCY_KEY="release-1")
    replayed = client.delete(url(world), HTTP_IDEMPOTENCY_KEY="release-1")
    nothing = client.delete(url(world), HTTP_IDEMPOTENCY_KEY="release-2")

    assert (released.status_code, replayed.status_code) == (204, 204)
    assert (nothing.status_code, code_of(nothing)) == (404, "not_found")
    assert Allowance.objects.get().status == AllowanceStatus.RELEASED
    assert balance(world) == 100_000
    record = AuditRecord.objects.get(action=AuditAction.ALLOWANCE_RELEASE)
    assert (record.counter_id, record.details["amount_before_fen"], record.details["amount_after_fen"]) == (
        "DL-07",
        30_000,
        0,
    )


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        (lambda c, b: put(c, b, "300.00", key=""), 400, "idempotency_key_required"),
        (lambda c, b: c.delete(url(b)), 400, "idempotency_key_required"),
        (lambda c, b: put(c, b, "12.345"), 400, "invalid_input"),
        (lambda c, b: put(c, b, "0"), 400, "invalid_input"),
        (lambda c, b: c.put(url(b), {}, format="json", HTTP_IDEMPOTENCY_KEY="k"), 400, "invalid_input"),
        (lambda c, b: put(c, b, "1000.01"), 422, "insufficient_balance"),
        (
            lambda c, b: c.put(
                "/api/v1/staff/bindings/987654321/allowance/",
                {"amount": "1"},
                format="json",
                HTTP_IDEMPOTENCY_KEY="k",
            ),
            404,
            "binding_not_found",
        ),
        (lambda c, b: c.delete(url(b), HTTP_IDEMPOTENCY_KEY="k"), 404, "not_found"),
    ],
)
def test_every_refusal_has_the_error_shape_and_moves_nothing(clerk, world, call, status, code):
    before = Snapshot()

    response = call(api_as(clerk), world)

    assert (response.status_code, code_of(response)) == (status, code)
    assert set(response.json()["error"]) <= {"code", "message", "field"}
    before.assert_unchanged()
    assert not AuditRecord.objects.filter(action__startswith="allowance").exists()


def test_insufficient_balance_speaks_of_the_applicant_in_the_requests_language(clerk, world):
    with translation.override("en"):
        english = api_as(clerk).put(
            url(world),
            {"amount": "1000.01"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="k",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    chinese = put(api_as(clerk), world, "1000.01", key="k-zh")

    assert english.json()["error"]["message"].startswith("The applicant's available balance is 1,000.00 yuan")
    assert english.json()["error"]["field"] == "amount"
    assert chinese.json()["error"]["message"].startswith("申请人的可用余额为 1,000.00 元")


def test_below_what_is_spent_is_allowance_below_spent(clerk, world):
    client = api_as(clerk)
    put(client, world, "300.00")
    spend(Allowance.objects.get(), 10_000)
    before = Snapshot()

    response = put(client, world, "99.99", key="k-2")

    assert (response.status_code, code_of(response)) == (422, "allowance_below_spent")
    before.assert_unchanged()


def test_without_a_counter_number_nothing_moves(clerk, world):
    client = api_as(clerk)
    client.credentials()  # no X-Counter-Id
    client.force_authenticate(clerk)
    before = Snapshot()

    response = put(client, world, "300.00")

    assert (response.status_code, code_of(response), response.json()["error"]["field"]) == (
        400,
        "invalid_input",
        "counter_id",
    )
    before.assert_unchanged()


def test_an_ended_binding_is_binding_not_found(clerk, world):
    from mutual_aid.services import binding_end

    binding_end(binding=world, ended_by=world.authorizer.person)

    response = put(api_as(clerk), world, "300.00")

    assert (response.status_code, code_of(response)) == (404, "binding_not_found")


def test_insurees_and_auditors_are_refused(world, auditor):
    other = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000))
    before = Snapshot()

    for client in (client_for(world.authorizer.person), client_for(other.authorizer.person), api_as(auditor)):
        assert put(client, world, "300.00").status_code == 403
        assert client.delete(url(world), HTTP_IDEMPOTENCY_KEY="k").status_code == 403
        assert code_of(put(client, world, "300.00")) == "permission_denied"
    before.assert_unchanged()
