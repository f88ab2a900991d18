"""The long-term-care premium through the API: `kind` on the premium and on every paying endpoint, in
every payment's JSON and in the OpenAPI schema; an unknown kind is invalid_input on `kind`, a region
without a long-term-care rate answers no_premium_rate in the caller's language."""

import pytest

from ledger.models import Account
from payments.models import Payment
from tests.api.conftest import client_for
from tests.factories import (
    SUZHOU,
    BindingFactory,
    LongTermCareRateFactory,
    PremiumRateFactory,
    ResidentFactory,
)
from tests.payments.invariants import Snapshot
from tests.staff.conftest import api_as, staff_user

LTC = "long_term_care"


@pytest.fixture
def ltc_rate(rate, year):
    return LongTermCareRateFactory(year=year, amount_fen=12_000)


def error_of(response) -> dict:
    return response.json()["error"]


def balance(insuree) -> int:
    return Account.objects.get(pk=insuree.account_id).balance_fen


def test_the_premium_is_read_per_kind(as_authorizer, as_beneficiary, binding, ltc_rate, year):
    own = as_beneficiary.get(f"/api/v1/premiums/{year}/", {"kind": LTC})
    resident = as_beneficiary.get(f"/api/v1/premiums/{year}/")
    relative = as_authorizer.post(
        f"/api/v1/premiums/{year}/",
        {"beneficiary_id_number": binding.beneficiary.person.id_number, "kind": LTC},
        format="json",
    )

    assert own.status_code == 200
    assert {k: own.json()[k] for k in ("year", "kind", "amount", "paid")} == {
        "year": year,
        "kind": LTC,
        "amount": "120.00",
        "paid": False,
    }
    assert own.json()["collection_period"] == {
        "start": ltc_rate.collection_start.isoformat(),
        "end": ltc_rate.collection_end.isoformat(),
    }
    assert (resident.json()["kind"], resident.json()["amount"]) == ("resident_medical", "420.00")
    assert (relative.status_code, relative.json()["kind"], relative.json()["amount"]) == (200, LTC, "120.00")


def test_a_region_without_a_long_term_care_rate_has_none_to_show(as_beneficiary, binding, rate, year):
    response = as_beneficiary.get(f"/api/v1/premiums/{year}/", {"kind": LTC})

    assert response.status_code == 200
    assert (response.json()["kind"], response.json()["amount"], response.json()["paid"]) == (LTC, None, False)


def test_the_authorizer_pays_the_long_term_care_premium_and_both_kinds_show_paid(
    as_authorizer, as_beneficiary, binding, ltc_rate, year, django_capture_on_commit_callbacks
):
    body = {"beneficiary_id_number": binding.beneficiary.person.id_number, "year": year}
    with django_capture_on_commit_callbacks(execute=True):
        ltc = as_authorizer.post(
            "/api/v1/payments/", {**body, "kind": LTC}, format="json", HTTP_IDEMPOTENCY_KEY="a"
        )
        resident = as_authorizer.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="b")

    assert (ltc.status_code, ltc.json()["kind"], ltc.json()["amount"]) == (201, LTC, "120.00")
    assert (resident.status_code, resident.json()["kind"], resident.json()["amount"]) == (
        201,
        "resident_medical",
        "420.00",
    )
    listed = {p["id"]: p["kind"] for p in as_beneficiary.get("/api/v1/payments/").json()["results"]}
    assert listed == {ltc.json()["id"]: LTC, resident.json()["id"]: "resident_medical"}
    assert as_beneficiary.get(f"/api/v1/payments/{ltc.json()['id']}/").json()["kind"] == LTC
    assert as_beneficiary.get(f"/api/v1/premiums/{year}/", {"kind": LTC}).json()["paid"] is True
    expenditures = as_authorizer.get("/api/v1/expenditures/").json()["results"]
    assert sorted(line["payment"]["kind"] for line in expenditures) == [LTC, "resident_medical"]


def test_a_second_long_term_care_payment_is_already_paid(as_authorizer, binding, ltc_rate, year):
    body = {"beneficiary_id_number": binding.beneficiary.person.id_number, "year": year, "kind": LTC}
    as_authorizer.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="first")
    before = Snapshot()

    again = as_authorizer.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="second")

    assert (again.status_code, error_of(again)["code"]) == (409, "already_paid")
    before.assert_unchanged()


def test_the_relative_pays_his_own_long_term_care_premium(as_beneficiary, binding, ltc_rate, year):
    response = as_beneficiary.post(
        "/api/v1/payments/self/", {"year": year, "kind": LTC}, format="json", HTTP_IDEMPOTENCY_KEY="s"
    )

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["channel"], response.json()["amount"]) == (
        LTC,
        "self",
        "120.00",
    )
    assert balance(binding.authorizer) == 100_000 - 12_000


def test_a_family_pays_the_long_term_care_premium_together(as_authorizer, binding, ltc_rate, year):
    other = BindingFactory(authorizer=binding.authorizer)
    numbers = [binding.beneficiary.person.id_number, other.beneficiary.person.id_number]

    response = as_authorizer.post(
        "/api/v1/payments/family/",
        {"beneficiary_id_numbers": numbers, "year": year, "kind": LTC},
        format="json",
        HTTP_IDEMPOTENCY_KEY="f",
    )

    assert response.status_code == 201
    assert [(p["kind"], p["amount"]) for p in response.json()] == [(LTC, "120.00"), (LTC, "120.00")]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "本地区本年度尚未设定长期护理保险保费。"),
        ("en", "No long-term-care insurance premium has been set for this region and year."),
    ],
)
def test_no_long_term_care_rate_is_no_premium_rate_in_the_callers_language(
    as_authorizer, binding, rate, year, language, message
):
    before = Snapshot()

    response = as_authorizer.post(
        "/api/v1/payments/",
        {"beneficiary_id_number": binding.beneficiary.person.id_number, "year": year, "kind": LTC},
        format="json",
        HTTP_IDEMPOTENCY_KEY="no-rate",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 422
    assert error_of(response) == {"code": "no_premium_rate", "message": message, "field": "kind"}
    before.assert_unchanged()


def _premium_get(client, binding, year):
    return client.get(f"/api/v1/premiums/{year}/", {"kind": "dental"})


def _premium_post(client, binding, year):
    body = {"beneficiary_id_number": binding.beneficiary.person.id_number, "kind": "dental"}
    return client.post(f"/api/v1/premiums/{year}/", body, format="json")


def _pay(client, binding, year):
    body = {"beneficiary_id_number": binding.beneficiary.person.id_number, "year": year, "kind": "dental"}
    return client.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="x")


def _pay_self(client, binding, year):
    return client.post(
        "/api/v1/payments/self/", {"year": year, "kind": ""}, format="json", HTTP_IDEMPOTENCY_KEY="x"
    )


@pytest.mark.parametrize(
    ("who", "call"),
    [
        ("beneficiary", _premium_get),
        ("authorizer", _premium_post),
        ("authorizer", _pay),
        ("beneficiary", _pay_self),
    ],
)
def test_an_unknown_kind_is_invalid_input_on_the_kind_field(binding, ltc_rate, year, who, call):
    client = client_for(binding.beneficiary.person if who == "beneficiary" else binding.authorizer.person)
    before = Snapshot()

    response = call(client, binding, year)

    assert response.status_code == 400
    assert (error_of(response)["code"], error_of(response)["field"]) == ("invalid_input", "kind")
    before.assert_unchanged()


def test_the_counter_pays_the_long_term_care_premium(
    binding, ltc_rate, year, django_capture_on_commit_callbacks
):
    clerk = api_as(staff_user("counter_staff", "clerk"))
    body = {
        "authorizer_id_number": binding.authorizer.person.id_number,
        "beneficiary_id_number": binding.beneficiary.person.id_number,
        "year": year,
    }

    with django_capture_on_commit_callbacks(execute=True):
        paid = clerk.post(
            "/api/v1/staff/payments/", {**body, "kind": LTC}, format="json", HTTP_IDEMPOTENCY_KEY="c1"
        )
    by_rule = clerk.post(
        "/api/v1/staff/payments/",
        {"beneficiary_id_number": binding.beneficiary.person.id_number, "year": year, "kind": LTC},
        format="json",
        HTTP_IDEMPOTENCY_KEY="c2",
    )
    unknown = clerk.post(
        "/api/v1/staff/payments/", {**body, "kind": "dental"}, format="json", HTTP_IDEMPOTENCY_KEY="c3"
    )
    person = clerk.post(
        "/api/v1/staff/persons/", {"id_number": binding.beneficiary.person.id_number}, format="json"
    )

    assert (paid.status_code, paid.json()["kind"], paid.json()["channel"]) == (201, LTC, "counter")
    assert (by_rule.status_code, error_of(by_rule)["code"]) == (409, "already_paid")
    assert (unknown.status_code, error_of(unknown)["field"]) == (400, "kind")
    assert Payment.objects.get().kind == LTC
    assert {"year": year, "kind": LTC, "paid": True} in person.json()["enrollments"]


def test_a_refund_of_the_long_term_care_payment_is_answered_with_its_kind(
    binding, ltc_rate, year, as_authorizer
):
    body = {"beneficiary_id_number": binding.beneficiary.person.id_number, "year": year, "kind": LTC}
    paid = as_authorizer.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="r").json()
    supervisor = api_as(staff_user("counter_supervisor", "supervisor"))

    response = supervisor.post(
        f"/api/v1/staff/payments/{paid['id']}/refund/", {"reason": "paid_twice"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["kind"], response.json()["status"]) == (LTC, "refunded")
    assert balance(binding.authorizer) == 100_000


def test_the_auditors_review_filters_and_exports_the_kind(binding, ltc_rate, year, as_authorizer):
    body = {"beneficiary_id_number": binding.beneficiary.person.id_number, "year": year}
    as_authorizer.post("/api/v1/payments/", {**body, "kind": LTC}, format="json", HTTP_IDEMPOTENCY_KEY="1")
    as_authorizer.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="2")
    auditor = api_as(staff_user("auditor", "auditor"))

    page = auditor.get("/api/v1/admin-api/expenditures/", {"kind": LTC}).json()
    csv = auditor.get("/api/v1/admin-api/expenditures.csv", {"kind": LTC})
    stats = auditor.get("/api/v1/admin-api/stats/", {"year": year}).json()

    assert [(row["kind"], row["amount"]) for row in page["results"]] == [(LTC, "120.00")]
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[3] == "kind"
    assert [line.split(",")[3] for line in lines[1:]] == [LTC]
    assert stats["by_kind"] == [
        {"kind": LTC, "beneficiaries_paid": 1, "amount": "120.00"},
        {"kind": "resident_medical", "beneficiaries_paid": 1, "amount": "420.00"},
    ]


def test_the_schema_shows_the_kind_wherever_a_premium_is_read_or_paid(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    kinds = ["resident_medical", "long_term_care"]

    def body_kind(path: str, operation: str = "post") -> dict:
        content = schema["paths"][path][operation]["requestBody"]["content"]["application/json"]["schema"]
        return _resolved(schema, _resolved(schema, content)["properties"]["kind"])

    for path in (
        "/api/v1/premiums/{year}/",
        "/api/v1/payments/",
        "/api/v1/payments/self/",
        "/api/v1/staff/payments/",
    ):
        assert sorted(body_kind(path)["enum"]) == sorted(kinds), path
        assert "kind" not in _resolved(
            schema, schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        ).get("required", []), path
    [query] = [
        p for p in schema["paths"]["/api/v1/premiums/{year}/"]["get"]["parameters"] if p["name"] == "kind"
    ]
    assert (query["in"], sorted(query["schema"]["enum"])) == ("query", sorted(kinds))
    payment = schema["components"]["schemas"]["PaymentOutput"]
    assert sorted(_resolved(schema, payment["properties"]["kind"])["enum"]) == sorted(kinds)
    premium = _resolved(
        schema,
        schema["paths"]["/api/v1/premiums/{year}/"]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ],
    )
    assert sorted(_resolved(schema, premium["properties"]["kind"])["enum"]) == sorted(kinds)


def _resolved(schema: dict, node: dict) -> dict:
    """A schema node with its $ref (or a one-element allOf's) followed."""
    if "allOf" in node and len(node["allOf"]) == 1:
        node = node["allOf"][0]
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return schema["components"]["schemas"][name]
    return node


def test_a_suzhou_relative_beside_a_dalian_one_pays_only_where_a_rate_is_set(
    as_authorizer, binding, ltc_rate, year
):
    PremiumRateFactory(region_code=SUZHOU, year=year)
    suzhou = BindingFactory(authorizer=binding.authorizer, beneficiary=ResidentFactory(region_code=SUZHOU))
    before = Snapshot()

    response = as_authorizer.post(
        "/api/v1/payments/family/",
        {
            "beneficiary_id_numbers": [
                binding.beneficiary.person.id_number,
                suzhou.beneficiary.person.id_number,
            ],
            "year": year,
            "kind": LTC,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="two-cities",
    )

    assert (response.status_code, error_of(response)["code"]) == (422, "no_premium_rate")
    before.assert_unchanged()  # all or nothing: the Dalian relative's premium was not paid either
