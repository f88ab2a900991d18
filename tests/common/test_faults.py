"""A fault is logged once when it starts and once when it ends, not per call (issue 17: a 20 s Redis
outage at 33 requests a second wrote 1,232 tracebacks)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

from common.faults import FaultLog
from config.celery import app as celery_app
from notices.models import Notice, NoticeKind
from notices.services import notice_send, notices_deliver_pending
from tests.conftest import point_broker
from tests.factories import PersonFactory
from tests.staff.conftest import staff_user

logger = logging.getLogger("gongji.test.faults")


@pytest.fixture
def closed_port() -> Iterator[int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    yield holder.getsockname()[1]
    holder.close()


def messages(caplog, name: str) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == name]


def test_many_failures_log_one_line_with_the_traceback_and_the_recovery_one_more(caplog):
    fault = FaultLog("ledger printer", logger)

    with caplog.at_level(logging.WARNING, logger=logger.name):
        assert fault.recovered() is False  # healthy: nothing to say
        for attempt in range(100):
            try:
                raise ConnectionError(f"refused #{attempt}")
            except ConnectionError as exc:
                fault.failed(exc)
        assert fault.failing
        assert fault.recovered() is True
        assert fault.recovered() is False

    records = caplog.records
    assert len(records) == 2
    assert records[0].getMessage() == "ledger printer unavailable: ConnectionError: refused #0"
    assert records[0].exc_info is not None
    assert records[0].exc_info[1].args == ("refused #0",)
    assert records[1].getMessage().startswith("ledger printer available again after ")
    assert records[1].getMessage().endswith(" s (100 failed call(s))")
    assert records[1].exc_info is None


def test_a_second_outage_is_logged_again(caplog):
    fault = FaultLog("ledger printer", logger)

    with caplog.at_level(logging.WARNING, logger=logger.name):
        for _ in range(2):
            fault.failed(OSError("down"))
            fault.failed(OSError("down"))
            fault.recovered()

    assert len(caplog.records) == 4


def test_threads_failing_at_once_log_the_start_once(caplog):
    fault = FaultLog("ledger printer", logger)
    start = threading.Barrier(8)

    def fail() -> None:
        start.wait()
        for _ in range(200):
            fault.failed(OSError("down"))

    with caplog.at_level(logging.WARNING, logger=logger.name):
        threads = [threading.Thread(target=fail) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        fault.recovered()

    assert len(caplog.records) == 2
    assert caplog.records[1].getMessage().endswith("(1600 failed call(s))")


def test_sign_in_with_the_cache_away_logs_the_outage_once_and_its_end_once(db, settings, caplog, closed_port):
    staff_user("counter_staff", "fault-clerk")
    client = APIClient()
    answer = client.post("/api/v1/auth/token/", {"username": "fault-clerk", "password": "Gongji-test-2026"})
    assert answer.status_code == 200, answer.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}", HTTP_X_COUNTER_ID="DL-01")
    working = settings.CACHES
    assert client.get("/api/v1/me/").status_code == 200  # the sign-in cache starts healthy

    with caplog.at_level(logging.WARNING, logger="accounts.authentication"):
        settings.CACHES = {
            "default": {
                "BACKEND": "common.cache.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            }
        }
        for _ in range(30):  # each a cache read and a cache write that fail: sign-in reads the database
            assert client.get("/api/v1/me/").status_code == 200
        settings.CACHES = working
        assert client.get("/api/v1/me/").status_code == 200

    lines = messages(caplog, "accounts.authentication")
    assert len(lines) == 2, lines
    assert lines[0].startswith("sign-in cache unavailable: ConnectionError")
    assert lines[1].startswith("sign-in cache available again after")
    assert lines[1].endswith("(60 failed call(s))")


def test_commits_with_redis_and_the_broker_away_write_their_notices_without_waiting_or_logging(
    db, settings, caplog, closed_port, django_capture_on_commit_callbacks
):
    """Redis is both the cache and the broker. A commit hands nothing to either: its notices wait in
    their rows for the relay, so an outage neither slows a commit nor logs a line per commit."""
    person = PersonFactory()
    eager, url = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    redis_away = f"redis://127.0.0.1:{closed_port}/0"

    try:
        with caplog.at_level(logging.WARNING):
            settings.CACHES = {"default": {"BACKEND": "common.cache.RedisCache", "LOCATION": redis_away}}
            settings.CELERY_TASK_ALWAYS_EAGER = celery_app.conf.task_always_eager = False
            point_broker(celery_app, redis_away)
            started = time.monotonic()
            for _ in range(5):
                with django_capture_on_commit_callbacks(execute=True):
                    notice_send(person_id=person.pk, kind=NoticeKind.PREMIUM_REMINDER, facts={})
            seconds = time.monotonic() - started
    finally:
        celery_app.conf.task_always_eager = eager
        point_broker(celery_app, url)

    assert Notice.objects.filter(delivered_at__isnull=True).count() == 5
    assert seconds < 1
    assert caplog.records == []
    assert notices_deliver_pending() == 5  # the relay's next round, the broker back or not


def test_the_notices_relay_with_the_database_away_logs_its_outage_once_and_goes_on(caplog, monkeypatch):
    """Beat's round every two seconds, or relay_outbox --loop: a restart of PostgreSQL is two lines
    (as it starts and as it ends), not a traceback per round."""
    import psycopg
    from django.db import OperationalError

    from notices import services

    def away():
        raise OperationalError("connection refused") from psycopg.OperationalError("connection refused")

    with caplog.at_level(logging.WARNING, logger="notices.services"):
        monkeypatch.setattr(services, "notices_deliver_pending", away)
        assert [services.notices_deliver_round() for _ in range(10)] == [None] * 10
        monkeypatch.setattr(services, "notices_deliver_pending", lambda: 3)
        assert services.notices_deliver_round() == 3

    lines = messages(caplog, "notices.services")
    assert len(lines) == 2, lines
    assert lines[0].startswith("notices relay: database unavailable: OperationalError")
    assert lines[1].startswith("notices relay: database available again after")
