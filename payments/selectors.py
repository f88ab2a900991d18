from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from insurees.models import Insuree, Person, PremiumRate
from insurees.selectors import premium_rates_for
from mutual_aid.models import Relation
from payments.models import Notification, Payment, PaymentStatus


def payment_list_for_person(*, person: Person) -> QuerySet[Payment]:
    """Payments where the person is the beneficiary or the paying authorizer, newest first."""
    return (
        Payment.objects.filter(Q(beneficiary__person=person) | Q(authorizer__person=person))
        .select_related("beneficiary__person", "authorizer__person")
        .order_by("-created_at", "-pk")
    )


def payment_get_for_person(*, person: Person, payment_id: int) -> Payment:
    """Another person's payment answers not_found, as if it did not exist."""
    payment = payment_list_for_person(person=person).filter(pk=payment_id).first()
    if payment is None:
        raise ApplicationError("not_found", _("No such payment was found."))
    return payment


@dataclass(frozen=True)
class Expenditure:
    """One line of a personal account's expenditure records: a debit, or a refund of one."""

    kind: str  # "debit" or "refund"
    at: datetime.datetime
    amount_fen: int  # negative for a debit
    payment: Payment


def expenditure_list_for_person(
    *, person: Person, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> list[Expenditure]:
    payments = payment_list_for_person(person=person).filter(authorizer__person=person)
    lines = []
    for payment in payments:
        lines.append(Expenditure("debit", payment.created_at, -payment.amount_fen, payment))
        if payment.status == PaymentStatus.REFUNDED and payment.refunded_at:
            lines.append(Expenditure("refund", payment.refunded_at, payment.amount_fen, payment))

    def within(line: Expenditure) -> bool:
        day = line.at.astimezone().date()
        return (date_from is None or day >= date_from) and (date_to is None or day <= date_to)

    return sorted(filter(within, lines), key=lambda line: (line.at, line.payment.pk), reverse=True)


@dataclass(frozen=True)
class PremiumDue:
    year: int
    rate: PremiumRate | None
    payment: Payment | None

    @property
    def paid(self) -> bool:
        return self.payment is not None


def premium_due_for(*, beneficiary: Insuree, years: list[int]) -> list[PremiumDue]:
    """The premium of each year for a resident and whether it is paid (one query each for all years)."""
    rates = {
        year: rate
        for (_region, year), rate in premium_rates_for(
            region_codes={beneficiary.region_code}, years=years
        ).items()
    }
    paid = {
        p.year: p
        for p in Payment.objects.filter(beneficiary=beneficiary, year__in=years, status=PaymentStatus.SETTLED)
    }
    return [PremiumDue(year=year, rate=rates.get(year), payment=paid.get(year)) for year in years]


def notification_list_for_person(*, person: Person) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(person=person)
        .select_related("payment__beneficiary__person")
        .order_by("-created_at", "-pk")
    )


def notification_unread_count(*, person: Person) -> int:
    return Notification.objects.filter(person=person, read_at__isnull=True).count()


def premiums_due_for_many(*, beneficiaries: list[Insuree], years: list[int]) -> dict[int, list[PremiumDue]]:
    """premium_due_for over many residents in two queries: {insuree id: [due per year]}."""
    regions = {b.region_code for b in beneficiaries}
    rates = premium_rates_for(region_codes=regions, years=years)
    paid = {
        (p.beneficiary_id, p.year): p
        for p in Payment.objects.filter(
            beneficiary__in=beneficiaries, year__in=years, status=PaymentStatus.SETTLED
        ).select_related("authorizer__person")
    }
    return {
        b.pk: [
            PremiumDue(year=y, rate=rates.get((b.region_code, y)), payment=paid.get((b.pk, y))) for y in years
        ]
        for b in beneficiaries
    }


def payment_verify(*, reference: str, code: str) -> Payment | None:
    """The payment a receipt names, if its verification code matches; anyone may check a receipt."""
    return (
        Payment.objects.select_related("beneficiary__person", "authorizer__person")
        .filter(reference=reference.strip().upper(), verification_code=code.strip().upper())
        .first()
    )


def payment_get(*, payment_id: int) -> Payment | None:
    """Any payment by its id, with both persons: for staff, who may act on every payment."""
    return (
        Payment.objects.select_related("beneficiary__person", "authorizer__person")
        .filter(pk=payment_id)
        .first()
    )


def payment_latest_year() -> int | None:
    """The latest coverage year anyone has paid for, or None before the first payment."""
    return Payment.objects.order_by("-year").values_list("year", flat=True).first()


def payment_list_for_review(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    region: str = "",
    channel: str = "",
    relation: str = "",
    status: str = "",
) -> QuerySet[Payment]:
    """Payments matching the auditor's filters, newest first; a province code (xx0000) covers all its
    cities. An empty filter is no filter."""
    payments = Payment.objects.all()
    if date_from:
        payments = payments.filter(created_at__gte=_start_of(date_from))
    if date_to:
        payments = payments.filter(created_at__lt=_start_of(date_to + datetime.timedelta(days=1)))
    if region:
        if region.endswith("0000"):
            payments = payments.filter(region_code__startswith=region[:2])
        else:
            payments = payments.filter(region_code=region)
    for name, value in (("channel", channel), ("relation", relation), ("status", status)):
        if value:
            payments = payments.filter(**{name: value})
    return payments.select_related("beneficiary__person", "authorizer__person").order_by("-created_at", "-pk")


# The review's columns, each with the field it is read from: the CSV's header and its rows.
REVIEW_COLUMNS = {
    "reference": "reference",
    "created_at": "created_at",
    "year": "year",
    "region_code": "region_code",
    "channel": "channel",
    "relation": "relation",
    "status": "status",
    "amount": "amount_fen",
    "beneficiary": "beneficiary__person__name",
    "authorizer": "authorizer__person__name",
}


def payment_review_rows(*, payments: QuerySet[Payment]) -> QuerySet[Payment, tuple]:
    """The payments as plain tuples in REVIEW_COLUMNS' order: no model instances, for long exports."""
    return payments.values_list(*REVIEW_COLUMNS.values())


def payment_review_totals(*, payments: QuerySet[Payment]) -> dict:
    """How many payments, and the people and amount settled among them."""
    settled = payments.filter(status=PaymentStatus.SETTLED)
    totals = settled.aggregate(amount_fen=Sum("amount_fen"), people=Count("beneficiary", distinct=True))
    return {
        "payments": payments.count(),
        "people": totals["people"] or 0,
        "amount_fen": totals["amount_fen"] or 0,
    }


def payment_review_charts(*, payments: QuerySet[Payment]) -> dict:
    """The settled amount per local day and per region, and the settled payments per relation."""
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


def payment_stats(*, year: int) -> dict:
    """Like the bureau publishes: residents paid through relatives' accounts, and how much, for one
    coverage year, in all and by region, relation and channel."""
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


def payment_list_created_between(
    *, created_from: datetime.datetime, created_before: datetime.datetime
) -> QuerySet[Payment]:
    """The payments made in [created_from, created_before), with their authorizers, oldest first."""
    return (
        Payment.objects.filter(created_at__gte=created_from, created_at__lt=created_before)
        .select_related("authorizer")
        .order_by("pk")
    )


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
