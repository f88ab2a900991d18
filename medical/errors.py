"""The refusals of allowances, each with its code from API.md and a message a person understands."""

from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from common.money import format_yuan

# The largest allowance (¥10,000,000), so that a typo of many digits is refused rather than held.
MAX_ALLOWANCE_FEN = 1_000_000_000


def invalid_amount() -> ApplicationError:
    return ApplicationError(
        "invalid_input",
        _(
            "Enter an allowance in yuan above zero, with at most two decimals, up to 10,000,000 yuan. "
            "To stop an allowance, release it."
        ),
        field="amount",
    )


def allowance_below_spent(spent_fen: int) -> ApplicationError:
    return ApplicationError(
        "allowance_below_spent",
        _("%(spent)s yuan of this allowance is spent already: it cannot be set below that.")
        % {"spent": format_yuan(spent_fen)},
        field="amount",
    )


def insufficient_balance(available_fen: int) -> ApplicationError:
    return ApplicationError(
        "insufficient_balance",
        _(
            "Your personal account's available balance is %(available)s yuan, less than this change "
            "sets aside; nothing was held."
        )
        % {"available": format_yuan(available_fen)},
        field="amount",
    )


def allowance_not_found() -> ApplicationError:
    return ApplicationError("not_found", _("This binding has no active allowance."))


def idempotency_conflict() -> ApplicationError:
    return ApplicationError(
        "idempotency_conflict",
        _("This Idempotency-Key was already used for a different request."),
        field="Idempotency-Key",
    )


def idempotency_in_flight() -> ApplicationError:
    return ApplicationError(
        "idempotency_in_flight",
        _("The first request with this Idempotency-Key is still being processed; please retry shortly."),
        field="Idempotency-Key",
    )


def allowance_outcome_unknown() -> ApplicationError:
    return ApplicationError(
        "service_unavailable",
        _(
            "The connection to the database was lost while the allowance was being changed, so whether "
            "it changed is not known yet. Retry with the same Idempotency-Key: a change already made is "
            "returned, never made twice."
        ),
    )
