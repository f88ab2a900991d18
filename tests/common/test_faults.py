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
from notices.services import BROKER_DOWN_SECONDS, notice_send, notices_broker
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


def test_notices_with_redis_away_log_one_line_not_a_traceback_per_commit(
    db, settings, caplog, closed_port, django_capture_on_commit_callbacks
):
    """Redis is both the cache and the broker: the after-commit publish found the cache raising and
    Django logged each commit's traceback ("Error calling ... in on_commit()")."""
    person = PersonFactory()
    eager, url = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(person_id=person.pk, kind=NoticeKind.PREMIUM_REMINDER, facts={})  # healthy start
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
            notices_broker._last -= BROKER_DOWN_SECONDS  # the pause over: the next commit tries again
            celery_app.conf.task_always_eager = eager
            point_broker(celery_app, url)
            with django_capture_on_commit_callbacks(execute=True):
                notice_send(person_id=person.pk, kind=NoticeKind.PREMIUM_REMINDER, facts={})
    finally:
        celery_app.conf.task_always_eager = eager
        point_broker(celery_app, url)

    assert Notice.objects.count() == 7  # every notice written; the sweep delivers the five later
    assert seconds < 4  # one publish waited for the broker, not each commit
    assert [r.getMessage() for r in caplog.records if r.name == "django.db.backends.base"] == []
    lines = messages(caplog, "notices.services")
    assert len(lines) == 2, lines
    assert lines[0].startswith("notices: broker unavailable: OperationalError")
    assert lines[1].startswith("notices: broker available again after")
    assert lines[1].endswith("(1 failed call(s))")
