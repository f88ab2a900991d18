"""The words of the notices about allowances, to both sides of the binding.

The facts are written with the change (medical/migrations/sql/allowances.sql); the words come at
reading time, in the reader's language (notices.rendering), naming the reader's relative in full and
the relation from the reader's side, as the payment and binding notices do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from common.money import format_yuan
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


RENDERERS = {
    NoticeKind.ALLOWANCE_SET: allowance_set_text,
    NoticeKind.ALLOWANCE_RELEASED: allowance_released_text,
}
