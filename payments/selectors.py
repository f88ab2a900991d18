from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from insurees.models import Insuree, Person, PremiumRate
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
        r.year: r for r in PremiumRate.objects.filter(region_code=beneficiary.region_code, year__in=years)
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
    rates = {
        (r.region_code, r.year): r
        for r in PremiumRate.objects.filter(region_code__in=regions, year__in=years)
    }
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
