from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from insurees.models import Insuree, InsureeStatus, Person, PremiumKind, PremiumRate, Scheme
from insurees.selectors import (
    collection_open,
    insuree_get,
    no_premium_rate,
    not_insured,
    premium_rate_list,
    premium_rate_next_opening,
    premium_rates_for,
)
from ledger.selectors import account_balances_get
from mutual_aid import errors as binding_errors
from mutual_aid.models import Binding, BindingStatus, Relation
from mutual_aid.selectors import authorizer_for, binding_list_for_person
from payments import errors
from payments.models import IdempotencyKey, Payment, PaymentStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import User


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
    kind: str = PremiumKind.RESIDENT_MEDICAL

    @property
    def paid(self) -> bool:
        return self.payment is not None

    @property
    def kind_label(self) -> str:
        return str(PremiumKind(self.kind).label)


def premium_due_for(
    *, beneficiary: Insuree, years: list[int], kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL
) -> list[PremiumDue]:
    """The premium of one kind of each year for a resident and whether it is paid (one query each for
    all years)."""
    rates = {
        year: rate
        for (_region, year), rate in premium_rates_for(
            region_codes={beneficiary.region_code}, years=years, kind=kind
        ).items()
    }
    paid = {
        p.year: p
        for p in Payment.objects.filter(
            beneficiary=beneficiary, year__in=years, kind=kind, status=PaymentStatus.SETTLED
        )
    }
    return [PremiumDue(year=year, rate=rates.get(year), payment=paid.get(year), kind=kind) for year in years]


def premiums_due_for_many(
    *, beneficiaries: list[Insuree], years: list[int], kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL
) -> dict[int, list[PremiumDue]]:
    """premium_due_for over many residents in two queries: {insuree id: [due per year]}."""
    regions = {b.region_code for b in beneficiaries}
    rates = premium_rates_for(region_codes=regions, years=years, kind=kind)
    paid = {
        (p.beneficiary_id, p.year): p
        for p in Payment.objects.filter(
            beneficiary__in=beneficiaries, year__in=years, kind=kind, status=PaymentStatus.SETTLED
        ).select_related("authorizer__person")
    }
    return {
        b.pk: [
            PremiumDue(year=y, rate=rates.get((b.region_code, y)), payment=paid.get((b.pk, y)), kind=kind)
            for y in years
        ]
        for b in beneficiaries
    }


@dataclass(frozen=True)
class PremiumOverview:
    """A resident's premiums as a reader can act on them: the premiums payable today, of every kind his
    region sets (each with its deadline), the next period to open if none is, and the closed years as
    history."""

    open: list[PremiumDue] = field(default_factory=list)
    next_rate: PremiumRate | None = None
    history: list[PremiumDue] = field(default_factory=list)

    @property
    def payable(self) -> list[PremiumDue]:
        """The open premiums still to pay: paid means a settled payment, so a refunded one is due again."""
        return [due for due in self.open if not due.paid]

    @property
    def settled_years(self) -> list[int]:
        """The open years whose every premium is paid, latest first."""
        years = {due.year for due in self.open}
        return sorted(years - {due.year for due in self.payable}, reverse=True)


def premium_overview_for_many(
    *, beneficiaries: list[Insuree], today: datetime.date, history_years: int = 2
) -> dict[int, PremiumOverview]:
    """{insuree id: overview} for many residents in two queries; `history_years` closed years each, of
    every kind. The resident premium comes first within a year."""
    rates = premium_rate_list(region_codes={b.region_code for b in beneficiaries})
    paid = {
        (p.beneficiary_id, p.year, p.kind): p
        for p in Payment.objects.filter(
            beneficiary__in=beneficiaries, year__in={r.year for r in rates}, status=PaymentStatus.SETTLED
        )
    }
    kinds = list(PremiumKind.values)
    overviews = {}
    for beneficiary in beneficiaries:
        own = [rate for rate in rates if rate.region_code == beneficiary.region_code]

        def due(rate: PremiumRate, beneficiary: Insuree = beneficiary) -> PremiumDue:
            return PremiumDue(
                year=rate.year,
                rate=rate,
                payment=paid.get((beneficiary.pk, rate.year, rate.kind)),
                kind=rate.kind,
            )

        closed = sorted(
            (r for r in own if r.collection_end < today), key=lambda r: (-r.year, kinds.index(r.kind))
        )
        closed_years = sorted({r.year for r in closed}, reverse=True)[:history_years]
        overviews[beneficiary.pk] = PremiumOverview(
            open=[
                due(rate)
                for rate in sorted(own, key=lambda r: kinds.index(r.kind))
                if collection_open(rate, today)
            ],
            next_rate=premium_rate_next_opening(rates=own, today=today),
            history=[due(rate) for rate in closed if rate.year in closed_years],
        )
    return overviews


@dataclass(frozen=True)
class PayOffers:
    """What the pay pages can offer a person today: for his bound relatives (as authorizer), and for
    himself (as a bound relative); each only while some premium open today is still unpaid."""

    relatives: bool = False
    own: bool = False


def pay_offers_for_person(*, person: Person, today: datetime.date) -> PayOffers:
    """Whether an active binding from him leads to a relative with a premium to pay, and whether an
    active binding to him may pay his own; in at most three queries."""
    bindings = [b for b in binding_list_for_person(person=person) if b.status == BindingStatus.ACTIVE]
    if not bindings:
        return PayOffers()
    relatives = {b.beneficiary_id: b.beneficiary for b in bindings if b.authorizer.person_id == person.pk}
    own = {b.beneficiary_id: b.beneficiary for b in bindings if b.beneficiary.person_id == person.pk}
    overviews = premium_overview_for_many(
        beneficiaries=[*relatives.values(), *own.values()], today=today, history_years=0
    )

    def payable(beneficiaries: dict[int, Insuree]) -> bool:
        return any(overviews[pk].payable for pk in beneficiaries)

    return PayOffers(relatives=payable(relatives), own=payable(own))


# Previews: what a payment would do, read before it is made. Each refuses as payments_pay would
# (payments/migrations/sql/pay.sql), with the same codes in the same order, so a refusal is shown where
# the choice is made; a premium already paid is named by whose it is, as a page lists several. The
# payment itself judges everything again under its locks.


@dataclass(frozen=True)
class PremiumLine:
    """One premium a payment would settle: whose, for which year, how much, through which binding."""

    beneficiary: Insuree
    binding: Binding
    year: int
    amount_fen: int
    collection_end: datetime.date
    kind: str = PremiumKind.RESIDENT_MEDICAL

    @property
    def kind_label(self) -> str:
        return str(PremiumKind(self.kind).label)


@dataclass(frozen=True)
class RelativesPaymentPreview:
    """An authorizer paying bound relatives from his own account."""

    authorizer: Insuree
    year: int
    lines: list[PremiumLine]
    balance_before_fen: int
    kind: str = PremiumKind.RESIDENT_MEDICAL

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    @property
    def balance_after_fen(self) -> int:
        return self.balance_before_fen - self.total_fen


@dataclass(frozen=True)
class SelfPaymentPreview:
    """A relative paying his own premium: the account the rule picks now (it picks again when paying,
    and a payment confirmed from this account refuses another).
    The payer's balance is for staff only; the relative is never shown it."""

    beneficiary: Insuree
    year: int
    line: PremiumLine  # its binding is the chosen payer's
    payer_balance_fen: int
    kind: str = PremiumKind.RESIDENT_MEDICAL

    @property
    def payer(self) -> Insuree:
        return self.line.binding.authorizer

    @property
    def total_fen(self) -> int:
        return self.line.amount_fen

    @property
    def payer_balance_after_fen(self) -> int:
        return self.payer_balance_fen - self.total_fen


def payment_preview_for_relatives(
    *,
    authorizer: Person,
    beneficiaries: Sequence[Insuree],
    year: int,
    kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL,
) -> RelativesPaymentPreview:
    """What payments_create_for_relatives would pay now, or the ApplicationError it would raise."""
    payer = authorizer_for(person=authorizer)
    _check_year(year)
    kind = _checked_kind(kind)
    if not beneficiaries or len({b.pk for b in beneficiaries}) != len(beneficiaries):
        raise errors.relatives_not_distinct()
    bindings = {
        b.beneficiary_id: b
        for b in binding_list_for_person(person=authorizer)
        if b.authorizer_id == payer.pk and b.status == BindingStatus.ACTIVE
    }
    # The relatives as the bindings just read them; judged in the payment's lock order, by key.
    current = [bindings[b.pk].beneficiary if b.pk in bindings else b for b in beneficiaries]
    for beneficiary in sorted(current, key=lambda b: b.pk):
        _check_beneficiary(beneficiary)
    rates = premium_rates_for(region_codes={b.region_code for b in current}, years=[year], kind=kind)
    paid = _paid_beneficiary_ids(beneficiaries=current, year=year, kind=kind)
    lines = []
    for beneficiary in current:
        binding = bindings.get(beneficiary.pk)
        if binding is None:
            raise binding_errors.binding_not_found()
        rate = _payable_rate(
            rates.get((beneficiary.region_code, year)),
            year=year,
            kind=kind,
            beneficiary=beneficiary,
            paid=paid,
        )
        lines.append(_line(beneficiary, binding, rate))
    if payer.account_id is None:
        raise binding_errors.authorizer_not_employee()
    balance = account_balances_get(account_ids=[payer.account_id]).get(payer.account_id, 0)
    preview = RelativesPaymentPreview(
        authorizer=payer, year=year, lines=lines, balance_before_fen=balance, kind=kind
    )
    if preview.balance_after_fen < 0:
        raise errors.insufficient_balance(preview.total_fen)
    return preview


def payment_preview_for_self(
    *, beneficiary: Person, year: int, kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL
) -> SelfPaymentPreview:
    """What payment_create_for_self would pay now and from whose account, or the ApplicationError it
    would raise: the richest account among the active, unpaused bindings with an active authorizer,
    ties to the oldest binding, as payments_settle picks it."""
    resident = insuree_get(person=beneficiary, scheme=Scheme.RESIDENT)
    if resident is None:
        raise not_insured(Scheme.RESIDENT)
    _check_year(year)
    kind = _checked_kind(kind)
    _check_beneficiary(resident)
    rate = premium_rates_for(region_codes={resident.region_code}, years=[year], kind=kind).get(
        (resident.region_code, year)
    )
    paid = _paid_beneficiary_ids(beneficiaries=[resident], year=year, kind=kind)
    # {binding: its authorizer's account}, for the bindings that may pay a self-payment.
    candidates = {
        b: b.authorizer.account_id
        for b in binding_list_for_person(person=beneficiary)
        if b.beneficiary_id == resident.pk
        and b.status == BindingStatus.ACTIVE
        and not b.self_pay_paused
        and b.authorizer.status == InsureeStatus.ACTIVE
        and b.authorizer.account_id is not None
    }
    # The premium is judged before the accounts, as the payment does: already paid says so first.
    rate = _payable_rate(rate, year=year, kind=kind, beneficiary=resident, paid=paid, paid_field="year")
    if not candidates:
        raise binding_errors.binding_not_found()
    balances = account_balances_get(account_ids=[a for a in candidates.values() if a is not None])

    def balance(binding: Binding) -> int:
        return balances.get(candidates[binding] or 0, 0)

    chosen = min(candidates, key=lambda b: (-balance(b), b.created_at, b.pk))
    preview = SelfPaymentPreview(
        beneficiary=resident,
        year=year,
        line=_line(resident, chosen, rate),
        payer_balance_fen=balance(chosen),
        kind=kind,
    )
    if preview.payer_balance_after_fen < 0:
        raise errors.no_authorizer_can_pay(preview.total_fen)
    return preview


def payment_list_for_idempotency_key(*, user: User, key: str) -> list[Payment]:
    """The payments one paying request made under its key: its confirmation, for the key's user only."""
    made = IdempotencyKey.payments.through.objects.filter(
        idempotencykey__user=user, idempotencykey__key=key
    ).values("payment_id")
    return list(
        Payment.objects.filter(pk__in=made)
        .select_related("beneficiary__person", "authorizer__person")
        .order_by("pk")
    )


def _check_year(year: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise errors.invalid_year()


def _checked_kind(kind: str) -> PremiumKind:
    if kind not in PremiumKind.values:
        raise errors.invalid_kind()
    return PremiumKind(kind)


def _check_beneficiary(beneficiary: Insuree) -> None:
    if beneficiary.scheme != Scheme.RESIDENT:
        raise binding_errors.beneficiary_not_resident()
    if beneficiary.status != InsureeStatus.ACTIVE:
        raise binding_errors.beneficiary_not_active()


def _paid_beneficiary_ids(*, beneficiaries: Sequence[Insuree], year: int, kind: PremiumKind) -> set[int]:
    return set(
        Payment.objects.filter(
            beneficiary__in=beneficiaries, year=year, kind=kind, status=PaymentStatus.SETTLED
        ).values_list("beneficiary_id", flat=True)
    )


def _payable_rate(
    rate: PremiumRate | None,
    *,
    year: int,
    kind: PremiumKind,
    beneficiary: Insuree,
    paid: set[int],
    paid_field: str = "beneficiary_id_numbers",
) -> PremiumRate:
    """The year's rate of the kind, if a premium is due on it today; else the refusal the payment would
    raise."""
    if rate is None:
        raise no_premium_rate(kind=kind)
    if not collection_open(rate, timezone.localdate()):
        raise errors.outside_collection_period(year, rate.collection_start, rate.collection_end)
    if beneficiary.pk in paid:
        raise _already_paid(beneficiary, year=year, kind=kind, field=paid_field)
    return rate


def _already_paid(beneficiary: Insuree, *, year: int, kind: PremiumKind, field: str) -> ApplicationError:
    """payments.errors.already_paid with the relative's name: on a page that lists several people (or
    at the counter), the year alone does not say whose premium it was."""
    if kind == PremiumKind.LONG_TERM_CARE:
        message = _("%(name)s's long-term-care insurance premium for %(year)s has already been paid.")
    else:
        message = _("%(name)s's resident premium for %(year)s has already been paid.")
    words = {"name": beneficiary.person.name, "year": year}
    return ApplicationError("already_paid", message % words, field=field)


def _line(beneficiary: Insuree, binding: Binding, rate: PremiumRate) -> PremiumLine:
    return PremiumLine(
        beneficiary=beneficiary,
        binding=binding,
        year=rate.year,
        amount_fen=rate.amount_fen,
        collection_end=rate.collection_end,
        kind=rate.kind,
    )


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


def payment_latest_year(*, payments: QuerySet[Payment] | None = None) -> int | None:
    """The latest coverage year among the payments (all of them by default), or None if there is none."""
    payments = Payment.objects.all() if payments is None else payments
    return payments.order_by("-year").values_list("year", flat=True).first()


def payment_list_for_review(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    region: str = "",
    channel: str = "",
    relation: str = "",
    status: str = "",
    kind: str = "",
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
    for name, value in (("channel", channel), ("relation", relation), ("status", status), ("kind", kind)):
        if value:
            payments = payments.filter(**{name: value})
    return payments.select_related("beneficiary__person", "authorizer__person").order_by("-created_at", "-pk")


# The review's columns, each with the field it is read from: the CSV's header and its rows.
REVIEW_COLUMNS = {
    "reference": "reference",
    "created_at": "created_at",
    "year": "year",
    "kind": "kind",
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
    """The review's one definition of paid: a settled payment. The payments, residents and amount
    paid count settled payments only; the refunded ones are counted apart, never as paid."""
    settled, refunded = Q(status=PaymentStatus.SETTLED), Q(status=PaymentStatus.REFUNDED)
    totals = payments.order_by().aggregate(
        payments=Count("pk", filter=settled),
        people=Count("beneficiary", distinct=True, filter=settled),
        settled_fen=Sum("amount_fen", filter=settled, default=0),  # not named after the column
        refunded_payments=Count("pk", filter=refunded),
        refunded_fen=Sum("amount_fen", filter=refunded, default=0),
    )
    return {
        "payments": totals["payments"],
        "people": totals["people"],
        "amount_fen": totals["settled_fen"],
        "refunded_payments": totals["refunded_payments"],
        "refunded_amount_fen": totals["refunded_fen"],
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


def payment_stats(*, year: int, payments: QuerySet[Payment] | None = None) -> dict:
    """Like the bureau publishes: residents paid through relatives' accounts, and how much, for one
    coverage year, in all and by region, relation and channel; among `payments` (the review's
    filtered set) or all of them. Paid means settled, as in payment_review_totals. The premium kinds
    are counted together, and apart in by_kind."""
    payments = Payment.objects.all() if payments is None else payments
    settled = payments.filter(year=year, status=PaymentStatus.SETTLED).order_by()

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
        "by_kind": grouped("kind"),
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
