"""Reading allowances, and the personal account's figures they make: held and available."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q, QuerySet, Sum

from insurees.models import Person
from ledger.models import Account
from medical.models import Allowance, AllowanceChange, AllowanceStatus, ChangeKind


def allowance_list_for_person(*, person: Person) -> QuerySet[Allowance]:
    """Every allowance the person is on, as authorizer or as beneficiary (released ones too, as
    history), newest first, with both sides' names."""
    return (
        Allowance.objects.filter(Q(authorizer__person=person) | Q(beneficiary__person=person))
        .select_related("authorizer__person", "beneficiary__person", "binding")
        .order_by("-created_at", "-pk")
    )


def allowance_list_for_beneficiary(*, person: Person) -> QuerySet[Allowance]:
    """The allowances set for the person (released ones too, as history), active ones first, newest
    first, with the authorizer's name and the binding (for the relation)."""
    return (
        Allowance.objects.filter(beneficiary__person=person)
        .select_related("authorizer__person", "binding__authorizer")
        .order_by("status", "-created_at", "-pk")
    )


def allowance_list_usable_by(*, person: Person) -> QuerySet[Allowance]:
    """The person's active allowances with money left, in the order a settlement picks among them (the
    most left first; ties to the oldest binding)."""
    return (
        allowance_list_for_beneficiary(person=person)
        .filter(status=AllowanceStatus.ACTIVE, spent_fen__lt=F("amount_fen"))
        .order_by(F("spent_fen") - F("amount_fen"), "binding__created_at", "binding_id")
    )


def allowance_active_by_binding(*, binding_ids: Collection[int]) -> dict[int, Allowance]:
    """{binding id: its active allowance} for these bindings, in one query."""
    return {
        allowance.binding_id: allowance
        for allowance in Allowance.objects.filter(
            binding_id__in=list(binding_ids), status=AllowanceStatus.ACTIVE
        )
    }


def allowance_active_for_binding(*, binding_id: int) -> Allowance | None:
    return allowance_active_by_binding(binding_ids=[binding_id]).get(binding_id)


@dataclass(frozen=True)
class BindingEndRelease:
    """What a binding's end did to its allowance: the allowance, and what went back to the
    authorizer's personal account (its unspent part)."""

    amount_fen: int
    released_fen: int
    released_at: datetime


def allowance_release_at_binding_end(*, binding_id: int) -> BindingEndRelease | None:
    """The allowance the binding's end released, or None when it had none active then."""
    change = (
        AllowanceChange.objects.filter(allowance__binding_id=binding_id, kind=ChangeKind.BINDING_ENDED)
        .order_by("-created_at", "-pk")
        .first()
    )
    if change is None:
        return None
    return BindingEndRelease(
        amount_fen=change.amount_before_fen,
        released_fen=change.amount_before_fen - change.amount_after_fen,
        released_at=change.created_at,
    )


@dataclass(frozen=True)
class AccountHolds:
    """A personal account's figures: what he can spend, what his allowances hold, and the two together."""

    available_fen: int
    held_fen: int

    @property
    def balance_fen(self) -> int:
        return self.available_fen + self.held_fen


def account_holds_for(*, account_ids: Collection[int]) -> dict[int, int]:
    """{personal account id: what its authorizer's active allowances hold} (the accounts holding
    nothing are left out), read from the hold accounts' balances in one query."""
    rows = (
        Allowance.objects.filter(authorizer__account_id__in=list(account_ids), status=AllowanceStatus.ACTIVE)
        .values_list("authorizer__account_id")
        .annotate(held=Sum("hold_account__balance_fen"))
    )
    return {account_id: held for account_id, held in rows}


def account_figures_for(*, account_id: int, balance_fen: int) -> AccountHolds:
    """The figures of a personal account whose ledger balance (= the available part) is balance_fen."""
    return AccountHolds(
        available_fen=balance_fen, held_fen=account_holds_for(account_ids=[account_id]).get(account_id, 0)
    )


@dataclass(frozen=True)
class AllowancePreview:
    """What setting an allowance would move, shown before it moves (the check page)."""

    allowance_before_fen: int
    allowance_after_fen: int
    available_before_fen: int
    held_before_fen: int

    @property
    def moved_fen(self) -> int:
        return self.allowance_after_fen - self.allowance_before_fen

    @property
    def available_after_fen(self) -> int:
        return self.available_before_fen - self.moved_fen

    @property
    def held_after_fen(self) -> int:
        return self.held_before_fen + self.moved_fen

    @property
    def fits(self) -> bool:
        return self.available_after_fen >= 0


def allowance_preview(*, binding, amount_fen: int) -> AllowancePreview:
    """The figures of setting the binding's allowance to amount_fen, as the accounts are now."""
    account = Account.objects.get(pk=binding.authorizer.account_id)
    current = allowance_active_for_binding(binding_id=binding.pk)
    return AllowancePreview(
        allowance_before_fen=current.amount_fen if current else 0,
        allowance_after_fen=amount_fen,
        available_before_fen=account.balance_fen,
        held_before_fen=account_holds_for(account_ids=[account.pk]).get(account.pk, 0),
    )


def allowance_for_key(*, user, key: str) -> Allowance | None:
    """The allowance the user's request under this Idempotency-Key changed, if it did."""
    change = (
        AllowanceChange.objects.filter(user=user, idempotency_key=key)
        .select_related(
            "allowance__authorizer__person", "allowance__beneficiary__person", "allowance__binding"
        )
        .first()
    )
    return change.allowance if change else None
