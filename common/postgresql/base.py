"""Django's PostgreSQL backend, with a health check that costs no round trip.

With CONN_HEALTH_CHECKS, Django asks a reused connection `SELECT 1` before the first query of every
request: a round trip to the server per request, on the hot paths as well. An idle connection has
nothing to read, though: the server speaks unasked only to say it is going away (a restart, a
terminated backend, a pooler shutting down), and then closes the socket. So the connection is
judged by its state and by whether its socket has anything to read, without asking the server.
A server that vanished without a word is caught neither way until a query fails, as before.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import ConnStatus, TransactionStatus

_BETWEEN_QUERIES = (TransactionStatus.IDLE, TransactionStatus.INTRANS)


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        pgconn = connection.pgconn
        # As `SELECT 1` would fail in a failed transaction or beside a query still running.
        if pgconn.status != ConnStatus.OK or pgconn.transaction_status not in _BETWEEN_QUERIES:
            return False
        return not _has_something_to_read(pgconn.socket)


def _has_something_to_read(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
