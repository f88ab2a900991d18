"""What counter staff look up and what auditors review: expenditure, statistics, reconciliation."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from insurees.models import Enrollment, Person
from ledger.models import Entry, Transaction
from ledger.selectors import accounts_out_of_balance
from mutual_aid.models import Binding, Relation
from payments.models import Payment, PaymentStatus


def person_detail(*, person: Person) -> dict:
    """Everything the counter needs about one person, in a fixed number of queries."""
    insurances = list(person.insurances.select_related("account").order_by("scheme"))
    bindings = list(
        Binding.objects.filter(Q(authorizer__person=person) | Q(beneficiary__person=person))
        .select_related("authorizer__person", "beneficiary__person")
        .order_by("-created_at")
    )
    enrollments = list(Enrollment.objects.filter(insuree__person=person).order_by("-year"))
    payments = list(
        Payment.objects.filter(Q(authorizer__person=person) | Q(beneficiary__person=person))
        .select_related("authorizer__person", "beneficiary__person")
        .order_by("-created_at")[:50]
    )
    return {"insurances": insurances, "bindings": bindings, "enrollments": enrollments, "payments": payments}


@dataclass(frozen=True)
class ReviewFilters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    region: str = ""
    channel: str = ""
    relation: str = ""
    status: str = ""


def expenditure_review(*, filters: ReviewFilters) -> QuerySet[Payment]:
    """Payments matching the auditor's filters; a province code (xx0000) covers all its cities."""
    payments = Payment.objects.all()
    if filters.date_from:
        payments = payments.filter(created_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        payments = payments.filter(created_at__lt=_start_of(filters.date_to + datetime.timedelta(days=1)))
    if filters.region:
        if filters.region.endswith("0000"):
            payments = payments.filter(region_code__startswith=filters.region[:2])
        else:
            payments = payments.filter(region_code=filters.region)
    for name in ("channel", "relation", "status"):
        if getattr(filters, name):
            payments = payments.filter(**{name: getattr(filters, name)})
    return payments.select_related("beneficiary__person", "authorizer__person").order_by("-created_at", "-pk")


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


def review_totals(*, payments: QuerySet[Payment]) -> dict:
    settled = payments.filter(status=PaymentStatus.SETTLED)
    totals = settled.aggregate(amount_fen=Sum("amount_fen"), people=Count("beneficiary", distinct=True))
    return {
        "payments": payments.count(),
        "people": totals["people"] or 0,
        "amount_fen": totals["amount_fen"] or 0,
    }


def review_charts(*, payments: QuerySet[Payment]) -> dict:
    settled = payments.filter(status=PaymentStatus.SETTLED).order_by()
    per_day = (
        settled.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(amount_fen=Sum("amount_fen"))
        .order_by("day")
    )
    return {
        "per_day": [{"day": row["day"].isoformat(), "amount_fen": row["amount_fen"]} for row in per_day],
        "per_region": list(
            settled.values("region_code").annotate(amount_fen=Sum("amount_fen")).order_by("region_code")
        ),
        "per_relation": [
            {"relation": str(Relation(row["relation"]).label), "count": row["count"]}
            for row in settled.values("relation").annotate(count=Count("pk")).order_by("relation")
        ],
    }


def expenditure_stats(*, year: int) -> dict:
    """Like the bureau publishes: residents paid through relatives' accounts, and how much."""
    settled = Payment.objects.filter(year=year, status=PaymentStatus.SETTLED).order_by()

    def grouped(key: str) -> list[dict]:
        return [
            {key: row[key], "beneficiaries_paid": row["people"], "amount_fen": row["amount_fen"]}
            for row in settled.values(key)
            .annotate(people=Count("beneficiary", distinct=True), amount_fen=Sum("amount_fen"))
            .order_by(key)
        ]

    totals = settled.aggregate(people=Count("beneficiary", distinct=True), amount_fen=Sum("amount_fen"))
    return {
        "year": year,
        "beneficiaries_paid": totals["people"] or 0,
        "amount_fen": totals["amount_fen"] or 0,
        "by_region": grouped("region_code"),
        "by_relation": grouped("relation"),
        "by_channel": grouped("channel"),
    }


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
    payments = list(
        Payment.objects.filter(created_at__gte=start, created_at__lt=end)
        .select_related("authorizer")
        .order_by("pk")
    )
    result.checked = len(payments)
    entries: dict[int, list[Entry]] = {}
    txn_ids = {p.ledger_transaction_id for p in payments} | {
        p.refund_transaction_id for p in payments if p.refund_transaction_id
    }
    for entry in Entry.objects.filter(transaction_id__in=txn_ids):
        entries.setdefault(entry.transaction_id, []).append(entry)
    enrollments = {
        e.payment_id: e for e in Enrollment.objects.filter(payment_id__in=[p.pk for p in payments])
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

    known = {p.ledger_transaction_id for p in payments}
    orphans = (
        Transaction.objects.filter(
            created_at__gte=start, created_at__lt=end, reference__startswith="GJ", reverses__isnull=True
        )
        .exclude(pk__in=known)
        .values_list("pk", "reference")
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
