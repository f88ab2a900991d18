"""The outbox: hands committed payments' sync work to Celery, at least once, never lost.

A payment writes its outbox row in its own transaction: the open rows are the queue of syncs to do,
kept in the database, so nothing is lost with the broker or a worker. After the commit the payment
only makes sure a drain is running: a drain task syncs open rows in batches (payments/services/sync.py)
until none is left. One cache flag, added atomically, marks a drain as running, so a payment made
while one runs publishes nothing and its row joins the next batch; the flag expires if its drain dies.
Rows still open after a grace period (the broker was down, a drain died) make the periodic relay
start another drain. A sync may so run twice; it is idempotent.
"""

from __future__ import annotations

import datetime
import logging
import time

from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from payments.models import OutboxMessage

logger = logging.getLogger(__name__)

# How long a row published straight after its commit may stay open before the relay publishes it again.
RELAY_GRACE = datetime.timedelta(seconds=30)
DRAIN_FLAG = "payments:enrollment-sync:drain"
# A running drain renews its flag every batch; a dead one's flag is gone after this many seconds.
DRAIN_FLAG_TTL = 5
# A drain that found fewer rows than a batch waits this long for more before looking again: under
# load, payments then share batches (and tasks) instead of each starting its own.
DRAIN_PAUSE = 0.05


def outbox_publish_after_commit(*, payment_ids: list[int]) -> None:
    """After a payment's commit: starts a drain unless one is running. A broker that is down leaves
    the rows to the relay."""
    from payments.tasks import enrollment_sync_drain_task

    try:
        if cache.add(DRAIN_FLAG, 1, DRAIN_FLAG_TTL):
            try:
                enrollment_sync_drain_task.apply_async(retry=False)
            except Exception:
                cache.delete(DRAIN_FLAG)
                raise
    except Exception:
        logger.warning("outbox: broker unavailable after commit; the periodic relay will publish")


def outbox_drain(*, pause: float = DRAIN_PAUSE) -> int:
    """Syncs open rows in batches until none is left, then lets the next payment start a new drain.

    The flag goes before the last look: a row committed after that look finds no flag and starts a
    drain of its own. Returns the number of payments synced.
    """
    from payments.services import SYNC_BATCH, enrollments_sync_pending

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
    from payments.tasks import enrollment_sync_drain_task

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
