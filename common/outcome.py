"""Asking again under the same Idempotency-Key when a connection is lost mid-call.

A connection lost while a money call ran leaves this side not knowing whether it committed. Every such
call is idempotent by its key, so asking again on a new connection tells: a call that committed is
replayed, one that did not is made now. Only when the database stays away is the outcome unknown, and
the caller answers so (503, retry with the same key).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, connection

from common.db_errors import is_transient_database_error, outcome_is_unknown
from common.errors import ApplicationError

# Pauses (seconds) before each new ask: about two seconds in all, within a client's patience and
# long enough for a restarting server or a failed-over proxy.
OUTCOME_RECHECK_PAUSES = (0.2, 0.5, 1.0)

logger = logging.getLogger(__name__)

T = TypeVar("T")


def ask_until_known(
    call: Callable[[], T],
    *,
    what: str,
    unknown: Callable[[], ApplicationError],
    pauses: tuple[float, ...] | None = None,
) -> T:
    """Runs `call` (idempotent by its key), asking again after a transient database error. Raises
    `unknown()` if a try may have committed and no later one could tell; the last error if the
    database was out of reach or rolled back each time (nothing moved)."""
    if connection.in_atomic_block:
        # Inside the caller's (a test's) transaction: a lost connection has lost that too.
        return call()
    maybe_committed = False
    failure: DatabaseError | None = None
    for pause in (0.0, *(OUTCOME_RECHECK_PAUSES if pauses is None else pauses)):
        if pause:  # even sleep(0) gives up the GIL, and the first ask would wait to get it back
            time.sleep(pause)
        try:
            connection.ensure_connection()  # nothing is sent before this succeeds
        except DatabaseError as exc:
            if not is_transient_database_error(exc):
                raise
            failure = exc
            continue
        try:
            return call()
        except DatabaseError as exc:
            if not is_transient_database_error(exc):
                raise
            failure, maybe_committed = exc, maybe_committed or outcome_is_unknown(exc)
            logger.warning("%s: %s; asking again with the same key", what, exc)
            connection.close_if_unusable_or_obsolete()
    if maybe_committed:
        raise unknown() from failure
    assert failure is not None  # noqa: S101 - the loop ran and every try failed
    raise failure
