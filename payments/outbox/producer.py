"""The outbox's producing side, run by a payment after its commit: makes sure a drain is running."""

from __future__ import annotations

import logging

from django.core.cache import cache

from payments.outbox import DRAIN_FLAG, DRAIN_FLAG_TTL
from payments.tasks import enrollment_sync_drain_task

logger = logging.getLogger(__name__)


def outbox_publish_after_commit(*, payment_ids: list[int]) -> None:
    """After a payment's commit: starts a drain unless one is running. A broker that is down leaves
    the rows to the relay."""
    try:
        if cache.add(DRAIN_FLAG, 1, DRAIN_FLAG_TTL):
            try:
                enrollment_sync_drain_task.apply_async(retry=False)
            except Exception:
                cache.delete(DRAIN_FLAG)
                raise
    except Exception:
        logger.warning("outbox: broker unavailable after commit; the periodic relay will publish")
