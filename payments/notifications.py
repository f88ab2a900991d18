"""Telling the authorizer about each debit: in-app rows (in the payment's transaction) and email."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from common.masking import mask_name
from common.money import format_yuan
from payments.models import Notification

logger = logging.getLogger(__name__)


def notification_text(notification: Notification) -> str:
    """The message in the active language, from the facts stored with the notification."""
    payment = notification.payment
    facts = {
        "relative": mask_name(payment.beneficiary.person.name),
        "year": payment.year,
        "amount": format_yuan(payment.amount_fen),
        "balance": format_yuan(notification.balance_after_fen),
    }
    if notification.kind == Notification.Kind.REFUND:
        return (
            _(
                "%(amount)s yuan for %(relative)s's %(year)s premium was refunded to your personal account. "
                "Balance: %(balance)s yuan."
            )
            % facts
        )
    return (
        _(
            "Your personal account paid %(amount)s yuan for %(relative)s's %(year)s resident premium. "
            "Balance left: %(balance)s yuan."
        )
        % facts
    )


def notification_email_send(*, notification_id: int) -> None:
    """Runs after commit; a mail failure is logged and never undoes the payment nor reaches the payer."""
    try:
        notification = (
            Notification.objects.select_related("person", "payment__beneficiary__person")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or not notification.person.email:
            return
        with translation.override("zh-hans"):
            subject = _("Personal account debit notice")
            body = notification_text(notification)
        send_mail(subject, body, None, [notification.person.email])
    except Exception:
        logger.exception("debit notice email failed for notification %s", notification_id)
