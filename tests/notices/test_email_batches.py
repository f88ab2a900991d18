"""The relay's email through a real mail server (aiosmtpd on loopback, Django's SMTP backend): a
batch's messages share one connection; a message the server refuses costs the next one a new
connection, not the batch; a connection the server closed between two messages is opened again for
the second; a server that cannot be reached fails the rest of the batch at once; and every notice is
delivered on a later try."""

import asyncio
import datetime
import logging
import socket

import pytest
from aiosmtpd.controller import Controller
from django.db.models import F

from notices.models import Notice, NoticeKind
from notices.services import notice_send, notices_deliver_pending
from tests.factories import PersonFactory

FACTS = {"year": 2027, "deadline": "2026-12-31", "relatives": [{"name": "张国强", "relation": "parent"}]}


class MailServer:
    """What the server saw: each message's recipient and the connection (client port) it came on,
    those it refused apart."""

    def __init__(self) -> None:
        self.messages: list[tuple[int, str]] = []
        self.refused: list[tuple[int, str]] = []
        self.refuse_next = 0
        self.hang_up_after_next = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = (session.peer[1], envelope.rcpt_tos[0])
        if self.refuse_next:
            self.refuse_next -= 1
            self.refused.append(message)
            return "554 Transaction failed"
        self.messages.append(message)
        if self.hang_up_after_next:
            # As a server closing an idle or a used-up connection: after its answer, before the next.
            self.hang_up_after_next -= 1
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 OK"

    def connections(self) -> int:
        return len({port for port, _to in self.messages})


@pytest.fixture
def closed_port():
    """A port of ours that nobody listens on (bound, not listening: a connection is refused), until
    the test hands it to its mail server."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    yield holder
    holder.close()


@pytest.fixture
def smtp(settings, closed_port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port.getsockname()[1]
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.NOTICE_SENDERS = ["notices.senders.EmailSender"]
    return settings


def serve(port_holder: socket.socket) -> tuple[MailServer, Controller]:
    port = port_holder.getsockname()[1]
    port_holder.close()
    handler = MailServer()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return handler, controller


@pytest.fixture
def server(smtp, closed_port):
    handler, controller = serve(closed_port)
    yield handler
    controller.stop()


def notices_for(count: int) -> list[int]:
    people = [PersonFactory(email=f"p{n}@example.cn") for n in range(count)]
    return [
        notice_send(person_id=person.pk, kind=NoticeKind.PREMIUM_REMINDER, facts=FACTS) for person in people
    ]


def due_again() -> None:
    Notice.objects.update(next_try_at=F("next_try_at") - datetime.timedelta(days=1))


def test_a_batchs_messages_share_one_connection(db, server):
    notices_for(7)

    assert notices_deliver_pending(batch=4) == 7

    assert sorted(to for _port, to in server.messages) == sorted(f"p{n}@example.cn" for n in range(7))
    assert server.connections() == 2  # one a batch: 4, then 3


def test_a_refused_message_is_tried_again_and_the_rest_of_its_batch_goes_out(db, server):
    ids = notices_for(5)
    server.refuse_next = 1  # the first message of the batch

    assert notices_deliver_pending(batch=5) == 4
    assert list(Notice.objects.filter(delivered_at__isnull=True).values_list("pk", flat=True)) == ids[:1]
    [(refused_on, _to)] = server.refused
    assert server.connections() == 1  # the next four on one connection,
    assert server.messages[0][0] != refused_on  # not the refused one's: it was closed

    due_again()
    assert notices_deliver_pending(batch=5) == 1
    assert len(server.messages) == 5


def test_a_connection_the_server_closed_between_two_messages_is_opened_again(db, server):
    notices_for(3)
    server.hang_up_after_next = 1

    assert notices_deliver_pending(batch=3) == 3

    ports = [port for port, _to in server.messages]
    assert ports[0] != ports[1] == ports[2]
    assert not Notice.objects.filter(delivered_at__isnull=True).exists()


def test_an_unreachable_server_fails_the_rest_of_the_batch_at_once_and_loses_nothing(
    db, smtp, closed_port, caplog
):
    ids = notices_for(3)

    with caplog.at_level(logging.ERROR, logger="notices.services"):
        assert notices_deliver_pending(batch=3) == 0

    failures = [record.exc_info[1] for record in caplog.records if record.exc_info]
    assert isinstance(failures[0], ConnectionRefusedError)
    assert [
        str(error).startswith("the mail server could not be reached in this batch") for error in failures[1:]
    ] == [
        True,
        True,
    ]
    assert set(Notice.objects.values_list("delivery_attempts", flat=True)) == {1}

    handler, controller = serve(closed_port)
    try:
        due_again()
        assert notices_deliver_pending(batch=3) == 3
    finally:
        controller.stop()
    assert handler.connections() == 1
    assert not Notice.objects.filter(pk__in=ids, delivered_at__isnull=True).exists()
