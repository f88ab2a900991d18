"""`/healthz` and `/readyz` (issue 17): what the load balancer and the supervisor ask each process."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client

from common.health import BROKER_TIMEOUT, check_database
from config.celery import app as celery_app
from tests.conftest import point_broker


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port bound by this test but not listening: a connection to it is refused at once, and
    no other process can start listening on it meanwhile."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    yield holder.getsockname()[1]
    holder.close()


@pytest.fixture
def broker_at(settings):
    """Points this process's Celery at a broker address and publishes there instead of in-process."""
    eager, url = celery_app.conf.task_always_eager, celery_app.conf.broker_url

    def point(broker_url: str) -> None:
        settings.CELERY_TASK_ALWAYS_EAGER = False
        celery_app.conf.task_always_eager = False
        point_broker(celery_app, broker_url)

    yield point
    celery_app.conf.task_always_eager = eager
    point_broker(celery_app, url)


def test_healthz_answers_without_touching_the_database():
    # No `db` fixture: pytest-django makes any database access here an error.
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_the_probes_answer_get_and_head_only(db):
    client = Client()
    assert client.head("/healthz").status_code == 200
    assert client.head("/readyz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_readyz_is_ready_with_the_database_and_in_process_tasks(db):
    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": {"ok": True, "detail": "ok"}, "broker": {"ok": True, "detail": "eager"}},
    }


def test_the_probes_need_no_sign_in_and_no_https_redirect(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # built after the change: its SecurityMiddleware reads the new setting

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/").status_code == 301  # the control: everything else goes to HTTPS
    settings.SECURE_SSL_REDIRECT = False
    assert Client().get("/").status_code == 302  # and the home page wants a sign-in


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_readyz_answers_503_naming_the_broker_when_it_is_unreachable(db, broker_at, closed_port, scheme):
    broker_at(f"{scheme}://127.0.0.1:{closed_port}/")

    started = time.monotonic()
    response = Client().get("/readyz")
    seconds = time.monotonic() - started

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": True, "detail": "ok"}
    assert body["checks"]["broker"]["ok"] is False
    assert str(closed_port) not in response.content.decode()  # no addresses to an anonymous caller
    assert seconds < BROKER_TIMEOUT + 1  # one try, not kombu's retries with their pauses


@pytest.mark.broker
def test_readyz_is_ready_with_the_real_broker(db, broker_at, settings):
    broker_at(settings.REDIS_URL)

    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == {"ok": True, "detail": "ok"}


def test_the_database_check_fails_quickly_on_a_database_that_is_not_there(db, closed_port, caplog):
    unreachable = DatabaseWrapper({**connection.settings_dict, "HOST": "127.0.0.1", "PORT": closed_port})
    assert check_database().ok  # the real one answers, and the fault log starts healthy

    with caplog.at_level(logging.WARNING, logger="common.db_errors"):
        started = time.monotonic()
        checks = [check_database(unreachable) for _ in range(5)]
        seconds = time.monotonic() - started
        assert check_database().ok
    unreachable.close()

    assert [(check.ok, check.detail) for check in checks] == [(False, "OperationalError")] * 5
    assert seconds < 5
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2, messages  # when it went, when it came back: not five times
    assert messages[0].startswith("database unavailable: OperationalError")
    assert messages[1].startswith("database available again after")
    assert "(5 failed call(s))" in messages[1]
