"""The outbox: hands committed payments' sync work to Celery, at least once, never lost.

A payment writes its outbox row in its own transaction. After commit its sync task is published at
once, with no database work on the payment's request; the task closes the row when it has synced.
Rows still open after a grace period (the broker was down, the process died after the commit) are
published again by the periodic relay. A sync may so run twice; it is idempotent.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from payments.models import OutboxMessage

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
# How long a row published straight after its commit may stay open before the relay publishes it again.
RELAY_GRACE = datetime.timedelta(seconds=30)


def outbox_relay(*, limit: int = BATCH_SIZE, grace: datetime.timedelta | None = None) -> int:
    """Publishes open rows (older than `grace`, if given); rows claimed by another relay are skipped,
    not waited for."""
    from payments.tasks import enrollment_sync_task

    published = 0
    pending = OutboxMessage.objects.filter(dispatched_at__isnull=True)
    if grace is not None:
        pending = pending.filter(created_at__lt=timezone.now() - grace)
    with transaction.atomic():
        rows = list(pending.order_by("pk").select_for_update(skip_locked=True)[:limit])
        for row in rows:
            try:
                enrollment_sync_task.apply_async(args=[row.payment_id], retry=False)
            except Exception as exc:  # the broker is down: keep the row for the next round
                OutboxMessage.objects.filter(pk=row.pk).update(
                    attempts=row.attempts + 1, last_error=str(exc)[:500]
                )
                logger.warning("outbox relay: broker unavailable, %d row(s) wait", len(rows) - published)
                break
            row.dispatched_at = timezone.now()
            published += 1
        OutboxMessage.objects.bulk_update([r for r in rows if r.dispatched_at], ["dispatched_at"])
    return published


def outbox_publish_after_commit(*, payment_ids: list[int]) -> None:
    """Publishes the payments' sync tasks; a broker that is down leaves the rows to the relay."""
    from payments.tasks import enrollment_sync_task

    for payment_id in payment_ids:
        try:
            enrollment_sync_task.apply_async(args=[payment_id], retry=False)
        except Exception:
            logger.warning("outbox: broker unavailable after commit; the periodic relay will publish")
            return


def outbox_mark_dispatched(*, payment_id: int, at: datetime.datetime) -> None:
    OutboxMessage.objects.filter(payment_id=payment_id, dispatched_at__isnull=True).update(dispatched_at=at)
