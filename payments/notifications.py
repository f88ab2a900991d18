"""The words of the notices about payments, refunds and unpaid premiums, to both sides.

The facts are written with the change (pay.sql for a payment, payments.services for a refund and a
reminder); the words come at reading time, in the reader's language (notices.rendering). A notice
names the reader's relative in full: the authorizer typed that name himself, and a relative must be
able to tell his payers apart.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from common.money import format_yuan
from insurees.models import PremiumKind
from mutual_aid.notices import relation_words
from notices.models import NoticeKind
from payments.models import PaymentChannel, RefundReason


def _words(facts: Mapping[str, Any]) -> dict[str, Any]:
    words = {
        "relation": relation_words(
            relation=facts["relation"], reader_is_authorizer=facts["reader_is_authorizer"]
        ),
        "name": facts["relative_name"],
        "year": facts["year"],
        "amount": format_yuan(facts["amount_fen"]),
    }
    if "balance_after_fen" in facts:
        words["balance"] = format_yuan(facts["balance_after_fen"])
    if facts.get("reason"):
        words["reason"] = RefundReason(facts["reason"]).label
    return words


def _long_term_care(facts: Mapping[str, Any]) -> bool:
    # Facts written before there were kinds name none: those were resident premiums.
    return facts.get("kind") == PremiumKind.LONG_TERM_CARE


def debit_text(facts: Mapping[str, Any]) -> str:
    """To the authorizer whose personal account paid."""
    words = _words(facts)
    channel = facts.get("channel")
    if _long_term_care(facts):
        return _ltc_debit_text(channel, words)
    if channel == PaymentChannel.SELF:
        return (
            _(
                "Your %(relation)s %(name)s paid their %(year)s resident premium of %(amount)s yuan from "
                "your personal account (the bound account with the highest balance pays). "
                "Available balance left: %(balance)s yuan."
            )
            % words
        )
    if channel == PaymentChannel.COUNTER:
        return (
            _(
                "At the service counter, your personal account paid %(amount)s yuan for the %(year)s "
                "resident premium of your %(relation)s %(name)s. Available balance left: %(balance)s yuan."
            )
            % words
        )
    return (
        _(
            "Your personal account paid %(amount)s yuan for the %(year)s resident premium of your "
            "%(relation)s %(name)s. Available balance left: %(balance)s yuan."
        )
        % words
    )


def _ltc_debit_text(channel: object, words: dict[str, Any]) -> str:
    if channel == PaymentChannel.SELF:
        return (
            _(
                "Your %(relation)s %(name)s paid their %(year)s long-term-care insurance premium of "
                "%(amount)s yuan from your personal account (the bound account with the highest balance "
                "pays). Available balance left: %(balance)s yuan."
            )
            % words
        )
    if channel == PaymentChannel.COUNTER:
        return (
            _(
                "At the service counter, your personal account paid %(amount)s yuan for the %(year)s "
                "long-term-care insurance premium of your %(relation)s %(name)s. Available balance left: "
                "%(balance)s yuan."
            )
            % words
        )
    return (
        _(
            "Your personal account paid %(amount)s yuan for the %(year)s long-term-care insurance premium "
            "of your %(relation)s %(name)s. Available balance left: %(balance)s yuan."
        )
        % words
    )


def premium_paid_text(facts: Mapping[str, Any]) -> str:
    """To the relative whose premium was paid."""
    words = _words(facts)
    channel = facts.get("channel")
    if _long_term_care(facts):
        return _ltc_premium_paid_text(channel, words)
    if channel == PaymentChannel.SELF:
        return (
            _(
                "You paid your %(year)s resident premium of %(amount)s yuan from the personal account of "
                "your %(relation)s %(name)s."
            )
            % words
        )
    if channel == PaymentChannel.COUNTER:
        return (
            _(
                "At the service counter, your %(year)s resident premium of %(amount)s yuan was paid from "
                "the personal account of your %(relation)s %(name)s."
            )
            % words
        )
    return (
        _(
            "Your %(year)s resident premium of %(amount)s yuan was paid from the personal account of your "
            "%(relation)s %(name)s."
        )
        % words
    )


def _ltc_premium_paid_text(channel: object, words: dict[str, Any]) -> str:
    if channel == PaymentChannel.SELF:
        return (
            _(
                "You paid your %(year)s long-term-care insurance premium of %(amount)s yuan from the "
                "personal account of your %(relation)s %(name)s."
            )
            % words
        )
    if channel == PaymentChannel.COUNTER:
        return (
            _(
                "At the service counter, your %(year)s long-term-care insurance premium of %(amount)s yuan "
                "was paid from the personal account of your %(relation)s %(name)s."
            )
            % words
        )
    return (
        _(
            "Your %(year)s long-term-care insurance premium of %(amount)s yuan was paid from the personal "
            "account of your %(relation)s %(name)s."
        )
        % words
    )


def refund_text(facts: Mapping[str, Any]) -> str:
    """To the authorizer whose account the refund credits."""
    if _long_term_care(facts):
        return _(
            "The %(amount)s yuan your personal account paid for the %(year)s long-term-care insurance "
            "premium of your %(relation)s %(name)s was refunded to it. Reason: %(reason)s. Available "
            "balance: %(balance)s yuan."
        ) % _words(facts)
    return _(
        "The %(amount)s yuan your personal account paid for the %(year)s resident premium of your "
        "%(relation)s %(name)s was refunded to it. Reason: %(reason)s. Available balance: %(balance)s yuan."
    ) % _words(facts)


def premium_refunded_text(facts: Mapping[str, Any]) -> str:
    """To the relative whose cover the refund takes away."""
    if _long_term_care(facts):
        return _(
            "Your %(year)s long-term-care insurance premium of %(amount)s yuan, paid from the personal "
            "account of your %(relation)s %(name)s, was refunded to that account. Reason: %(reason)s. "
            "This payment no longer covers you for long-term care in %(year)s until it is paid again."
        ) % _words(facts)
    return _(
        "Your %(year)s resident premium of %(amount)s yuan, paid from the personal account of your "
        "%(relation)s %(name)s, was refunded to that account. Reason: %(reason)s. This payment no "
        "longer covers you: unless your %(year)s premium has been paid another way, you are not "
        "covered for %(year)s until it is paid again."
    ) % _words(facts)


def premium_reminder_text(facts: Mapping[str, Any]) -> str:
    """To an authorizer whose bound relatives' premiums are unpaid as a collection period closes."""
    relatives = ""
    for relative in facts["relatives"]:
        item = _("%(name)s (your %(relation)s)") % {
            "name": relative["name"],
            "relation": relation_words(relation=relative["relation"], reader_is_authorizer=True),
        }
        relatives = _("%(list)s, %(item)s") % {"list": relatives, "item": item} if relatives else item
    return _(
        "Reminder: the %(year)s resident premium is not paid yet for %(relatives)s. The collection "
        "period ends on %(deadline)s; pay before then to keep them covered."
    ) % {
        "year": facts["year"],
        "relatives": relatives,
        "deadline": date_format(datetime.date.fromisoformat(facts["deadline"]), "DATE_FORMAT"),
    }


RENDERERS = {
    NoticeKind.DEBIT: debit_text,
    NoticeKind.PREMIUM_PAID: premium_paid_text,
    NoticeKind.REFUND: refund_text,
    NoticeKind.PREMIUM_REFUNDED: premium_refunded_text,
    NoticeKind.PREMIUM_REMINDER: premium_reminder_text,
}
