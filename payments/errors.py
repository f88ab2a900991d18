"""The refusals of paying, each with its code from API.md."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from common.money import format_yuan
from insurees.models import PremiumKind


def already_paid(year: int, *, kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL) -> ApplicationError:
    if kind == PremiumKind.LONG_TERM_CARE:
        message = _("The long-term-care insurance premium for %(year)s has already been paid.")
    else:
        message = _("The resident premium for %(year)s has already been paid.")
    return ApplicationError("already_paid", message % {"year": year}, "year")


def invalid_kind() -> ApplicationError:
    return ApplicationError(
        "invalid_input", _("Choose a premium kind: resident_medical or long_term_care."), field="kind"
    )


def outside_collection_period(year: int, start: object, end: object) -> ApplicationError:
    return ApplicationError(
        "outside_collection_period",
        _("The premium for %(year)s can be paid only from %(start)s to %(end)s.")
        % {"year": year, "start": start, "end": end},
        field="year",
    )


def insufficient_balance(amount_fen: int) -> ApplicationError:
    return ApplicationError(
        "insufficient_balance",
        _("The personal account balance cannot cover the whole premium of %(amount)s yuan; nothing was paid.")
        % {"amount": format_yuan(amount_fen)},
    )


def no_authorizer_can_pay(amount_fen: int) -> ApplicationError:
    return ApplicationError(
        "insufficient_balance",
        _(
            "None of the personal accounts bound to you can cover the whole premium of %(amount)s yuan; "
            "nothing was paid."
        )
        % {"amount": format_yuan(amount_fen)},
    )


def amount_changed(shown_fen: int, now_fen: int) -> ApplicationError:
    """The payment would move other amounts than the check page showed (a rate changed since)."""
    if shown_fen == now_fen:
        message = _(
            "The amounts of the premiums have changed since you checked them, though the total is still "
            "¥%(now)s. Nothing was paid: check the new amounts and confirm again."
        )
    else:
        message = _(
            "The amount to pay has changed since you checked it, from ¥%(shown)s to ¥%(now)s. Nothing was "
            "paid: check the new amount and confirm again."
        )
    return ApplicationError(
        "payment_changed", message % {"shown": format_yuan(shown_fen), "now": format_yuan(now_fen)}
    )


def payer_changed(shown: str | None = None, now: str | None = None) -> ApplicationError:
    """A payment by the self-payment rule would be paid from another account than the check page showed
    (balances changed since); named when the caller knows both."""
    if shown is None or now is None:
        return ApplicationError(
            "payment_changed",
            _(
                "The account that would pay has changed since you checked it. Nothing was paid: check "
                "whose account pays now and confirm again."
            ),
        )
    return ApplicationError(
        "payment_changed",
        _(
            "The account that would pay has changed since you checked it, from %(shown)s to %(now)s. "
            "Nothing was paid: check it and confirm again."
        )
        % {"shown": shown, "now": now},
    )


def idempotency_conflict() -> ApplicationError:
    return ApplicationError(
        "idempotency_conflict",
        _("This Idempotency-Key was already used for a different request."),
        field="Idempotency-Key",
    )


def refund_not_allowed(message: str | Promise) -> ApplicationError:
    return ApplicationError("refund_not_allowed", message)


def invalid_year() -> ApplicationError:
    return ApplicationError("invalid_input", _("Please choose a valid year."), field="year")


def idempotency_in_flight() -> ApplicationError:
    return ApplicationError(
        "idempotency_in_flight",
        _("The first request with this Idempotency-Key is still being processed; please retry shortly."),
        field="Idempotency-Key",
    )


def relatives_not_distinct() -> ApplicationError:
    return ApplicationError("invalid_input", _("Choose each relative once."), field="beneficiary_id_numbers")


def payment_outcome_unknown() -> ApplicationError:
    return ApplicationError(
        "service_unavailable",
        _(
            "The connection to the database was lost while the payment was being made, so whether it "
            "was made is not known yet. Retry with the same Idempotency-Key: a payment already made is "
            "returned, never made twice."
        ),
    )
