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


# The largest bill a settlement or a refund takes (¥1,000,000).
MAX_SETTLEMENT_FEN = 100_000_000


def invalid_settlement_amount(field: str = "amount") -> ApplicationError:
    return ApplicationError(
        "invalid_input",
        _("Enter an amount in yuan above zero, with at most two decimals, up to 1,000,000 yuan."),
        field=field,
    )


def invalid_category() -> ApplicationError:
    return ApplicationError(
        "invalid_input",
        _("The category must be outpatient, inpatient, drugs, devices or consumables."),
        field="category",
    )


def invalid_own_id(field: str) -> ApplicationError:
    return ApplicationError(
        "invalid_input", _("Give your system's own id of 1 to 64 letters, digits, '-' or '_'."), field=field
    )


def category_not_covered() -> ApplicationError:
    return ApplicationError(
        "category_not_covered",
        _("Mutual-aid allowances do not pay for wellness or public-health spending; nothing was paid."),
        field="category",
    )


def institution_not_active() -> ApplicationError:
    return ApplicationError(
        "institution_not_active",
        _("This institution is not an active designated institution, so it cannot settle with allowances."),
    )


def voucher_invalid() -> ApplicationError:
    return ApplicationError(
        "voucher_invalid",
        _(
            "This payment code is not valid: it is unknown, expired or already used. Ask the patient to "
            "refresh the code on the phone and scan the new one."
        ),
        field="voucher_code",
    )


def no_allowance() -> ApplicationError:
    return ApplicationError(
        "no_allowance",
        _("There is no mutual-aid allowance with money left for this person; nothing was paid."),
    )


def region_mismatch() -> ApplicationError:
    return ApplicationError(
        "region_mismatch",
        _("This person's allowances may not be spent at an institution in this region; nothing was paid."),
    )


class InsufficientAllowance(ApplicationError):
    """The allowance that would pay has less left than the bill, and the bill allowed no partial payment."""

    def __init__(self, remaining_fen: int) -> None:
        message = _(
            "The allowance has %(remaining)s yuan left, less than the amount; nothing was paid. Settle "
            "with allow_partial to take what is left and collect the rest in cash."
        ) % {"remaining": format_yuan(remaining_fen)}
        super().__init__("insufficient_allowance", message, field="amount")
        self.remaining_fen = remaining_fen


def insufficient_allowance(remaining_fen: int) -> InsufficientAllowance:
    return InsufficientAllowance(remaining_fen)


def insufficient_allowance_at_till_message(remaining_fen: int) -> str:
    """The same refusal as the cashier's page says it, naming its checkbox rather than the API's field."""
    return _(
        "The allowance has %(remaining)s yuan left, less than the amount; nothing was paid. To take what "
        "is left and collect the rest in cash, tick the box below and scan a new code."
    ) % {"remaining": format_yuan(remaining_fen)}


def voucher_code_missing() -> ApplicationError:
    return ApplicationError(
        "invalid_input", _("Give the 20 digits of the patient's payment code."), field="voucher_code"
    )


def settlement_not_found() -> ApplicationError:
    return ApplicationError("settlement_not_found", _("No settlement of this institution has this id."))


REVERSAL_REASONS = {
    "reversed": _("This settlement was already reversed."),
    "day": _("A settlement can be reversed only on the day it was made; refund it instead."),
    "refunded": _("Part of this settlement was refunded already, so it can no longer be reversed."),
}


def reversal_not_allowed(reason: str) -> ApplicationError:
    return ApplicationError("reversal_not_allowed", REVERSAL_REASONS.get(reason, REVERSAL_REASONS["day"]))


def refund_exceeds_settlement(left_fen: int) -> ApplicationError:
    return ApplicationError(
        "refund_exceeds_settlement",
        _("Only %(left)s yuan of this settlement is left to refund.") % {"left": format_yuan(left_fen)},
        field="amount",
    )


def settlement_outcome_unknown() -> ApplicationError:
    return ApplicationError(
        "service_unavailable",
        _(
            "The connection to the database was lost while settling, so whether it was settled is not "
            "known yet. Retry with the same settlement id and Idempotency-Key: a settlement already made "
            "is returned, never made twice."
        ),
    )


def statement_date_in_future() -> ApplicationError:
    return ApplicationError(
        "invalid_input", _("A day's statement can be confirmed from that day on."), field="date"
    )


def invalid_statement_count() -> ApplicationError:
    return ApplicationError(
        "invalid_input",
        _("Give the day's count of settlements as a whole number, zero or more."),
        field="count",
    )


def invalid_statement_amount() -> ApplicationError:
    return ApplicationError(
        "invalid_input",
        _("Give the day's net amount in yuan with at most two decimals, such as 1234.50."),
        field="amount",
    )


def invalid_date() -> ApplicationError:
    return ApplicationError("invalid_input", _("Give the date as YYYY-MM-DD."), field="date")


def invalid_body_message():
    return _("Send a JSON object.")


def invalid_allow_partial_message():
    return _("allow_partial is true or false.")


def invalid_notify_threshold() -> ApplicationError:
    return ApplicationError(
        "invalid_input",
        _(
            "Enter an amount in yuan, zero or more, with at most two decimals, up to 10,000,000 yuan. Zero "
            "means every payment is notified."
        ),
        field="notify_over",
    )


def not_a_terminal_message():
    return _("This is for the terminals of designated institutions.")
