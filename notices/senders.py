"""Delivering notices outside the portal. A notice always stays in the portal (the row is the notice);
each sender named in settings.NOTICE_SENDERS delivers it through one channel more.

An SMS gateway is one class more with the same `send` (see docs/ARCHITECTURE.md, "Notices").
"""

from __future__ import annotations

from functools import cache
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.module_loading import import_string

from notices.models import Notice
from notices.rendering import notice_subject, notice_text


class Sender(Protocol):
    def send(self, *, notice: Notice) -> None:
        """Delivers the notice (its person loaded) through this channel, or does nothing for a person
        it cannot reach; raises if delivery failed, and the notice is tried again later."""


class EmailSender:
    """The notice by email, in the portal's default language, to a person who gave an address."""

    def send(self, *, notice: Notice) -> None:
        address = notice.person.email
        if not address:
            return
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = notice_subject(notice), notice_text(notice)
        send_mail(subject, body, None, [address])


def notice_senders() -> list[Sender]:
    return _senders(tuple(settings.NOTICE_SENDERS))


@cache
def _senders(paths: tuple[str, ...]) -> list[Sender]:
    return [import_string(path)() for path in paths]
