import pytest

from mutual_aid.models import Binding
from payments.models import Payment
from staff.models import AuditAction, AuditRecord
from tests.factories import ResidentFactory
from tests.staff.conftest import api_as, staff_user


def code_of(response):
    return response.json()["error"]["code"]


def test_a_lookup_shows_the_full_id_number_and_is_recorded(clerk, world):
    response = api_as(clerk).post(
        "/api/v1/staff/persons/", {"id_number": world.authorizer.person.id_number}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["id_number"] == world.authorizer.person.id_number
    assert response.json()["insurances"][0]["balance"] == "1000.00"
    record = AuditRecord.objects.get()
    assert (record.operator, record.counter_id, record.action, record.person) == (
        clerk,
        "DL-07",
        AuditAction.PERSON_LOOKUP,
        world.authorizer.person,
    )


def test_the_counter_binds_with_the_paper_pledge_and_records_it(clerk, world):
    parent = ResidentFactory()
    body = {
        "authorizer_id_number": world.authorizer.person.id_number,
        "beneficiary_id_number": parent.person.id_number,
        "beneficiary_name": parent.person.name,
        "relation": "parent",
        "pledge_version": 1,
        "paper_pledge_ref": "PL-0001",
    }

    response = api_as(clerk).post("/api/v1/staff/bindings/", body, format="json")

    assert response.status_code == 201
    binding = Binding.objects.get(pk=response.json()["id"])
    assert (binding.channel, binding.operator, binding.counter_id, binding.paper_pledge_ref) == (
        "counter",
        clerk,
        "DL-07",
        "PL-0001",
    )
    assert AuditRecord.objects.get().action == AuditAction.BINDING_CREATE


def test_a_refused_counter_binding_leaves_no_audit_record(clerk, world):
    body = {
        "authorizer_id_number": world.authorizer.person.id_number,
        "beneficiary_id_number": world.beneficiary.person.id_number,
        "beneficiary_name": world.beneficiary.person.name,
        "relation": "parent",
        "pledge_version": 1,
        "paper_pledge_ref": "PL-0002",
    }

    response = api_as(clerk).post("/api/v1/staff/bindings/", body, format="json")

    assert (response.status_code, code_of(response)) == (409, "already_bound")
    assert not AuditRecord.objects.exists()


def test_the_counter_pays_for_a_named_authorizer_or_by_the_rule(clerk, world, year):
    client = api_as(clerk)
    named = client.post(
        "/api/v1/staff/payments/",
        {
            "authorizer_id_number": world.authorizer.person.id_number,
            "beneficiary_id_number": world.beneficiary.person.id_number,
            "year": year,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="c1",
    )
    assert named.status_code == 201
    assert named.json()["channel"] == "counter"

    other = ResidentFactory()
    from tests.factories import BindingFactory

    BindingFactory(authorizer=world.authorizer, beneficiary=other)
    by_rule = client.post(
        "/api/v1/staff/payments/",
        {"beneficiary_id_number": other.person.id_number, "year": year},
        format="json",
        HTTP_IDEMPOTENCY_KEY="c2",
    )
    assert by_rule.status_code == 201
    payments = Payment.objects.order_by("pk")
    assert [p.operator for p in payments] == [clerk, clerk]
    assert AuditRecord.objects.filter(action=AuditAction.PAYMENT_CREATE).count() == 2


def test_only_a_supervisor_refunds_and_the_refund_is_recorded(clerk, supervisor, world, year):
    payment = (
        api_as(clerk)
        .post(
            "/api/v1/staff/payments/",
            {
                "authorizer_id_number": world.authorizer.person.id_number,
                "beneficiary_id_number": world.beneficiary.person.id_number,
                "year": year,
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY="c3",
        )
        .json()
    )

    refused = api_as(clerk).post(
        f"/api/v1/staff/payments/{payment['id']}/refund/", {"reason": "paid_twice"}, format="json"
    )
    assert (refused.status_code, code_of(refused)) == (403, "permission_denied")

    refunded = api_as(supervisor).post(
        f"/api/v1/staff/payments/{payment['id']}/refund/",
        {"reason": "paid_twice", "note": "bank receipt 123"},
        format="json",
    )
    assert (refunded.status_code, refunded.json()["status"]) == (200, "refunded")
    record = AuditRecord.objects.get(action=AuditAction.PAYMENT_REFUND)
    assert record.details["note"] == "bank receipt 123"

    bad_reason = api_as(supervisor).post(
        f"/api/v1/staff/payments/{payment['id']}/refund/", {"reason": "whim"}, format="json"
    )
    assert (bad_reason.status_code, code_of(bad_reason)) == (400, "invalid_input")


@pytest.mark.parametrize(
    ("role", "path", "method"),
    [
        ("auditor", "/api/v1/staff/persons/", "post"),
        ("auditor", "/api/v1/staff/payments/", "post"),
        ("counter_staff", "/api/v1/admin-api/expenditures/", "get"),
        ("counter_staff", "/api/v1/admin-api/stats/?year=2027", "get"),
        ("counter_supervisor", "/api/v1/admin-api/reconciliation/?date=2026-11-01", "get"),
    ],
)
def test_each_role_is_refused_outside_it(db, role, path, method):
    client = api_as(staff_user(role, f"{role}-x"))

    response = getattr(client, method)(path, {}, format="json") if method == "post" else client.get(path)

    assert (response.status_code, code_of(response)) == (403, "permission_denied")


def test_an_insuree_is_refused_every_staff_endpoint(world):
    from tests.api.conftest import client_for

    client = client_for(world.authorizer.person)

    for path in (
        "/api/v1/admin-api/expenditures/",
        "/api/v1/admin-api/stats/?year=2027",
    ):
        assert client.get(path).status_code == 403
    lookup = client.post("/api/v1/staff/persons/", {"id_number": "11010519491231002X"}, format="json")
    assert lookup.status_code == 403


def test_a_lookup_never_takes_the_id_number_from_the_address(clerk, world):
    number = world.authorizer.person.id_number

    response = api_as(clerk).get("/api/v1/staff/persons/", {"id_number": number})

    assert response.status_code == 405
    assert number not in response.content.decode()
    assert not AuditRecord.objects.exists()


CSV_COLUMNS = [
    "reference",
    "created_at",
    "year",
    "kind",
    "region_code",
    "channel",
    "relation",
    "status",
    "amount",
    "beneficiary",
    "authorizer",
]


def test_auditors_review_filter_totals_csv_and_stats(clerk, auditor, world, year):
    api_as(clerk).post(
        "/api/v1/staff/payments/",
        {
            "authorizer_id_number": world.authorizer.person.id_number,
            "beneficiary_id_number": world.beneficiary.person.id_number,
            "year": year,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="c4",
    )
    client = api_as(auditor)

    page = client.get("/api/v1/admin-api/expenditures/", {"channel": "counter", "region": "210000"}).json()
    empty = client.get("/api/v1/admin-api/expenditures/", {"channel": "self"}).json()
    csv = client.get("/api/v1/admin-api/expenditures.csv", {"channel": "counter"})
    stats = client.get("/api/v1/admin-api/stats/", {"year": year}).json()

    assert (page["count"], page["totals"]) == (
        1,
        {"payments": 1, "people": 1, "amount": "420.00", "refunded_payments": 0, "refunded_amount": "0.00"},
    )
    assert empty["count"] == 0
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 2
    assert lines[0].split(",") == CSV_COLUMNS  # the API's CSV keeps its documented columns and codes
    assert world.beneficiary.person.name in lines[1]
    assert ",counter,parent,settled,420.00," in lines[1]
    assert (stats["beneficiaries_paid"], stats["amount_total"]) == (1, "420.00")
    assert stats["by_channel"] == [{"channel": "counter", "beneficiaries_paid": 1, "amount": "420.00"}]


@pytest.mark.parametrize("counter", [None, "", "  ", "7\x00", "\x1b[2J"])
def test_a_counter_call_without_a_counter_number_is_refused_and_not_recorded(clerk, world, counter):
    without_counter = api_as(clerk)
    # No X-Counter-Id, or one that names no counter (a control character PostgreSQL could not store).
    without_counter.credentials(**({} if counter is None else {"HTTP_X_COUNTER_ID": counter}))

    response = without_counter.post(
        "/api/v1/staff/persons/", {"id_number": world.authorizer.person.id_number}, format="json"
    )

    assert response.status_code == 400
    assert (code_of(response), response.json()["error"]["field"]) == ("invalid_input", "counter_id")
    assert not AuditRecord.objects.exists()
