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
