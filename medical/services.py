"""Setting, changing and releasing allowances: each change is one call of medical's SQL
(medical/migrations/sql/allowances.sql), which takes the locks, applies the rules and moves the money
as one balanced ledger transaction. A binding's end releases its allowance in the database itself
(the trigger there), whichever service ends it.

A refusal comes back as SQLSTATE GJ001 with the refusal's code and facts, and is raised here as the
ApplicationError of that code; nothing moved.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import DatabaseError, connection
from django.utils import timezone

from common.db_errors import is_transient_database_error, outcome_is_unknown
from common.errors import ApplicationError
from insurees.models import Person
from medical import errors
from medical.models import Allowance
from mutual_aid import errors as binding_errors
from notices.services import notices_deliver_after_commit

REFUSED = "GJ001"
LOCK_NOT_AVAILABLE = "55P03"
# How long a retry waits for its twin (the first request with the same key) before it answers
# idempotency_in_flight.
IDEMPOTENCY_WAIT_MS = 5_000
# A connection lost during a change leaves this side not knowing whether it committed; the same key
# asked again on a new connection tells (a change made is replayed, one not made is made now), after
# these pauses (seconds), as payments.services.premiums does.
OUTCOME_RECHECK_PAUSES = (0.2, 0.5, 1.0)

logger = logging.getLogger(__name__)

REFUSALS: dict[str, Callable[[str], ApplicationError]] = {
    "invalid_input": lambda detail: errors.invalid_amount(),
    "idempotency_conflict": lambda detail: errors.idempotency_conflict(),
    "binding_not_found": lambda detail: binding_errors.binding_not_found(),
    "allowance_not_found": lambda detail: errors.allowance_not_found(),
    "allowance_below_spent": lambda detail: errors.allowance_below_spent(int(detail)),
    "insufficient_balance": lambda detail: errors.insufficient_balance(int(detail)),
}


@dataclass(frozen=True)
class Actor:
    """Who asks: the signed-in user, owner of the idempotency key (blank: no replay)."""

    user: User
    idempotency_key: str = ""


def allowance_set(*, authorizer: Person, binding_id: int, amount_fen: int, actor: Actor) -> Allowance:
    """Sets, raises or lowers the allowance of the authorizer's active binding: the difference moves
    between his personal account and the allowance's hold, all of it or nothing."""
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool):
        raise errors.invalid_amount()
    return _asked(
        "SELECT * FROM medical_allowance_set(%s, %s, %s, %s, %s, %s, %s)",
        [binding_id, amount_fen],
        authorizer=authorizer,
        actor=actor,
    )


def allowance_release(*, authorizer: Person, binding_id: int, actor: Actor) -> Allowance:
    """Releases the allowance of the authorizer's active binding: what is unspent is back in his
    personal account at once."""
    return _asked(
        "SELECT * FROM medical_allowance_release(%s, %s, %s, %s, %s, %s)",
        [binding_id],
        authorizer=authorizer,
        actor=actor,
    )


def _asked(sql: str, args: list, *, authorizer: Person, actor: Actor) -> Allowance:
    if connection.in_atomic_block:
        # Inside the caller's (a test's) transaction: a lost connection has lost that too.
        return _ask_once(sql, args, authorizer=authorizer, actor=actor)
    unknown = False
    failure: DatabaseError | None = None
    for pause in (0.0, *OUTCOME_RECHECK_PAUSES):
        time.sleep(pause)
        try:
            connection.ensure_connection()  # nothing is sent before this succeeds
        except DatabaseError as exc:
            if not is_transient_database_error(exc):
                raise
            failure = exc
            continue
        try:
            return _ask_once(sql, args, authorizer=authorizer, actor=actor)
        except DatabaseError as exc:
            if not is_transient_database_error(exc):
                raise
            failure, unknown = exc, unknown or outcome_is_unknown(exc)
            logger.warning("allowance: %s; asking again with the same key", exc)
            connection.close_if_unusable_or_obsolete()
    if unknown:
        raise errors.allowance_outcome_unknown() from failure
    assert failure is not None  # noqa: S101 - the loop ran and every try failed
    raise failure  # the database was out of reach or rolled back each time: nothing moved


def _ask_once(sql: str, args: list, *, authorizer: Person, actor: Actor) -> Allowance:
    # The function is the whole change, so its one statement commits it (autocommit): no locks held
    # while Python builds the answer. In a caller's transaction, a savepoint keeps a refusal from
    # spoiling it.
    params = [
        actor.user.pk,
        actor.idempotency_key,
        f"{IDEMPOTENCY_WAIT_MS}ms",
        authorizer.pk,
        *args,
        timezone.now(),
    ]
    savepoint = connection.savepoint() if connection.in_atomic_block else None
    with connection.cursor() as cursor:
        try:
            cursor.execute(sql, params)
        except DatabaseError as exc:
            if savepoint is not None:
                connection.savepoint_rollback(savepoint)
            refusal = _refusal(exc)
            if refusal is None:
                raise  # not a refusal: the error handlers judge it by its cause, kept intact
            raise refusal from None
        _replayed, allowance_id, notice_ids = cursor.fetchone()
    if savepoint is not None:
        connection.savepoint_commit(savepoint)
    if notice_ids:
        notices_deliver_after_commit(notice_ids=notice_ids)
    return Allowance.objects.select_related("authorizer__person", "beneficiary__person").get(pk=allowance_id)


def _refusal(exc: DatabaseError) -> ApplicationError | None:
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate == LOCK_NOT_AVAILABLE:
        return errors.idempotency_in_flight()
    diag = getattr(cause, "diag", None)
    if sqlstate == REFUSED and diag is not None:
        refusal = REFUSALS.get(diag.message_primary or "")
        if refusal is not None:
            return refusal(diag.message_detail or "")
    return None
