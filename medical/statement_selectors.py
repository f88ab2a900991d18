"""The institutions' daily statements (对账): what we count for a day, per institution or for all.

A day's settlements are counted by their business day; a reversal is made the same day (the
database holds that), so the day's reversed ones are part of its settlements; a refund counts on
the day it was made, whichever day its settlement was. Every sum reads an index only
(settlement_institution_day, settlement_reversed_day, refund_institution_day).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Sum

from medical.models import Institution, Settlement, SettlementRefund, SettlementStatus, StatementConfirmation


@dataclass(frozen=True)
class Totals:
    count: int = 0
    amount_fen: int = 0


@dataclass(frozen=True)
class Statement:
    """`settled`: the day's settlements that stand; `reversed`: those reversed; `refunded`: the day's
    refunds; `net`: what the day owes the institution, settled less refunded."""

    institution: Institution
    date: datetime.date
    settled: Totals
    reversed: Totals
    refunded: Totals

    @property
    def net_fen(self) -> int:
        return self.settled.amount_fen - self.refunded.amount_fen


@dataclass(frozen=True)
class Difference:
    field: str  # "count" or "amount"
    ours: int
    theirs: int


@dataclass(frozen=True)
class AuditedStatement:
    statement: Statement
    confirmation: StatementConfirmation | None
    differences: list[Difference] = field(default_factory=list)

    @property
    def state(self) -> str:
        """ "mismatched", "unconfirmed" or "matched", against our figures as they are now."""
        if self.confirmation is None:
            return "unconfirmed"
        return "mismatched" if self.differences else "matched"


def statement_differences(*, statement: Statement, count: int, amount_fen: int) -> list[Difference]:
    """Where the institution's own totals for the day (its standing settlements and the net) differ
    from ours."""
    found = []
    if count != statement.settled.count:
        found.append(Difference("count", statement.settled.count, count))
    if amount_fen != statement.net_fen:
        found.append(Difference("amount", statement.net_fen, amount_fen))
    return found


def confirmation_differences(*, confirmation: StatementConfirmation) -> list[Difference]:
    """Where the confirmation's totals differed from ours when it was made: its answer."""
    found = []
    if confirmation.their_count != confirmation.our_count:
        found.append(Difference("count", confirmation.our_count, confirmation.their_count))
    if confirmation.their_amount_fen != confirmation.our_amount_fen:
        found.append(Difference("amount", confirmation.our_amount_fen, confirmation.their_amount_fen))
    return found


def statement_get(*, institution: Institution, date: datetime.date) -> Statement:
    [statement] = _statements(institutions=[institution], date=date)
    return statement


def institution_statement_list(*, date: datetime.date) -> list[AuditedStatement]:
    """Every institution's statement of the day with its confirmation: mismatches first, then the
    unconfirmed, then the matched; within each, by institution code."""
    institutions = list(Institution.objects.order_by("code"))
    confirmations = {
        confirmation.institution_id: confirmation
        # The day's latest confirmation of each institution (DISTINCT ON, read by confirmation_latest).
        for confirmation in StatementConfirmation.objects.filter(date=date)
        .order_by("institution_id", "-confirmed_at", "-pk")
        .distinct("institution_id")
    }
    audited = []
    for statement in _statements(institutions=institutions, date=date):
        confirmation = confirmations.get(statement.institution.pk)
        differences = (
            statement_differences(
                statement=statement,
                count=confirmation.their_count,
                amount_fen=confirmation.their_amount_fen,
            )
            if confirmation
            else []
        )
        audited.append(AuditedStatement(statement, confirmation, differences))
    order = {"mismatched": 0, "unconfirmed": 1, "matched": 2}
    return sorted(audited, key=lambda item: order[item.state])  # stable: code order within each


def _statements(*, institutions: Iterable[Institution], date: datetime.date) -> list[Statement]:
    institutions = list(institutions)
    ids = [institution.pk for institution in institutions]
    made = _by_institution(Settlement.objects.filter(institution_id__in=ids, business_date=date), "paid_fen")
    reversed_ = _by_institution(
        Settlement.objects.filter(institution_id__in=ids, reversed_on=date, status=SettlementStatus.REVERSED),
        "paid_fen",
    )
    refunded = _by_institution(
        SettlementRefund.objects.filter(institution_id__in=ids, business_date=date), "amount_fen"
    )
    statements = []
    for institution in institutions:
        all_made = made.get(institution.pk, Totals())
        gone = reversed_.get(institution.pk, Totals())
        statements.append(
            Statement(
                institution=institution,
                date=date,
                settled=Totals(all_made.count - gone.count, all_made.amount_fen - gone.amount_fen),
                reversed=gone,
                refunded=refunded.get(institution.pk, Totals()),
            )
        )
    return statements


def _by_institution(queryset, amount_field: str) -> dict[int, Totals]:
    rows = queryset.values("institution_id").annotate(count=Count("*"), amount=Sum(amount_field)).order_by()
    return {row["institution_id"]: Totals(row["count"], row["amount"] or 0) for row in rows}
