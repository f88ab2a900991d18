"""Paying premiums from personal accounts: the payments app's door for writes.

One service per use case: an authorizer pays for bound relatives, a relative pays his own premium,
staff refund, the worker syncs enrollments. A payment and a sync each run as one call of a server-side
function (payments/migrations/sql/), which takes every lock in the one global order.
"""

from payments.services.actor import Actor
from payments.services.premiums import payment_create_for_self, payments_create_for_relatives
from payments.services.refunds import payment_refund
from payments.services.sync import SYNC_BATCH, enrollments_sync_pending, payment_sync_enrollment

__all__ = [
    "SYNC_BATCH",
    "Actor",
    "enrollments_sync_pending",
    "payment_create_for_self",
    "payment_refund",
    "payment_sync_enrollment",
    "payments_create_for_relatives",
]
