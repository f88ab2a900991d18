import io

import pytest
from pypdf import PdfReader

from ledger.models import Account, Entry
from mutual_aid.services import binding_end
from payments.models import Payment
from tests.api.conftest import client_for
from tests.factories import BindingFactory, EmployeeFactory, ResidentFactory, UserFactory, account_balance_set


def code_of(response):
    return response.json()["error"]["code"]


def pay(client, beneficiary, year, key="k-1", path="/api/v1/payments/", **body):
    payload = {"beneficiary_id_number": beneficiary.person.id_number, "year": year, **body}
    return client.post(path, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_authorizer_pays_and_both_sides_see_it(
    as_authorizer, as_beneficiary, binding, rate, year, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = pay(as_authorizer, binding.beneficiary, year)

    assert response.status_code == 201
    body = response.json()
    assert (body["amount"], body["channel"], body["status"], body["year"]) == (
        "420.00",
        "authorizer",
        "settled",
        year,
    )
    assert [p["id"] for p in as_beneficiary.get("/api/v1/payments/").json()["results"]] == [body["id"]]
    seen = as_beneficiary.get(f"/api/v1/payments/{body['id']}/").json()
    assert seen["reference"] == body["reference"]
    assert seen["enrollment_synced"] is True  # the sync ran in-process after commit (eager)
    premium = as_beneficiary.get(f"/api/v1/premiums/{year}/").json()
    assert (premium["amount"], premium["paid"]) == ("420.00", True)


def test_a_replay_returns_the_first_response_and_moves_no_money(as_authorizer, binding, rate, year):
    first = pay(as_authorizer, binding.beneficiary, year, key="same")
    again = pay(as_authorizer, binding.beneficiary, year, key="same")

    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert Payment.objects.count() == 1
    assert Account.objects.get(pk=binding.authorizer.account_id).balance_fen == 58_000


def test_the_same_key_with_another_body_is_a_conflict(as_authorizer, binding, rate, year):
    other = BindingFactory(authorizer=binding.authorizer)
    pay(as_authorizer, binding.beneficiary, year, key="same")

    response = pay(as_authorizer, other.beneficiary, year, key="same")

    assert (response.status_code, code_of(response)) == (409, "idempotency_conflict")
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("key", [None, "", "x" * 256])
def test_a_payment_needs_an_idempotency_key(as_authorizer, binding, rate, year, key):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    response = as_authorizer.post(
        "/api/v1/payments/",
        {"beneficiary_id_number": binding.beneficiary.person.id_number, "year": year},
        format="json",
        **headers,
    )

    assert (response.status_code, code_of(response)) == (400, "idempotency_key_required")
    assert not Payment.objects.exists()


def test_paying_twice_is_already_paid(as_authorizer, binding, rate, year):
    pay(as_authorizer, binding.beneficiary, year, key="a")

    response = pay(as_authorizer, binding.beneficiary, year, key="b")

    assert (response.status_code, code_of(response)) == (409, "already_paid")


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [
        ("no_rate", 422, "no_premium_rate"),
        ("unbound", 404, "binding_not_found"),
        ("poor", 422, "insufficient_balance"),
    ],
)
def test_payment_refusals_move_nothing(as_authorizer, binding, rate, year, setup, status, code):
    beneficiary, pay_year = binding.beneficiary, year
    if setup == "no_rate":
        pay_year = year + 1
    elif setup == "unbound":
        beneficiary = ResidentFactory()
    else:
        account_balance_set(binding.authorizer.account_id, 100)
    entries = Entry.objects.count()

    response = pay(as_authorizer, beneficiary, pay_year)

    assert (response.status_code, code_of(response)) == (status, code)
    assert Entry.objects.count() == entries
    assert not Payment.objects.exists()


def test_self_payment_debits_the_richest_authorizer(rate, year):
    parent = ResidentFactory()
    BindingFactory(authorizer=EmployeeFactory(balance_fen=50_000), beneficiary=parent)
    rich = BindingFactory(authorizer=EmployeeFactory(balance_fen=90_000), beneficiary=parent)

    response = client_for(parent.person).post(
        "/api/v1/payments/self/", {"year": year}, format="json", HTTP_IDEMPOTENCY_KEY="self-1"
    )

    assert response.status_code == 201
    assert response.json()["authorizer"]["name"] == rich.authorizer.person.name
    assert response.json()["channel"] == "self"


def test_family_payment_is_all_or_nothing(as_authorizer, authorizer, rate, year):
    relatives = [BindingFactory(authorizer=authorizer).beneficiary for _ in range(3)]
    body = {"beneficiary_id_numbers": [r.person.id_number for r in relatives], "year": year}

    refused = as_authorizer.post("/api/v1/payments/family/", body, format="json", HTTP_IDEMPOTENCY_KEY="f1")
    assert (refused.status_code, code_of(refused)) == (422, "insufficient_balance")
    assert not Payment.objects.exists()

    account_balance_set(authorizer.account_id, 200_000)
    paid = as_authorizer.post("/api/v1/payments/family/", body, format="json", HTTP_IDEMPOTENCY_KEY="f2")
    assert paid.status_code == 201
    assert len(paid.json()) == 3


def test_the_receipt_is_a_pdf_with_the_reference_and_the_amount_in_capitals(
    as_authorizer, binding, rate, year
):
    payment = pay(as_authorizer, binding.beneficiary, year).json()

    response = as_authorizer.get(f"/api/v1/payments/{payment['id']}/receipt.pdf")

    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert payment["reference"] in text
    assert "肆佰贰拾元整" in text
    assert binding.beneficiary.person.id_number not in text


def test_expenditures_list_debits_newest_first_and_filter_by_date(as_authorizer, authorizer, rate, year):
    first, second = (BindingFactory(authorizer=authorizer).beneficiary for _ in range(2))
    pay(as_authorizer, first, year, key="1")
    pay(as_authorizer, second, year, key="2")

    body = as_authorizer.get("/api/v1/expenditures/").json()

    assert body["count"] == 2
    assert [r["amount"] for r in body["results"]] == ["-420.00", "-420.00"]
    assert body["results"][0]["payment"]["beneficiary"]["name"] == second.person.name
    assert as_authorizer.get("/api/v1/expenditures/?from=2000-01-01&to=2000-12-31").json()["count"] == 0
    bad = as_authorizer.get("/api/v1/expenditures/?from=yesterday")
    assert (bad.status_code, code_of(bad)) == (400, "invalid_input")


def test_notifications_tell_the_authorizer_of_each_debit(as_authorizer, binding, rate, year):
    pay(as_authorizer, binding.beneficiary, year)

    body = as_authorizer.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert body["unread"] == 1
    assert "420.00" in body["results"][0]["message"]
    assert "580.00" in body["results"][0]["message"]
    assert as_authorizer.post("/api/v1/notifications/read/").json() == {"marked": 1}
    assert as_authorizer.get("/api/v1/notifications/").json()["unread"] == 0


def test_no_one_reads_another_persons_payment(as_authorizer, binding, rate, year):
    payment = pay(as_authorizer, binding.beneficiary, year).json()
    stranger = client_for(EmployeeFactory().person)

    for path in (f"/api/v1/payments/{payment['id']}/", f"/api/v1/payments/{payment['id']}/receipt.pdf"):
        response = stranger.get(path)
        assert (response.status_code, code_of(response)) == (404, "not_found")
    assert stranger.get("/api/v1/payments/").json()["count"] == 0
    assert stranger.get("/api/v1/expenditures/").json()["count"] == 0


def test_staff_cannot_use_the_insuree_payment_endpoints(api_client, binding, rate, year):
    api_client.force_authenticate(UserFactory(username="clerk"))

    response = pay(api_client, binding.beneficiary, year)

    assert (response.status_code, code_of(response)) == (403, "permission_denied")


def test_a_relatives_premium_is_asked_for_with_the_id_number_in_the_body(as_authorizer, binding, rate, year):
    number = binding.beneficiary.person.id_number

    in_body = as_authorizer.post(
        f"/api/v1/premiums/{year}/", {"beneficiary_id_number": number}, format="json"
    )
    in_address = as_authorizer.get(f"/api/v1/premiums/{year}/", {"beneficiary_id_number": number})

    assert (in_body.status_code, in_body.json()["amount"], in_body.json()["paid"]) == (200, "420.00", False)
    assert (in_address.status_code, code_of(in_address)) == (400, "invalid_input")
    assert number not in in_address.content.decode()


def test_an_unbound_persons_premium_answers_as_if_there_were_no_such_person(as_authorizer, rate, year):
    stranger = ResidentFactory()

    response = as_authorizer.post(
        f"/api/v1/premiums/{year}/", {"beneficiary_id_number": stranger.person.id_number}, format="json"
    )

    assert (response.status_code, code_of(response)) == (404, "binding_not_found")


def test_a_former_authorizers_ask_for_the_relatives_premium_answers_as_if_there_were_no_such_person(
    as_authorizer, binding, rate, year
):
    number = binding.beneficiary.person.id_number
    binding_end(binding=binding, ended_by=binding.beneficiary.person)  # she ends it

    response = as_authorizer.post(
        f"/api/v1/premiums/{year}/", {"beneficiary_id_number": number}, format="json"
    )

    assert (response.status_code, code_of(response)) == (404, "binding_not_found")
    assert "region_code" not in response.json()
