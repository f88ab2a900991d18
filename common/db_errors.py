"""Which database errors are the database being away for a moment, and so worth a retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django.db import DatabaseError, InterfaceError, OperationalError, connection

if TYPE_CHECKING:
    from common.faults import FaultLog

T = TypeVar("T")

# SQLSTATE classes and codes a client may simply retry: connection failures (08), the server shutting
# down or starting (57P01-57P03), and a transaction chosen to lose a deadlock or a serialization
# conflict (40P01, 40001) — in each case PostgreSQL rolled the transaction back whole.
_RETRYABLE_CLASSES = ("08",)
_RETRYABLE_CODES = {"57P01", "57P02", "57P03", "40P01", "40001"}


def is_transient_database_error(exc: BaseException) -> bool:
    """True for a lost or refused connection, a restart, a deadlock victim; false for anything that
    a retry would only repeat (a missing table, bad SQL, a constraint), which must stay a 500."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate.startswith(_RETRYABLE_CLASSES) or sqlstate in _RETRYABLE_CODES
    module = type(cause).__module__ if cause is not None else ""
    # No SQLSTATE: the server never answered (refused, closed, timed out).
    return module.startswith("psycopg")


# Rolled back by the server, which said so: a deadlock's or a serialization conflict's loser.
_ROLLED_BACK_CODES = {"40P01", "40001"}


def outcome_is_unknown(exc: BaseException) -> bool:
    """Whether a transient error leaves it unknown to this side if the statement committed: the
    connection was lost or the server shut down mid-call, so its answer may be what was lost; a
    deadlock's or a conflict's loser was rolled back, and the server said so."""
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    return is_transient_database_error(exc) and sqlstate not in _ROLLED_BACK_CODES


def unless_database_away(call: Callable[[], T], *, fault: FaultLog) -> T | None:
    """One round of a loop that runs again and again (a relay): `call()`, or None while the database is
    away (a restart, an outage), which is no error, only logged by `fault` as it starts and as it ends.
    The broken connection is closed, so that the next round opens a new one."""
    try:
        result = call()
    except DatabaseError as exc:
        if not is_transient_database_error(exc):
            raise  # a missing table or bad SQL: waiting would not mend it
        fault.failed(exc)
        try:
            connection.close()
        except DatabaseError:
            pass  # closing a connection the server already dropped may fail too; it is gone either way
        return None
    fault.recovered()
    return result
