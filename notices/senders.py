"""Delivering notices outside the portal. A notice always stays in the portal (the row is the notice);
each sender named in settings.NOTICE_SENDERS delivers it through one channel more.

An SMS gateway is one class more with the same `send` (see docs/ARCHITECTURE.md, "Notices"), and a
`batch` if its sends can share something (a connection) while the relay sends a batch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import cache
from typing import Protocol

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.utils import translation
from django.utils.module_loading import import_string

from notices.models import Notice
from notices.rendering import notice_subject, notice_text

logger = logging.getLogger(__name__)


class Sender(Protocol):
    def send(self, *, notice: Notice) -> None:
        """Delivers the notice (its person loaded) through this channel, or does nothing for a person
        it cannot reach; raises if delivery failed, and the notice is tried again later."""


class EmailSender:
    """The notice by email, in the portal's default language, to a person who gave an address.

    A batch's messages go through one connection to the mail server, opened at the first of them: a
    connection a message costs (TCP, TLS and login for each) would bound the relay at a few messages a
    second. A message sent on a connection kept from an earlier one that fails (the server may have
    closed it meanwhile) is sent once more on a new connection; one that fails on a new connection
    fails. Once opening fails, the rest of the batch fails at once (its notices are tried again later)
    instead of each waiting EMAIL_TIMEOUT."""

    def __init__(self) -> None:
        self._batch = threading.local()  # one batch at a time per thread; the sender is shared

    @contextmanager
    def batch(self) -> Iterator[None]:
        outer = getattr(self._batch, "connection", None), getattr(self._batch, "unreachable", None)
        connection = self._batch.connection = get_connection()
        self._batch.unreachable = None
        try:
            yield
        finally:
            self._batch.connection, self._batch.unreachable = outer
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - the messages are sent: a failed QUIT must not undo that
                logger.warning("closing the mail server's connection failed", exc_info=True)

    def send(self, *, notice: Notice) -> None:
        address = notice.person.email
        if not address:
            return
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = notice_subject(notice), notice_text(notice)
        connection = getattr(self._batch, "connection", None)
        if connection is None:
            send_mail(subject, body, None, [address])
            return
        for attempt in range(2):
            kept = not self._opened(connection)
            try:
                send_mail(subject, body, None, [address], connection=connection)
                return
            except Exception:
                connection.close()  # it may be broken: the next message opens another
                if not kept or attempt:
                    raise

    def _opened(self, connection) -> bool:
        """Opens the batch's connection if it is not open; whether it did."""
        if self._batch.unreachable is not None:
            raise ConnectionError(
                f"the mail server could not be reached in this batch: {self._batch.unreachable}"
            )
        try:
            return bool(connection.open())  # SMTP: True when it opened one; other backends: None
        except Exception as exc:
            self._batch.unreachable = repr(exc)
            raise


@contextmanager
def notice_senders_batch(senders: list[Sender]) -> Iterator[None]:
    """While a batch is sent: what each sender's sends share, held open (nothing for most)."""
    with ExitStack() as stack:
        for sender in senders:
            batch = getattr(sender, "batch", None)
            if batch is not None:
                stack.enter_context(batch())
        yield


def notice_senders() -> list[Sender]:
    return _senders(tuple(settings.NOTICE_SENDERS))


@cache
def _senders(paths: tuple[str, ...]) -> list[Sender]:
    return [import_string(path)() for path in paths]
