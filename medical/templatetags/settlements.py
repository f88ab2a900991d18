"""How a settlement stands, in words and a colour, for every page that lists one."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common.money import format_yuan
from medical.models import Settlement, SettlementStatus

register = template.Library()


@dataclass(frozen=True)
class SettlementState:
    tone: str  # the .status class: ok, warn or bad
    label: str


@register.simple_tag
def settlement_state(settlement: Settlement) -> SettlementState:
    if settlement.status == SettlementStatus.REVERSED:
        return SettlementState("bad", _("Reversed"))
    if settlement.refunded_fen and settlement.refunded_fen >= settlement.paid_fen:
        return SettlementState("warn", _("Refunded"))
    if settlement.refunded_fen:
        return SettlementState(
            "warn", _("¥%(amount)s refunded") % {"amount": format_yuan(settlement.refunded_fen)}
        )
    return SettlementState("ok", pgettext("settlement status", "Paid"))
