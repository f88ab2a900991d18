"""What counter staff look up and what auditors reconcile, composed from the other apps' selectors."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

from insurees.models import Person
from insurees.selectors import enrollment_list_for_payments, enrollment_list_for_person, insurances_of
from ledger.models import Entry
from ledger.selectors import accounts_out_of_balance, entry_list_for_transactions, transaction_list_originals
from mutual_aid.selectors import binding_list_for_person
from payments.models import Payment, PaymentStatus
from payments.selectors import payment_list_created_between, payment_list_for_person
from staff.models import ReconciliationRun


def person_detail(*, person: Person) -> dict:
    """Everything the counter needs about one person, in a fixed number of queries."""
    return {
        "insurances": insurances_of(person=person),
        "bindings": list(binding_list_for_person(person=person)),
        "enrollments": list(enrollment_list_for_person(person=person)),
        "payments": list(payment_list_for_person(person=person)[:50]),
    }


def reconciliation_run_list(*, limit: int) -> list[ReconciliationRun]:
    """The latest daily runs, newest first."""
    return list(ReconciliationRun.objects.order_by("-date", "-pk")[:limit])


def rows_streamed(queryset: QuerySet, *, chunk_size: int) -> Iterator[tuple]:
    """The queryset's rows, fetched `chunk_size` at a time: memory stays flat.

    Outside a transaction Django holds the cursor: PostgreSQL computes every row up front, from one
    snapshot, and the download then reads them with no transaction open, no lock and no snapshot
    held, however slowly the client reads. The planner is told every row will be read: by default it
    plans a cursor for its first tenth, which over a million payments meant an index lookup per row
    and join, three times slower in all.
    """
    connection = connections[queryset.db]
    with connection.cursor() as cursor:
        cursor.execute("SET cursor_tuple_fraction = 1")
    try:
        yield from queryset.iterator(chunk_size=chunk_size)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET cursor_tuple_fraction")


@dataclass
class Reconciliation:
    date: datetime.date
    checked: int = 0
    mismatches: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def reconcile(*, date: datetime.date) -> Reconciliation:
    """For one day: each payment against its ledger transaction and its enrollment, and back."""
    result = Reconciliation(date=date)
    start, end = _start_of(date), _start_of(date + datetime.timedelta(days=1))
    payments = list(payment_list_created_between(created_from=start, created_before=end))
    result.checked = len(payments)
    entries: dict[int | None, list[Entry]] = {}  # None: no refund transaction, no legs
    txn_ids = {p.ledger_transaction_id for p in payments} | {
        p.refund_transaction_id for p in payments if p.refund_transaction_id
    }
    for entry in entry_list_for_transactions(transaction_ids=txn_ids):
        entries.setdefault(entry.transaction_id, []).append(entry)
    enrollments = {
        e.payment_id: e for e in enrollment_list_for_payments(payment_ids=[p.pk for p in payments])
    }

    def mismatch(kind: str, payment: Payment | None = None, **facts) -> None:
        result.mismatches.append({"kind": kind, "payment": payment.reference if payment else None, **facts})

    for payment in payments:
        legs = entries.get(payment.ledger_transaction_id, [])
        debit = sum(e.amount_fen for e in legs if e.account_id == payment.authorizer.account_id)
        if sum(e.amount_fen for e in legs) != 0:
            mismatch("ledger_unbalanced", payment, transaction=payment.ledger_transaction_id)
        if debit != -payment.amount_fen:
            mismatch("ledger_amount", payment, ledger_fen=-debit, payment_fen=payment.amount_fen)
        enrollment = enrollments.get(payment.pk)
        if payment.status == PaymentStatus.SETTLED and not (enrollment and enrollment.paid):
            mismatch("enrollment_not_synced", payment, synced_at=str(payment.enrollment_synced_at or ""))
        if payment.status == PaymentStatus.REFUNDED and enrollment is not None:
            mismatch("refunded_enrollment_still_paid", payment)
        if (
            payment.status == PaymentStatus.REFUNDED
            and sum(
                e.amount_fen
                for e in entries.get(payment.refund_transaction_id, [])
                if e.account_id == payment.authorizer.account_id
            )
            != payment.amount_fen
        ):
            mismatch("refund_amount", payment)

    orphans = transaction_list_originals(
        created_from=start,
        created_before=end,
        reference_prefix="GJ",
        exclude_ids={p.ledger_transaction_id for p in payments},
    )
    for txn_id, reference in orphans:
        mismatch("ledger_without_payment", None, transaction=txn_id, reference=reference)
    for account_id, stored, summed in accounts_out_of_balance():
        mismatch(
            "balance_differs_from_entries", None, account=account_id, balance_fen=stored, entries_fen=summed
        )
    return result


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
