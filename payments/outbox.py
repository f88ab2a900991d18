"""The outbox relay: hands committed payments' sync work to Celery, at least once, never lost.

A payment writes its outbox row in its own transaction. After commit the relay tries to publish
at once; if the broker is down the row waits, and the periodic relay publishes it later.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from payments.models import OutboxMessage

logger = logging.getLogger(__name__)

BATCH_SIZE = 200


def outbox_relay(*, limit: int = BATCH_SIZE) -> int:
    """Publishes pending rows; rows claimed by another relay are skipped, not waited for."""
    from payments.tasks import enrollment_sync_task

    published = 0
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.filter(dispatched_at__isnull=True)
            .order_by("pk")
            .select_for_update(skip_locked=True)[:limit]
        )
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


def outbox_relay_after_commit() -> None:
    try:
        outbox_relay()
    except Exception:
        logger.exception("outbox relay failed after commit; the periodic relay will retry")
