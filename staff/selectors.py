"""What counter staff look up and what auditors reconcile, composed from the other apps' selectors."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

from insurees.models import Insuree, Person
from insurees.selectors import enrollment_list_for_payments, enrollment_list_for_person, insurances_of
from ledger.models import Entry
from ledger.selectors import (
    account_balance_get,
    accounts_out_of_balance,
    entry_list_for_transactions,
    transaction_list_originals,
)
from medical.models import Allowance
from medical.selectors import (
    allowance_active_by_binding,
    allowance_active_for_binding,
    allowance_list_for_person,
)
from mutual_aid.models import Binding, BindingStatus
from mutual_aid.selectors import binding_list_for_person
from payments.models import Payment, PaymentStatus
from payments.selectors import payment_list_created_between, payment_list_for_person
from staff.models import AuditAction, AuditRecord, ReconciliationRun

ALLOWANCE_ACTIONS = (AuditAction.ALLOWANCE_SET, AuditAction.ALLOWANCE_RELEASE)


@dataclass(frozen=True)
class BindingAllowance:
    """One of the applicant's active bindings and its active allowance, if it has one."""

    binding: Binding
    allowance: Allowance | None


def person_detail(*, person: Person) -> dict:
    """Everything the counter needs about one person, in a fixed number of queries: the allowances
    of his active bindings on each side (`given_allowances` with or without one, as the counter may
    set one; `received_allowances` only those set), and every allowance he is on, as history."""
    bindings = list(binding_list_for_person(person=person))
    active = [b for b in bindings if b.status == BindingStatus.ACTIVE]
    by_binding = allowance_active_by_binding(binding_ids=[b.pk for b in active])
    return {
        "insurances": insurances_of(person=person),
        "bindings": bindings,
        "enrollments": list(enrollment_list_for_person(person=person)),
        "payments": list(payment_list_for_person(person=person)[:50]),
        "given_allowances": [
            BindingAllowance(binding=b, allowance=by_binding.get(b.pk))
            for b in active
            if b.authorizer.person_id == person.pk
        ],
        "received_allowances": [
            BindingAllowance(binding=b, allowance=by_binding[b.pk])
            for b in active
            if b.beneficiary.person_id == person.pk and b.pk in by_binding
        ],
        "allowances": list(allowance_list_for_person(person=person)[:50]),
    }


@dataclass(frozen=True)
class AllowanceReleasePreview:
    """What releasing an allowance gives back, shown before it moves: its unspent part."""

    allowance: Allowance
    available_before_fen: int

    @property
    def released_fen(self) -> int:
        return self.allowance.remaining_fen

    @property
    def available_after_fen(self) -> int:
        return self.available_before_fen + self.released_fen


def available_balance_of(*, insuree: Insuree) -> int:
    """An authorizer's available balance: his personal account's ledger balance, his allowances' holds
    being in accounts of their own (none without an account)."""
    return account_balance_get(account_id=insuree.account_id) if insuree.account_id is not None else 0


def allowance_release_preview(*, binding: Binding) -> AllowanceReleasePreview | None:
    """The figures of releasing the binding's active allowance as the accounts are now; None if it
    has none."""
    allowance = allowance_active_for_binding(binding_id=binding.pk)
    if allowance is None:
        return None
    return AllowanceReleasePreview(
        allowance=allowance, available_before_fen=available_balance_of(insuree=binding.authorizer)
    )


def counter_allowance_record_for_key(*, operator: User, key: str) -> AuditRecord | None:
    """The audit record of the allowance change the operator made under this Idempotency-Key."""
    return (
        AuditRecord.objects.filter(
            operator=operator, action__in=ALLOWANCE_ACTIONS, details__idempotency_key=key
        )
        .order_by("pk")
        .first()
    )


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
