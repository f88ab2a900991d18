import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from insurees.models import Enrollment
from ledger.models import AccountKind
from ledger.services import account_get_or_create, transaction_post
from payments.models import RefundReason
from payments.services import Actor, payment_refund
from staff.models import ReconciliationRun
from staff.selectors import reconcile
from staff.services import reconciliation_run
from tests.factories import UserFactory
from tests.payments.paying import payment_create_for_relative

# Takes one yuan off a payment's debit entry behind the ledger's back.
SHAVE_DEBIT = (
    "UPDATE ledger_entry SET amount_fen = amount_fen + 100 WHERE transaction_id = %s AND amount_fen < 0"
)


@pytest.fixture
def paid(world, year, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return payment_create_for_relative(
            authorizer=world.authorizer,
            beneficiary=world.beneficiary,
            year=year,
            actor=Actor(user=UserFactory(), idempotency_key="rec"),
        )


def test_a_clean_day_reconciles(paid):
    result = reconcile(date=timezone.localdate())

    assert (result.ok, result.checked) == (True, 1)


def test_a_payment_whose_enrollment_was_not_synced_is_reported(paid):
    Enrollment.objects.filter(payment_id=paid.pk).update(paid=False, payment_id=None)

    result = reconcile(date=timezone.localdate())

    assert [m["kind"] for m in result.mismatches] == ["enrollment_not_synced"]
    assert result.mismatches[0]["payment"] == paid.reference


def test_a_refunded_payment_reconciles_and_a_premium_posting_without_a_payment_is_reported(paid, world):
    payment_refund(payment=paid, reason=RefundReason.PAID_TWICE, note="", operator=UserFactory())
    fund = account_get_or_create(code="fund:stray", kind=AccountKind.FUND)
    stray = transaction_post(
        legs=[(world.authorizer.account, -100), (fund, 100)], memo="stray", reference="GJ-stray"
    )

    result = reconcile(date=timezone.localdate())

    assert result.checked == 1
    assert result.mismatches == [
        {"kind": "ledger_without_payment", "payment": None, "transaction": stray.pk, "reference": "GJ-stray"}
    ]


def test_a_corrupted_ledger_row_is_reported(paid):
    """The database refuses such a row (tests/ledger/test_database_invariants.py); a superuser can still
    write one behind its back, and the daily run then reports it."""
    with connection.cursor() as cursor:
        # Replica mode skips triggers: a database superuser's way around the ledger's guards.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(SHAVE_DEBIT, [paid.ledger_transaction_id])
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")

    kinds = {m["kind"] for m in reconcile(date=timezone.localdate()).mismatches}

    assert {"ledger_unbalanced", "ledger_amount", "balance_differs_from_entries"} <= kinds
    with connection.cursor() as cursor:  # mended, or the test's end would meet the deferred check
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(SHAVE_DEBIT.replace("+ 100", "- 100"), [paid.ledger_transaction_id])
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def test_the_daily_run_is_stored_logged_and_the_command_fails_on_mismatch(paid, caplog, admin_client):
    Enrollment.objects.filter(payment_id=paid.pk).update(paid=False, payment_id=None)

    run = reconciliation_run(date=timezone.localdate())

    assert not run.ok
    assert ReconciliationRun.objects.count() == 1
    assert any(r.levelname == "ERROR" and "reconciliation" in r.getMessage() for r in caplog.records)
    admin_page = admin_client.get("/admin/").content.decode()
    assert 'role="alert"' in admin_page
    assert "/admin/staff/reconciliationrun/" in admin_page
    with pytest.raises(Exception, match="mismatches"):
        call_command("reconcile", "--date", timezone.localdate().isoformat())


def test_a_quiet_day_has_nothing_to_report(db):
    assert reconcile(date=datetime.date(2020, 1, 1)).ok
