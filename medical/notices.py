"""The words of the notices about allowances and what they pay at institutions, to both sides of the
binding.

The facts are written with the change (medical/migrations/sql/allowances.sql, settlements.sql); the
words come at reading time, in the reader's language (notices.rendering), naming the reader's relative
in full and the relation from the reader's side, as the payment and binding notices do. A settlement's
notice names the institution, the category and the amount, never what was bought.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from common.money import format_yuan
from medical.models import Category
from mutual_aid.notices import relation_words
from notices.models import NoticeKind


def _words(facts: Mapping[str, Any]) -> dict[str, str]:
    return {
        "relation": relation_words(
            relation=facts["relation"], reader_is_authorizer=facts["reader_is_authorizer"]
        ),
        "name": facts["relative_name"],
        "before": format_yuan(facts["amount_before_fen"]),
        "after": format_yuan(facts["amount_after_fen"]),
        "released": format_yuan(facts.get("released_fen", 0)),
    }


def allowance_set_text(facts: Mapping[str, Any]) -> str:
    words = _words(facts)
    if facts["reader_is_authorizer"]:
        if facts["amount_before_fen"] == 0:
            return (
                _(
                    "You set an allowance of %(after)s yuan for your %(relation)s %(name)s: it is held in "
                    "your personal account for their medical costs."
                )
                % words
            )
        return (
            _("You changed the allowance for your %(relation)s %(name)s from %(before)s to %(after)s yuan.")
            % words
        )
    if facts["amount_before_fen"] == 0:
        return (
            _(
                "Your %(relation)s %(name)s set an allowance of %(after)s yuan for you from their personal "
                "account: you can use it for your medical costs at designated hospitals and pharmacies."
            )
            % words
        )
    return _("Your %(relation)s %(name)s changed your allowance from %(before)s to %(after)s yuan.") % words


def allowance_released_text(facts: Mapping[str, Any]) -> str:
    words = _words(facts)
    ended = facts.get("reason") == "binding_ended"
    if facts["reader_is_authorizer"]:
        if ended:
            return (
                _(
                    "Your mutual-aid binding with your %(relation)s %(name)s has ended, so their allowance "
                    "was released: %(released)s yuan is back in your personal account."
                )
                % words
            )
        return (
            _(
                "You released the allowance for your %(relation)s %(name)s: %(released)s yuan is back in "
                "your personal account."
            )
            % words
        )
    if ended:
        return (
            _(
                "Your mutual-aid binding with your %(relation)s %(name)s has ended, so the allowance from "
                "them was released and can no longer be used."
            )
            % words
        )
    return _("Your %(relation)s %(name)s released your allowance; it can no longer be used.") % words


def _settlement_words(facts: Mapping[str, Any]) -> dict[str, str]:
    return {
        "relation": relation_words(
            relation=facts["relation"], reader_is_authorizer=facts["reader_is_authorizer"]
        ),
        "name": facts["relative_name"],
        "institution": facts["institution_name"],
        "category": str(Category(facts["category"]).label),
        "amount": format_yuan(facts["amount_fen"]),
        "remaining": format_yuan(facts["remaining_fen"]),
        "cash": format_yuan(facts.get("cash_due_fen", 0)),
    }


def settlement_paid_text(facts: Mapping[str, Any]) -> str:
    words = _settlement_words(facts)
    if facts["reader_is_authorizer"]:
        return (
            _(
                "The allowance for your %(relation)s %(name)s paid %(amount)s yuan at %(institution)s "
                "(%(category)s); %(remaining)s yuan of it is left."
            )
            % words
        )
    text = (
        _(
            "You paid %(amount)s yuan at %(institution)s (%(category)s) from the allowance from your "
            "%(relation)s %(name)s; %(remaining)s yuan of it is left."
        )
        % words
    )
    if facts.get("cash_due_fen"):
        text = _sentences(text, _("%(cash)s yuan of the bill was left to pay in cash.") % words)
    return text


def _sentences(*sentences: str) -> str:
    """Sentences one after the other: with a space between them, but in Chinese."""
    return ("" if (get_language() or "").startswith("zh") else " ").join(sentences)


def _returned_where(facts: Mapping[str, Any], words: Mapping[str, str]) -> str:
    if facts["to_allowance"]:
        return _("It is back in the allowance, which has %(remaining)s yuan left.") % words
    if facts["reader_is_authorizer"]:
        return _("The allowance has been released, so it is back in your personal account.")
    return (
        _(
            "The allowance has been released, so it went back to the personal account of your "
            "%(relation)s %(name)s."
        )
        % words
    )


def settlement_reversed_text(facts: Mapping[str, Any]) -> str:
    words = _settlement_words(facts)
    if facts["reader_is_authorizer"]:
        head = (
            _(
                "%(institution)s cancelled the payment of %(amount)s yuan (%(category)s) from the allowance "
                "for your %(relation)s %(name)s."
            )
            % words
        )
    else:
        head = (
            _(
                "%(institution)s cancelled your payment of %(amount)s yuan (%(category)s) from the allowance "
                "from your %(relation)s %(name)s."
            )
            % words
        )
    return _sentences(head, _returned_where(facts, words))


def settlement_refunded_text(facts: Mapping[str, Any]) -> str:
    words = _settlement_words(facts)
    if facts["reader_is_authorizer"]:
        head = (
            _(
                "%(institution)s refunded %(amount)s yuan of a payment (%(category)s) from the allowance for "
                "your %(relation)s %(name)s."
            )
            % words
        )
    else:
        head = (
            _(
                "%(institution)s refunded %(amount)s yuan of your payment (%(category)s) from the allowance "
                "from your %(relation)s %(name)s."
            )
            % words
        )
    return _sentences(head, _returned_where(facts, words))


RENDERERS = {
    NoticeKind.ALLOWANCE_SET: allowance_set_text,
    NoticeKind.ALLOWANCE_RELEASED: allowance_released_text,
    NoticeKind.SETTLEMENT_PAID: settlement_paid_text,
    NoticeKind.SETTLEMENT_REVERSED: settlement_reversed_text,
    NoticeKind.SETTLEMENT_REFUNDED: settlement_refunded_text,
}
