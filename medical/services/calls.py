"""One call of a medical SQL function, with its refusals raised as ApplicationErrors.

A function is the whole change, so on its own its one statement commits it (autocommit): no locks
held while Python builds the answer. In a caller's (a test's) transaction a savepoint keeps a refusal
from spoiling it. A refusal is SQLSTATE GJ001 with the code as message and its facts as detail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import DatabaseError, connection

from common.errors import ApplicationError
from medical import errors

REFUSED = "GJ001"
LOCK_NOT_AVAILABLE = "55P03"
# How long a retry waits for its twin (the first request with the same key) before it answers
# idempotency_in_flight.
IDEMPOTENCY_WAIT_MS = 5_000
LOCK_WAIT = f"{IDEMPOTENCY_WAIT_MS}ms"

Refusals = Mapping[str, Callable[[str], ApplicationError]]


def function_call(sql: str, params: list[Any], *, refusals: Refusals) -> tuple:
    """Runs `sql` (one SELECT of a function returning one row) and returns the row."""
    savepoint = connection.savepoint() if connection.in_atomic_block else None
    with connection.cursor() as cursor:
        try:
            cursor.execute(sql, params)
        except DatabaseError as exc:
            if savepoint is not None:
                connection.savepoint_rollback(savepoint)
            refusal = refusal_from(exc, refusals)
            if refusal is None:
                raise  # not a refusal: the error handlers judge it by its cause, kept intact
            raise refusal from None
        row = cursor.fetchone()
    if savepoint is not None:
        connection.savepoint_commit(savepoint)
    return row


def refusal_from(exc: DatabaseError, refusals: Refusals) -> ApplicationError | None:
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate == LOCK_NOT_AVAILABLE:
        return errors.idempotency_in_flight()
    diag = getattr(cause, "diag", None)
    if sqlstate == REFUSED and diag is not None:
        refusal = refusals.get(diag.message_primary or "")
        if refusal is not None:
            return refusal(diag.message_detail or "")
    return None
