"""The outbox's consuming side, run by the worker and the relay: drains open rows, restarts drains."""

from __future__ import annotations

import datetime
import logging
import time

from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from payments.models import OutboxMessage
from payments.outbox import DRAIN_FLAG, DRAIN_FLAG_TTL, DRAIN_PAUSE
from payments.services import SYNC_BATCH, enrollments_sync_pending
from payments.tasks import enrollment_sync_drain_task

logger = logging.getLogger(__name__)


def outbox_drain(*, pause: float = DRAIN_PAUSE) -> int:
    """Syncs open rows in batches until none is left, then lets the next payment start a new drain.

    The flag goes before the last look: a row committed after that look finds no flag and starts a
    drain of its own. Returns the number of payments synced.
    """
    synced = 0
    try:
        while True:
            cache.set(DRAIN_FLAG, 1, DRAIN_FLAG_TTL)
            batch = enrollments_sync_pending(limit=SYNC_BATCH)
            synced += batch
            if batch == SYNC_BATCH:
                continue
            if batch and pause:
                time.sleep(pause)
                continue
            cache.delete(DRAIN_FLAG)
            if not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists():
                return synced
            if not cache.add(DRAIN_FLAG, 1, DRAIN_FLAG_TTL):
                return synced  # a new drain has started
            if pause:
                time.sleep(pause)  # the rows left are another drain's, still in its transaction
    except BaseException:
        cache.delete(DRAIN_FLAG)
        raise


def outbox_relay(*, grace: datetime.timedelta | None = None) -> int:
    """Starts a drain if rows (older than `grace`, if given) are open, whether or not a drain is
    flagged as running; returns the number of such rows, or 0 if the broker is down."""
    pending = OutboxMessage.objects.filter(dispatched_at__isnull=True)
    if grace is not None:
        pending = pending.filter(created_at__lt=timezone.now() - grace)
    waiting = pending.count()
    if not waiting:
        return 0
    try:
        enrollment_sync_drain_task.apply_async(retry=False)
    except Exception as exc:  # the broker is down: the rows wait for the next round
        pending.update(attempts=F("attempts") + 1, last_error=str(exc)[:500])
        logger.warning("outbox relay: broker unavailable, %d row(s) wait", waiting)
        return 0
    return waiting
