"""What allowances move in the authorizer's personal account, for his expenditure records (支出记录):
the hold when an allowance is set or raised, what comes back when it is lowered or released or its
binding ends, and a settlement's reversal or refund paid into the account once the allowance is gone.

Each line is the account's own ledger entry, so it says exactly what moved; a reversal or refund that
went back into a live allowance's hold never touched the account and is not a line."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TypeVar

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from insurees.models import Person
from ledger.selectors import entry_list_for_transactions
from medical.models import Allowance, AllowanceChange, Settlement, SettlementRefund

T = TypeVar("T")


class MovementKind(models.TextChoices):
    HOLD = "allowance_hold", _("Held for an allowance")
    RELEASE = "allowance_release", _("Back from an allowance")
    RETURN = "settlement_return", _("Back from a settlement")


@dataclass(frozen=True)
class AllowanceMovement:
    kind: MovementKind
    at: datetime.datetime
    amount_fen: int  # what the personal account moved: negative for a hold
    allowance: Allowance  # with its beneficiary's person
    settlement: Settlement | None = None  # a return's, with its institution

    @property
    def kind_label(self) -> str:
        return str(self.kind.label)

    @property
    def moved_fen(self) -> int:
        return abs(self.amount_fen)


def allowance_movements_for_authorizer(
    *, person: Person, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> list[AllowanceMovement]:
    """The movements of the person's personal account his allowances made, newest first, within the
    days given (local dates, both included)."""
    within = _days(date_from, date_to)
    changes = _allowance_related(
        AllowanceChange.objects.filter(
            allowance__authorizer__person=person, ledger_transaction__isnull=False, **within("created_at")
        ),
        "allowance__",
    )
    reversals = _allowance_related(
        Settlement.objects.filter(
            authorizer__person=person, reversal_transaction__isnull=False, **within("reversed_at")
        ).select_related("institution"),
        "allowance__",
    )
    refunds = _allowance_related(
        SettlementRefund.objects.filter(
            settlement__authorizer__person=person, to_allowance=False, **within("created_at")
        ).select_related("settlement__institution"),
        "settlement__allowance__",
    )
    # {ledger transaction: (when, the allowance, the settlement of a return)}; each query above asks
    # for rows with a transaction and a time.
    sources: dict[int, tuple[datetime.datetime, Allowance, Settlement | None]] = {
        **{_given(c.ledger_transaction_id): (c.created_at, c.allowance, None) for c in changes},
        **{_given(s.reversal_transaction_id): (_given(s.reversed_at), s.allowance, s) for s in reversals},
        **{r.ledger_transaction_id: (r.created_at, r.settlement.allowance, r.settlement) for r in refunds},
    }
    accounts = {_given(allowance.authorizer.account_id) for _at, allowance, _settlement in sources.values()}
    lines = []
    for entry in entry_list_for_transactions(transaction_ids=sources).filter(account_id__in=accounts):
        at, allowance, settlement = sources[entry.transaction_id]
        if settlement is not None:
            kind = MovementKind.RETURN
        else:
            kind = MovementKind.HOLD if entry.amount_fen < 0 else MovementKind.RELEASE
        lines.append(AllowanceMovement(kind, at, entry.amount_fen, allowance, settlement))
    return sorted(lines, key=lambda line: line.at, reverse=True)


def _given(value: T | None) -> T:
    if value is None:
        raise ValueError("a row the query asked to have it has none")
    return value


def _allowance_related(queryset: QuerySet, path: str) -> QuerySet:
    return queryset.select_related(f"{path}beneficiary__person", f"{path}authorizer")


def _days(date_from: datetime.date | None, date_to: datetime.date | None):
    def within(field: str) -> dict[str, datetime.date]:
        bounds = {}
        if date_from is not None:
            bounds[f"{field}__date__gte"] = date_from
        if date_to is not None:
            bounds[f"{field}__date__lte"] = date_to
        return bounds

    return within
