"""A TCP proxy in front of the test database, to lose a connection at a chosen moment: after the
server has committed a statement but before its answer reaches the client, or by refusing new
connections for a while, as a network or a restarting server would."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

from django.db import connection

# ReadyForQuery: the server sends it after the implicit transaction of a statement has committed.
READY_FOR_QUERY = b"Z\x00\x00\x00\x05"
# The statement of a payment (payments/services/premiums.py), as it goes over the wire.
PAY_CALL = b"FROM payments_pay("
# The statement of a settlement at an institution (medical/services/settlements.py).
SETTLE_CALL = b"FROM medical_settle("


class PostgresProxy:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.refusing = threading.Event()
        self._marker: bytes | None = None
        self._lock = threading.Lock()
        self.dropped = threading.Event()
        # Set: once it has dropped a connection, the proxy refuses new ones (the database stays away).
        self.stay_away = False
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def drop_after_commit_of(self, marker: bytes) -> None:
        """The next statement whose text holds `marker` runs and commits; its answer is withheld and
        the connection closed, so the client knows only that the connection was lost."""
        with self._lock:
            self._marker = marker
            self.dropped.clear()

    def close(self) -> None:
        self.listener.close()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing.is_set():
                client.close()
                continue
            server = _connect(*self.target)
            self._sockets += [client, server]
            armed = threading.Event()
            threading.Thread(target=self._upstream, args=(client, server, armed), daemon=True).start()
            threading.Thread(target=self._downstream, args=(server, client, armed), daemon=True).start()

    def _upstream(self, client: socket.socket, server: socket.socket, armed: threading.Event) -> None:
        while data := _recv(client):
            with self._lock:
                if self._marker is not None and self._marker in data:
                    self._marker = None
                    armed.set()
            if not _send(server, data):
                break
        _close(client, server)

    def _downstream(self, server: socket.socket, client: socket.socket, armed: threading.Event) -> None:
        withheld = b""
        while data := _recv(server):
            if armed.is_set():
                withheld += data
                if READY_FOR_QUERY in withheld:
                    if self.stay_away:
                        self.refusing.set()
                    self.dropped.set()
                    break
                continue
            if not _send(client, data):
                break
        _close(client, server)


def _connect(host: str, port: int) -> socket.socket:
    """To the server as Django would reach it: a unix socket directory (the embedded server) or TCP."""
    if host.startswith("/"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(f"{host}/.s.PGSQL.{port}")
        return sock
    return socket.create_connection((host, port))


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
    except OSError:
        return False
    return True


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()


@contextlib.contextmanager
def database_through_proxy() -> Iterator[PostgresProxy]:
    """Every new connection of this process to the test database goes through a proxy."""
    settings = connection.settings_dict
    saved = settings["HOST"], settings["PORT"]
    others = _other_backends()
    proxy = PostgresProxy(settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))
    connection.close()
    settings["HOST"], settings["PORT"] = "127.0.0.1", proxy.port
    try:
        yield proxy
    finally:
        proxy.refusing.clear()
        connection.close()
        settings["HOST"], settings["PORT"] = saved
        proxy.close()
        # The server notices the closed sockets on its own time: wait, so that the test database
        # can be dropped after the test.
        deadline = time.monotonic() + 10
        while _other_backends() > others and time.monotonic() < deadline:
            time.sleep(0.05)
        connection.close()


def _other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]
