"""The notices a refund writes, to both sides, in the refund's transaction. (A payment's notices are
written by payments_settle itself, in pay.sql, with the same facts.)"""

from __future__ import annotations

from notices.models import NoticeKind, NoticeLink
from notices.services import NoticeDraft, notices_send
from payments.models import Payment


def refund_notices_send(*, payment: Payment, balance_after_fen: int) -> list[int]:
    """The authorizer hears his account was credited, with its balance; the relative, that the
    premium is refunded and this payment covers him no more."""
    authorizer, beneficiary = payment.authorizer.person, payment.beneficiary.person
    shared = {
        "payment_id": payment.pk,
        "year": payment.year,
        "amount_fen": payment.amount_fen,
        "relation": payment.relation,
        "channel": payment.channel,
        "reason": payment.refund_reason,
        "kind": payment.kind,
    }
    return notices_send(
        drafts=[
            NoticeDraft(
                person_id=authorizer.pk,
                kind=NoticeKind.REFUND,
                facts={
                    **shared,
                    "reader_is_authorizer": True,
                    "relative_name": beneficiary.name,
                    "balance_after_fen": balance_after_fen,
                },
                link_kind=NoticeLink.PAYMENT,
                link_id=payment.pk,
            ),
            NoticeDraft(
                person_id=beneficiary.pk,
                kind=NoticeKind.PREMIUM_REFUNDED,
                facts={**shared, "reader_is_authorizer": False, "relative_name": authorizer.name},
                link_kind=NoticeLink.PAYMENT,
                link_id=payment.pk,
            ),
        ]
    )
