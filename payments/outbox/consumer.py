"""The outbox's consuming side, run by the worker and the relay: drains open rows, restarts drains."""

from __future__ import annotations

import datetime
import logging
import time
from functools import partial

from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from common.db_errors import unless_database_away
from common.faults import FaultLog
from payments.models import OutboxMessage
from payments.outbox import DRAIN_FLAG, DRAIN_FLAG_TTL, DRAIN_PAUSE
from payments.services import SYNC_BATCH, enrollments_sync_pending
from payments.tasks import enrollment_sync_drain_task

logger = logging.getLogger(__name__)
# The relay runs round after round (relay_outbox --loop every NOTICE_RELAY_SECONDS, beat's task every
# OUTBOX_RELAY_SECONDS): an
# outage is logged as it starts and as it ends, not at every round.
relay_broker = FaultLog("outbox relay: broker", logger)
relay_database = FaultLog("outbox relay: database", logger)


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
        relay_broker.failed(exc)
        return 0
    relay_broker.recovered()
    return waiting


def outbox_relay_round(*, grace: datetime.timedelta | None = None) -> int | None:
    """One round of a relay that runs again and again: as outbox_relay, or None while the database
    is away (common.db_errors.unless_database_away)."""
    return unless_database_away(partial(outbox_relay, grace=grace), fault=relay_database)
