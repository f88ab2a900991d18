"""Faults with real processes: a Redis server that dies and comes back, a worker killed mid-task."""

import shutil
import socket
import subprocess

import pytest

from insurees.models import Enrollment
from payments.models import OutboxMessage, Payment
from payments.outbox.consumer import outbox_relay
from tests.conftest import CeleryWorker, point_broker, raw_connection
from tests.factories import BindingFactory
from tests.payments.test_sync_with_worker import pay, wait_until

pytestmark = pytest.mark.broker


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A private Redis of the test's own, so stopping it disturbs nothing else on the machine."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        assert wait_until(self._answers, seconds=10)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def kill(self):
        self.process.kill()
        self.process.wait()


@pytest.fixture
def private_redis():
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    server = RedisServer()
    server.start()
    yield server
    if server.process.poll() is None:
        server.kill()


def test_redis_down_during_payments_loses_nothing_and_syncs_each_once(
    transactional_db, celery_broker, private_redis, rate, year
):
    point_broker(celery_broker, private_redis.url)
    worker = CeleryWorker(broker_url=private_redis.url)
    worker.start()
    try:
        bindings = [BindingFactory() for _ in range(4)]
        first = pay(bindings[0], year, "up")
        assert wait_until(lambda: Payment.objects.get(pk=first.pk).enrollment_synced)
        # Its drain has returned: one still looping (it pauses and looks again) would sync the payments
        # made while the broker is down, from the database.
        assert worker.wait_idle()

        private_redis.kill()
        while_down = [pay(binding, year, f"down-{i}") for i, binding in enumerate(bindings[1:])]
        assert Payment.objects.filter(status="settled").count() == 4
        assert OutboxMessage.objects.filter(dispatched_at__isnull=True).count() == 3

        private_redis.start()
        point_broker(celery_broker, private_redis.url)
        assert wait_until(
            lambda: (
                outbox_relay() >= 0 and not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()
            )
        )
        assert wait_until(lambda: Enrollment.objects.filter(paid=True).count() == 4, seconds=60)
        synced = sorted(Enrollment.objects.filter(paid=True).values_list("payment_id", flat=True))
        assert synced == sorted(p.pk for p in [first, *while_down])
    finally:
        worker.stop()


def test_a_worker_killed_mid_task_is_replaced_and_the_sync_happens_once(
    transactional_db, celery_broker, rate, year
):
    celery_broker.control.purge()
    binding = BindingFactory()
    payment = pay(binding, year, "kill")  # published; no worker is consuming yet
    blocker, watcher = raw_connection(autocommit=False), raw_connection(autocommit=True)
    worker = CeleryWorker(extra_env={"CELERY_VISIBILITY_TIMEOUT": "3"})
    try:
        # Hold the enrollment's row lock, so the worker's task stops inside its transaction.
        blocker.execute(
            "SELECT 1 FROM insurees_enrollment WHERE insuree_id = %s FOR UPDATE", [binding.beneficiary_id]
        )
        worker.start(wait=False)

        def task_is_waiting():
            # A fresh statement on an autocommit connection: inside a transaction pg_stat_activity
            # is a snapshot taken once and would never show the worker arriving.
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            ).fetchone()
            return row[0] > 0

        assert wait_until(task_is_waiting, seconds=30)
        worker.kill()
    finally:
        worker.kill()
        blocker.rollback()
        blocker.close()
        watcher.close()

    assert not Payment.objects.get(pk=payment.pk).enrollment_synced
    replacement = CeleryWorker(extra_env={"CELERY_VISIBILITY_TIMEOUT": "3"})
    replacement.start()
    try:
        assert wait_until(lambda: Payment.objects.get(pk=payment.pk).enrollment_synced, seconds=60)
        enrollment = Enrollment.objects.get(insuree=binding.beneficiary, year=year)
        assert (enrollment.paid, enrollment.payment_id) == (True, payment.pk)
    finally:
        replacement.stop()
