"""The institution API (API.md "Institutions") over HTTP: shapes, refusals in the error shape, replays,
one institution never reaching another's settlements, and the day's statement with its confirmation."""

import io
import itertools

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from ledger.models import Account
from medical.models import Allowance, Institution, Settlement, StatementConfirmation, Voucher
from medical.services import Actor, allowance_set
from medical.services.institutions import institution_terminal_create, institutions_file_import
from tests.api.conftest import client_for
from tests.factories import BindingFactory, EmployeeFactory, user_for
from tests.staff.conftest import api_as, staff_user

_ids = itertools.count(1)


def institution_client(code: str, region_code: str, status: str = "active") -> APIClient:
    report = institutions_file_import(
        file=io.StringIO(
            f"code,name,kind,region_code,status\n{code},{code}药房,pharmacy,{region_code},{status}\n"
        )
    )
    assert not report.bad, report.bad
    terminal = institution_terminal_create(
        institution_code=code, username=f"terminal-{code.lower()}", password="a-long-terminal-password"
    )
    client = APIClient()
    client.force_authenticate(terminal.user)
    return client


@pytest.fixture
def allowance(family):
    person = family.authorizer.person
    return allowance_set(
        authorizer=person,
        binding_id=family.pk,
        amount_fen=50_000,
        actor=Actor(user=user_for(person), idempotency_key="set-500"),
    )


@pytest.fixture
def pharmacy(family):
    return institution_client("P1", family.beneficiary.region_code)


@pytest.fixture
def as_beneficiary(family):
    return client_for(family.beneficiary.person)


def code_for(client) -> str:
    response = client.post("/api/v1/vouchers/")
    assert response.status_code == 201, response.json()
    return response.json()["code"]


def settle(client, code, amount="120.00", settlement_id=None, category="drugs", key=None, **extra):
    settlement_id = settlement_id or f"S{next(_ids)}"
    return client.post(
        "/api/v1/institution/settlements/",
        {
            "voucher_code": code,
            "settlement_id": settlement_id,
            "amount": amount,
            "category": category,
            **extra,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or f"key-{settlement_id}",
    )


def error_of(response):
    return response.status_code, response.json()["error"]["code"]


def test_a_voucher_is_issued_to_a_beneficiary_with_an_allowance_and_never_cached(allowance, as_beneficiary):
    response = as_beneficiary.post("/api/v1/vouchers/")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"code", "expires_at"}
    assert len(body["code"]) == 20
    assert body["code"].isdigit()
    assert response["Cache-Control"] == "no-store"


def test_a_person_without_an_allowance_gets_no_voucher(family):
    response = client_for(family.authorizer.person).post("/api/v1/vouchers/")

    assert error_of(response) == (422, "no_allowance")
    assert not Voucher.objects.exists()


def test_a_settlement_answers_its_shape_and_moves_the_money(allowance, pharmacy, as_beneficiary):
    response = settle(pharmacy, code_for(as_beneficiary), amount="120.00", settlement_id="B-1")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= {
        "id", "settlement_id", "amount", "paid_from_allowance", "cash_due", "beneficiary", "status",
        "created_at",
    }  # fmt: skip
    assert (body["settlement_id"], body["amount"], body["paid_from_allowance"], body["cash_due"]) == (
        "B-1",
        "120.00",
        "120.00",
        "0.00",
    )
    assert body["status"] == "settled"
    assert "*" in body["beneficiary"]["name_masked"]
    allowance.refresh_from_db()
    assert allowance.spent_fen == 12_000
    assert Account.objects.get(pk=allowance.hold_account_id).balance_fen == 38_000


def test_a_retry_with_the_same_settlement_id_answers_the_same_settlement(allowance, pharmacy, as_beneficiary):
    code = code_for(as_beneficiary)
    first = settle(pharmacy, code, settlement_id="B-2", key="k-a")
    again = settle(pharmacy, code, settlement_id="B-2", key="k-a")
    other_key = settle(pharmacy, code, settlement_id="B-2", key="k-b")

    assert (first.status_code, again.status_code, other_key.status_code) == (201, 201, 201)
    assert first.json()["id"] == again.json()["id"] == other_key.json()["id"]
    assert Settlement.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"amount": "0"}, (400, "invalid_input")),
        ({"amount": "-5.00"}, (400, "invalid_input")),
        ({"amount": "1.005"}, (400, "invalid_input")),
        ({"amount": 12.5}, (400, "invalid_input")),
        ({"amount": True}, (400, "invalid_input")),
        ({"amount": "1000000.01"}, (400, "invalid_input")),
        ({"amount": "600.00"}, (422, "insufficient_allowance")),
        ({"category": "wellness"}, (422, "category_not_covered")),
        ({"category": "public_health"}, (422, "category_not_covered")),
        ({"category": "spa"}, (400, "invalid_input")),
        ({"settlement_id": "x" * 65}, (400, "invalid_input")),
        ({"settlement_id": "bad id"}, (400, "invalid_input")),
        ({"voucher_code": "1234"}, (422, "voucher_invalid")),
        ({"voucher_code": "0" * 20}, (422, "voucher_invalid")),
        ({"allow_partial": "yes"}, (400, "invalid_input")),
    ],
)
def test_a_bad_settlement_is_refused_in_the_error_shape_and_pays_nothing(
    allowance, pharmacy, as_beneficiary, snapshot, body, expected
):
    code = code_for(as_beneficiary)
    before = snapshot()
    request = {"voucher_code": code, "settlement_id": "B-3", "amount": "10.00", "category": "drugs", **body}

    response = pharmacy.post(
        "/api/v1/institution/settlements/", request, format="json", HTTP_IDEMPOTENCY_KEY="k-bad"
    )

    assert error_of(response) == expected
    assert response.json()["error"]["message"]
    assert not Settlement.objects.exists()
    before.assert_unchanged()


def test_a_settlement_needs_an_idempotency_key(allowance, pharmacy, as_beneficiary):
    response = pharmacy.post(
        "/api/v1/institution/settlements/",
        {
            "voucher_code": code_for(as_beneficiary),
            "settlement_id": "B-4",
            "amount": "1.00",
            "category": "drugs",
        },
        format="json",
    )

    assert error_of(response) == (400, "idempotency_key_required")


def test_a_code_works_once_whatever_the_first_answer(allowance, pharmacy, as_beneficiary):
    code = code_for(as_beneficiary)
    refused = settle(pharmacy, code, amount="600.00", settlement_id="B-5")
    second = settle(pharmacy, code, amount="10.00", settlement_id="B-6")

    assert error_of(refused) == (422, "insufficient_allowance")
    assert error_of(second) == (422, "voucher_invalid")
    assert not Settlement.objects.exists()


def test_allow_partial_pays_what_is_left_and_the_rest_is_cash_due(allowance, pharmacy, as_beneficiary):
    response = settle(pharmacy, code_for(as_beneficiary), amount="650.00", allow_partial=True)

    assert response.status_code == 201
    assert (response.json()["paid_from_allowance"], response.json()["cash_due"]) == ("500.00", "150.00")


def test_an_inactive_institution_cannot_settle(allowance, family, as_beneficiary):
    closed = institution_client("P9", family.beneficiary.region_code, status="inactive")

    assert error_of(settle(closed, code_for(as_beneficiary))) == (403, "institution_not_active")
    assert not Settlement.objects.exists()


def test_an_institution_outside_the_region_is_refused(allowance, family, as_beneficiary):
    elsewhere = institution_client("P8", "110100" if family.beneficiary.region_code != "110100" else "210200")

    assert error_of(settle(elsewhere, code_for(as_beneficiary))) == (422, "region_mismatch")
    assert not Settlement.objects.exists()


def test_the_institution_api_is_for_terminals_only(allowance, family, as_beneficiary):
    code = code_for(as_beneficiary)
    auditor = api_as(staff_user("auditor", "auditor-1"))

    for client in (as_beneficiary, client_for(family.authorizer.person), auditor):
        assert settle(client, code).status_code == 403
    assert settle(APIClient(), code).status_code == 401
    assert (
        client_for(family.beneficiary.person).get("/api/v1/institution/statements/2026-01-01/").status_code
        == 403
    )
    assert not Settlement.objects.exists()


def test_one_institution_cannot_reverse_refund_or_see_anothers_settlements(
    allowance, family, pharmacy, as_beneficiary, snapshot
):
    made = settle(pharmacy, code_for(as_beneficiary), amount="100.00", settlement_id="B-7")
    assert made.status_code == 201
    other = institution_client("P2", family.beneficiary.region_code)
    before = snapshot()

    reverse = other.post("/api/v1/institution/settlements/B-7/reverse/", HTTP_IDEMPOTENCY_KEY="r-1")
    refund = other.post(
        "/api/v1/institution/settlements/B-7/refunds/",
        {"refund_id": "R-1", "amount": "10.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="f-1",
    )
    missing = other.post("/api/v1/institution/settlements/NOPE/reverse/", HTTP_IDEMPOTENCY_KEY="r-2")
    statement = other.get(f"/api/v1/institution/statements/{timezone.localdate()}/").json()

    assert error_of(reverse) == (404, "settlement_not_found")
    assert error_of(refund) == (404, "settlement_not_found")
    assert reverse.json() == missing.json()  # no existence oracle
    assert statement["settled"] == {"count": 0, "amount": "0.00"}
    before.assert_unchanged()


def test_a_reversal_the_same_day_gives_the_money_back_and_a_second_is_refused(
    allowance, pharmacy, as_beneficiary
):
    settle(pharmacy, code_for(as_beneficiary), amount="100.00", settlement_id="B-8")

    reversed_ = pharmacy.post("/api/v1/institution/settlements/B-8/reverse/", HTTP_IDEMPOTENCY_KEY="r-8")
    replayed = pharmacy.post("/api/v1/institution/settlements/B-8/reverse/", HTTP_IDEMPOTENCY_KEY="r-8")
    twice = pharmacy.post("/api/v1/institution/settlements/B-8/reverse/", HTTP_IDEMPOTENCY_KEY="r-9")

    assert (reversed_.status_code, reversed_.json()["status"]) == (200, "reversed")
    assert (replayed.status_code, replayed.json()["id"]) == (200, reversed_.json()["id"])
    assert error_of(twice) == (422, "reversal_not_allowed")
    allowance.refresh_from_db()
    assert allowance.spent_fen == 0


def test_a_refund_answers_its_shape_and_at_most_what_is_left(allowance, pharmacy, as_beneficiary):
    settle(pharmacy, code_for(as_beneficiary), amount="100.00", settlement_id="B-9")

    def refund(refund_id, amount):
        return pharmacy.post(
            "/api/v1/institution/settlements/B-9/refunds/",
            {"refund_id": refund_id, "amount": amount},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"f-{refund_id}",
        )

    first = refund("R-1", "30.00")
    too_much = refund("R-2", "70.01")

    assert first.status_code == 201
    assert {k: first.json()[k] for k in ("refund_id", "settlement_id", "amount", "returned_to")} == {
        "refund_id": "R-1",
        "settlement_id": "B-9",
        "amount": "30.00",
        "returned_to": "allowance",
    }
    assert error_of(too_much) == (422, "refund_exceeds_settlement")
    assert refund("R-1", "30.00").json()["id"] == first.json()["id"]
    allowance.refresh_from_db()
    assert allowance.spent_fen == 7_000


def test_the_days_statement_and_its_confirmation(allowance, family, pharmacy, as_beneficiary):
    today = timezone.localdate()
    settle(pharmacy, code_for(as_beneficiary), amount="100.00", settlement_id="D-1")
    settle(pharmacy, code_for(as_beneficiary), amount="50.00", settlement_id="D-2")
    settle(pharmacy, code_for(as_beneficiary), amount="20.00", settlement_id="D-3")
    pharmacy.post("/api/v1/institution/settlements/D-3/reverse/", HTTP_IDEMPOTENCY_KEY="r-d3")
    pharmacy.post(
        "/api/v1/institution/settlements/D-1/refunds/",
        {"refund_id": "R-d1", "amount": "10.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="f-d1",
    )

    statement = pharmacy.get(f"/api/v1/institution/statements/{today}/").json()
    mismatch = pharmacy.post(
        f"/api/v1/institution/statements/{today}/confirm/",
        {"count": 3, "amount": "160.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="c-1",
    ).json()
    match = pharmacy.post(
        f"/api/v1/institution/statements/{today}/confirm/",
        {"count": 2, "amount": "140.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="c-2",
    ).json()

    assert statement == {
        "date": today.isoformat(),
        "settled": {"count": 2, "amount": "150.00"},
        "reversed": {"count": 1, "amount": "20.00"},
        "refunded": {"count": 1, "amount": "10.00"},
        "net": "140.00",
    }
    assert mismatch == {
        "matched": False,
        "differences": [
            {"field": "count", "ours": 2, "theirs": 3},
            {"field": "amount", "ours": "140.00", "theirs": "160.00"},
        ],
    }
    assert match == {"matched": True, "differences": []}
    assert StatementConfirmation.objects.latest("confirmed_at", "pk").matched is True


def confirm(client, day, body, key):
    return client.post(
        f"/api/v1/institution/statements/{day}/confirm/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_a_confirmation_retried_under_its_key_answers_as_the_first_time_and_other_figures_conflict(
    allowance, family, pharmacy, as_beneficiary
):
    today = timezone.localdate()
    settle(pharmacy, code_for(as_beneficiary), amount="100.00", settlement_id="K-1")
    first = confirm(pharmacy, today, {"count": 1, "amount": "90.00"}, "c-1").json()
    settle(pharmacy, code_for(as_beneficiary), amount="10.00", settlement_id="K-2")  # ours move on

    again = confirm(pharmacy, today, {"count": 1, "amount": "90.00"}, "c-1")
    otherwise = confirm(pharmacy, today, {"count": 2, "amount": "110.00"}, "c-1")
    auditor = api_as(staff_user("auditor", "auditor-k"))
    [audited] = auditor.get(f"/api/v1/admin-api/institution-statements/?date={today}").json()["results"]

    assert again.status_code == 200
    assert (
        again.json()
        == first
        == {
            "matched": False,
            "differences": [{"field": "amount", "ours": "100.00", "theirs": "90.00"}],
        }
    )
    assert error_of(otherwise) == (409, "idempotency_conflict")
    assert StatementConfirmation.objects.count() == 1
    assert (audited["state"], audited["confirmation"]["amount"]) == ("mismatched", "90.00")


def test_the_auditors_see_the_days_latest_confirmation(allowance, family, pharmacy, as_beneficiary):
    today = timezone.localdate()
    settle(pharmacy, code_for(as_beneficiary), amount="100.00", settlement_id="L-1")
    confirm(pharmacy, today, {"count": 1, "amount": "90.00"}, "c-1")
    confirm(pharmacy, today, {"count": 1, "amount": "100.00"}, "c-2")
    auditor = api_as(staff_user("auditor", "auditor-l"))

    [audited] = auditor.get(f"/api/v1/admin-api/institution-statements/?date={today}").json()["results"]

    assert (audited["state"], audited["confirmation"]["amount"]) == ("matched", "100.00")
    assert StatementConfirmation.objects.count() == 2


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("2026-13-01", {"count": 1, "amount": "1.00"}, (400, "invalid_input")),
        ("2999-01-01", {"count": 1, "amount": "1.00"}, (400, "invalid_input")),
        ("today", {"count": 1, "amount": "1.00"}, (400, "invalid_input")),
        (None, {"count": "1", "amount": "1.00"}, (400, "invalid_input")),
        (None, {"count": -1, "amount": "1.00"}, (400, "invalid_input")),
        (None, {"count": 1, "amount": "1.001"}, (400, "invalid_input")),
        (None, {"count": 1}, (400, "invalid_input")),
    ],
)
def test_a_bad_confirmation_is_refused_and_keeps_nothing(pharmacy, path, body, expected):
    day = path or timezone.localdate().isoformat()
    response = pharmacy.post(
        f"/api/v1/institution/statements/{day}/confirm/", body, format="json", HTTP_IDEMPOTENCY_KEY="c-x"
    )

    assert error_of(response) == expected
    assert not StatementConfirmation.objects.exists()


def test_the_auditor_sees_every_institution_mismatches_first(allowance, family, pharmacy, as_beneficiary):
    today = timezone.localdate()
    matched = institution_client("A1", family.beneficiary.region_code)
    institution_client("Z9", family.beneficiary.region_code)  # never confirms
    settle(pharmacy, code_for(as_beneficiary), amount="100.00", settlement_id="E-1")
    for client, body in ((pharmacy, {"count": 1, "amount": "99.00"}), (matched, {"count": 0, "amount": "0"})):
        client.post(
            f"/api/v1/institution/statements/{today}/confirm/", body, format="json", HTTP_IDEMPOTENCY_KEY="c"
        )
    auditor = api_as(staff_user("auditor", "auditor-2"))

    body = auditor.get(f"/api/v1/admin-api/institution-statements/?date={today}").json()
    refused = auditor.get("/api/v1/admin-api/institution-statements/?date=yesterday")

    assert [(row["institution"]["code"], row["state"]) for row in body["results"]] == [
        ("P1", "mismatched"),
        ("Z9", "unconfirmed"),
        ("A1", "matched"),
    ]
    assert body["results"][0]["differences"] == [{"field": "amount", "ours": "100.00", "theirs": "99.00"}]
    assert error_of(refused) == (400, "invalid_input")
    assert pharmacy.get(f"/api/v1/admin-api/institution-statements/?date={today}").status_code == 403
    assert (Institution.objects.count(), Allowance.objects.count()) == (3, 1)


def test_each_side_sees_where_and_on_what_the_allowance_went_and_no_one_else_does(
    allowance, family, pharmacy, as_beneficiary
):
    settle(pharmacy, code_for(as_beneficiary), amount="88.00", settlement_id="F-1", category="outpatient")
    stranger = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000))

    seen = {
        who: client_for(person).get("/api/v1/settlements/").json()
        for who, person in (
            ("beneficiary", family.beneficiary.person),
            ("authorizer", family.authorizer.person),
            ("stranger", stranger.authorizer.person),
            ("stranger's relative", stranger.beneficiary.person),
        )
    }

    for who in ("beneficiary", "authorizer"):
        [row] = seen[who]["results"]
        assert set(row) == {
            "id", "institution", "category", "amount", "refunded", "status", "authorizer", "beneficiary",
            "created_at",
        }, who  # fmt: skip
        assert (row["institution"]["name"], row["category"], row["amount"]) == (
            "P1药房",
            "outpatient",
            "88.00",
        )
        assert row["beneficiary"]["name"] == family.beneficiary.person.name
    assert seen["stranger"]["results"] == seen["stranger's relative"]["results"] == []
    assert APIClient().get("/api/v1/settlements/").status_code == 401


def test_a_person_asking_for_codes_without_end_is_slowed_down(allowance, as_beneficiary, settings):
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["voucher"]
    allowed = int(rate.split("/")[0])

    responses = [as_beneficiary.post("/api/v1/vouchers/") for _ in range(allowed + 1)]
    answers = [response.status_code for response in responses]

    assert answers[:allowed] == [201] * allowed
    assert answers[allowed] == 429
    assert 0 < int(responses[allowed]["Retry-After"]) <= 60  # when the first of the minute leaves it
    assert Voucher.objects.count() == allowed


@pytest.mark.parametrize("code", [None, "", "   "])
def test_a_settlement_without_a_code_is_invalid_input_naming_the_field(allowance, pharmacy, code):
    body = {"settlement_id": "NO-CODE", "amount": "10.00", "category": "drugs"}
    if code is not None:
        body["voucher_code"] = code

    response = pharmacy.post(
        "/api/v1/institution/settlements/", body, format="json", HTTP_IDEMPOTENCY_KEY="no-code"
    )

    assert error_of(response) == (400, "invalid_input")
    assert response.json()["error"]["field"] == "voucher_code"
    assert not Settlement.objects.exists()
