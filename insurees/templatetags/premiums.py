"""{% load premiums %}{{ row.kind|premium_kind }}: 长期护理保险, or Long-term-care insurance in English."""

from __future__ import annotations

from django import template

from insurees.models import PremiumKind

register = template.Library()


@register.filter
def premium_kind(code: object) -> str:
    """A premium kind's name; an unknown code as it is, rather than nothing."""
    return str(PremiumKind(code).label) if code in PremiumKind.values else str(code)
