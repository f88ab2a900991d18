"""Allowances on other rooms' pages (the home page, a binding's page and the message of its end),
without those rooms importing medical."""

from __future__ import annotations

from django import template

from medical.models import AllowanceStatus
from medical.selectors import (
    AccountHolds,
    BindingEndRelease,
    account_holds_for,
    allowance_active_by_binding,
    allowance_active_for_binding,
    allowance_release_at_binding_end,
)

register = template.Library()


@register.simple_tag
def allowances_by_binding(bindings) -> dict:
    """{binding id: its active allowance} for the bindings shown, in one query."""
    return allowance_active_by_binding(binding_ids=[binding.pk for binding in bindings])


@register.filter
def of_binding(allowances: dict, binding):
    return allowances.get(binding.pk)


@register.simple_tag
def allowance_of_binding(binding):
    """The binding's active allowance, or None: what ending the binding would release."""
    return allowance_active_for_binding(binding_id=binding.pk)


@register.simple_tag
def allowance_released_at_end(binding) -> BindingEndRelease | None:
    """What the binding's end released of its allowance (None if it had none active then)."""
    return allowance_release_at_binding_end(binding_id=binding.pk)


@register.simple_tag
def account_figures(account) -> AccountHolds:
    """A personal account's available balance (its ledger balance), held part and total."""
    held = account_holds_for(account_ids=[account.pk]).get(account.pk, 0)
    return AccountHolds(available_fen=account.balance_fen, held_fen=held)


@register.filter
def any_remaining(allowances) -> bool:
    """Whether one of these allowances (a list, or the {binding id: allowance} of allowances_by_binding)
    is active with money left: the payment code has something to draw on."""
    items = allowances.values() if isinstance(allowances, dict) else allowances
    return any(a.status == AllowanceStatus.ACTIVE and a.remaining_fen > 0 for a in items)
