"""The counter's own words for refusals the clerk reads out: the applicant's account, not "your"."""

from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from common.money import format_yuan


def applicant_balance_too_low(available_fen: int) -> ApplicationError:
    return ApplicationError(
        "insufficient_balance",
        _(
            "The applicant's available balance is %(available)s yuan, less than this change sets aside; "
            "nothing was held."
        )
        % {"available": format_yuan(available_fen)},
        field="amount",
    )


def binding_no_longer_active() -> ApplicationError:
    return ApplicationError(
        "binding_not_found",
        _("This binding is no longer active, so its allowance was not changed. Nothing moved."),
    )


def applicant_accounts_cannot_pay(amount_fen: int) -> ApplicationError:
    """payments.errors.no_authorizer_can_pay as the clerk reads it out: the accounts bound to the
    applicant, not "to you"; its code is the same."""
    return ApplicationError(
        "insufficient_balance",
        _(
            "None of the personal accounts bound to the applicant can cover the whole premium of "
            "%(amount)s yuan; nothing was paid."
        )
        % {"amount": format_yuan(amount_fen)},
    )
