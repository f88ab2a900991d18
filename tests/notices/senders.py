"""Senders for the tests, plugged in through settings.NOTICE_SENDERS as a real gateway would be."""

from __future__ import annotations

import threading
import time
from typing import ClassVar

from notices.models import Notice


class RecordingSender:
    """Records each notice sent, and to whom (an SMS gateway stand-in: it reaches a phone)."""

    sent: ClassVar[list[tuple[int, str]]] = []
    lock = threading.Lock()

    def send(self, *, notice: Notice) -> None:
        if not notice.person.phone:
            return
        with self.lock:
            self.sent.append((notice.pk, notice.person.phone))


class SlowRecordingSender(RecordingSender):
    def send(self, *, notice: Notice) -> None:
        time.sleep(0.5)
        super().send(notice=notice)


class FailingSender:
    def send(self, *, notice: Notice) -> None:
        raise ConnectionError("the gateway is down")


class LockProbingSender(RecordingSender):
    """While it sends, asks from a connection of its own for its notice's row: a relay holding it
    locked would make that fail at once (NOWAIT). Records what it found."""

    unlocked: ClassVar[list[bool]] = []

    def send(self, *, notice: Notice) -> None:
        import psycopg
        from django.db import connection

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=False) as other:
            try:
                other.execute("SELECT 1 FROM notices_notice WHERE id = %s FOR UPDATE NOWAIT", [notice.pk])
                self.unlocked.append(True)
            except psycopg.errors.LockNotAvailable:
                self.unlocked.append(False)
        super().send(notice=notice)


class RelayKilled(BaseException):
    """The relay's process ending mid-round (a TERM, a kill): not an error a sender reports."""


class DyingSender(RecordingSender):
    """Sends two notices, then the process dies."""

    def send(self, *, notice: Notice) -> None:
        if len(self.sent) == 2:
            raise RelayKilled
        super().send(notice=notice)
