"""Which database errors are the database being away for a moment, and so worth a retry."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

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
