"""The enrollment sync, run by the worker: one call of payments_sync_enrollments
(payments/migrations/sql/sync.sql) per batch, idempotent, ordered against refunds by the same locks."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

# How many payments one sync transaction takes at most.
SYNC_BATCH = 500


@transaction.atomic
def payment_sync_enrollment(*, payment_id: int) -> bool:
    """Marks the beneficiary's enrollment paid by this payment; safe to run any number of times (a
    refunded payment marks nothing). Returns whether this run changed the enrollment."""
    synced = _sync(payment_ids=[payment_id], limit=1)
    return bool(synced) and synced[0][2]


@transaction.atomic
def enrollments_sync_pending(*, limit: int = SYNC_BATCH) -> int:
    """Syncs up to `limit` payments whose outbox rows are open, in one transaction; rows another sync
    holds are skipped, not waited for. Returns how many payments were synced."""
    return len(_sync(payment_ids=None, limit=limit))


def _sync(*, payment_ids: list[int] | None, limit: int) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM payments_sync_enrollments(%s, %s, %s)", [payment_ids, limit, timezone.now()]
        )
        synced = cursor.fetchall()
    _log_synced(synced)
    return synced


def _log_synced(synced: Sequence[tuple]) -> None:
    if logger.isEnabledFor(logging.INFO):
        # The sync lag, from the payment's commit to its enrollment, is measured in this line.
        for payment_id, status, changed, lag in synced:
            logger.info(
                "enrollment sync: payment=%s status=%s changed=%s lag=%.3fs", payment_id, status, changed, lag
            )
