from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import cast

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from insurees.enrollment_services import enrollment_mark_unpaid, enrollments_lock
from insurees.models import PremiumKind
from ledger.selectors import account_balance_get
from ledger.services import transaction_reverse
from payments import errors
from payments.models import Payment, PaymentStatus, RefundReason
from payments.services.notices import refund_notices_send


@transaction.atomic(durable=True)
def payment_refund(
    *,
    payment: Payment,
    reason: str,
    note: str,
    operator: User,
    counter_id: str = "",
    record: Callable[[Payment], None] | None = None,
) -> Payment:
    """Credits the same personal account back and reverses the enrollment; both records stay.

    Allowed before the coverage year starts (1 January of the payment's year), once. Locks as a
    payment does: the enrollment first, then the payment, then (in the ledger) the accounts.
    """
    if reason not in RefundReason.values:
        raise ApplicationError("invalid_input", _("Choose a refund reason from the list."), field="reason")
    enrollments_lock(insuree_ids=[payment.beneficiary_id], year=payment.year, kind=PremiumKind(payment.kind))
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("authorizer__person", "beneficiary__person", "ledger_transaction")
        .get(pk=payment.pk)
    )
    if payment.status != PaymentStatus.SETTLED:
        raise errors.refund_not_allowed(_("This payment has already been refunded."))
    if timezone.localdate() >= datetime.date(payment.year, 1, 1):
        raise errors.refund_not_allowed(
            _("The coverage year %(year)s has started; the premium can no longer be refunded.")
            % {"year": payment.year}
        )
    reversal = transaction_reverse(transaction=payment.ledger_transaction, memo=f"refund {payment.reference}")
    payment.status = PaymentStatus.REFUNDED
    payment.refund_transaction = reversal
    payment.refund_reason, payment.refund_note = reason, note
    payment.refunded_at, payment.refunded_by = timezone.now(), operator
    payment.save(
        update_fields=[
            "status",
            "refund_transaction",
            "refund_reason",
            "refund_note",
            "refunded_at",
            "refunded_by",
        ]
    )
    enrollment_mark_unpaid(payment_id=payment.pk)
    refund_notices_send(
        payment=payment,
        # The payment's ledger transaction debited this account, so the authorizer has one.
        balance_after_fen=account_balance_get(account_id=cast(int, payment.authorizer.account_id)),
    )
    if record is not None:
        record(payment)
    return payment
