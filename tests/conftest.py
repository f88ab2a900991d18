"""Fixtures shared by every test: markers that need real services, a real Celery worker, clients."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from config.databases import database_url

ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config, items):
    skip_broker = pytest.mark.skip(reason="needs Redis and a Celery worker: set REDIS_URL (as .ci/run does)")
    for item in items:
        if "broker" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_broker)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def _database_url() -> str:
    return database_url(connection.settings_dict)


class CeleryWorker:
    """A real `celery worker` process on the test database and the real Redis broker."""

    def __init__(
        self, broker_url: str | None = None, extra_env: dict[str, str] | None = None, pool: str = "solo"
    ) -> None:
        self.broker_url = broker_url or settings.REDIS_URL
        self.extra_env = extra_env or {}
        # solo: one task at a time in the main process; "prefork" is production's (README), two children.
        self.pool_args = ["--pool=solo"] if pool == "solo" else [f"--pool={pool}", "--concurrency=2"]
        self.process: subprocess.Popen | None = None
        self.log_path = ROOT / "test-artifacts" / "celery-worker.log"

    def start(self, wait: bool = True) -> None:
        """Starts the worker; with `wait`, returns once it answers a ping (a solo worker busy with a
        task cannot answer, so a test that blocks its first task starts it without waiting)."""
        self.log_path.parent.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": self.broker_url,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            **self.extra_env,
        }
        hostname = f"test-{os.getpid()}@%h"
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                *self.pool_args,
                "-l",
                "info",
                "-n",
                hostname,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
        )
        if wait and not self.wait_idle():
            raise RuntimeError(f"celery worker did not answer within 60 s; see {self.log_path}")

    def wait_idle(self, seconds: float = 60) -> bool:
        """Whether the worker answered a ping within `seconds`: a solo worker answers only between
        tasks, so a drain it runs has returned."""
        from config.celery import app

        assert self.process is not None  # noqa: S101 - started first
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited; see {self.log_path}")
            with app.connection_for_write(self.broker_url) as broker:
                replies = app.control.ping(timeout=1.0, connection=broker) or []
            if any(f"test-{os.getpid()}@" in name for reply in replies for name in reply):
                return True
        return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """SIGKILL, as a crashed machine would: no chance to ack or clean up."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None


@pytest.fixture
def celery_broker(settings):
    """Publish to the real Redis broker instead of running tasks in-process."""
    from config.celery import app

    previous = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    point_broker(app, settings.REDIS_URL)
    yield app
    # A test may have pointed the publisher at a broker of its own that is gone by now.
    point_broker(app, settings.REDIS_URL)
    app.conf.task_always_eager = previous


def raw_connection(*, autocommit: bool):
    """A psycopg connection of its own to the test database, outside Django: a second client that
    can hold locks, or watch pg_stat_activity (with autocommit, so each query sees the present)."""
    import psycopg
    from django.db import connection

    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"] or "postgres",
        dbname=db["NAME"],
        autocommit=autocommit,
    )


def point_broker(app, url: str) -> None:
    """Points the publisher, control commands included, at a broker address (kombu keeps one
    producer pool per address)."""
    app.conf.broker_url = url
    # Celery 5.6 keeps reading broker_url from the settings it was configured from (namespaced);
    # the read and write addresses, once set, come first.
    app.conf.broker_read_url = url
    app.conf.broker_write_url = url
    app._pool = None
    app.amqp._producer_pool = None
    app.control.mailbox.__dict__.pop("producer_pool", None)  # a cached property


@pytest.fixture
def celery_worker_process(transactional_db, celery_broker):
    """A real worker for the duration of one test; tests may kill and restart it."""
    celery_broker.control.purge()
    worker = CeleryWorker()
    worker.start()
    yield worker
    worker.stop()
