"""The worker, beat and the outbox relay survive their broker and their database going away (issue 17).

The tests run the production processes on the production settings (`config.settings.bench`, which
is production over plain HTTP): a prefork `celery worker` as the README starts it, `celery beat` and
`manage.py relay_outbox --loop`, beside a stream of payments (tests/payments/worker_load.py), and
take a server away while the worker is busy: Redis killed with -9 and started again empty; RabbitMQ
refusing the worker's connections and closing those it has (the system server, which others use,
cannot be stopped: this is the broker going away as the worker sees it); PostgreSQL (a private
cluster, as tests/test_database_restart.py runs it) stopped `-m immediate` and started again.
Afterwards the very same processes are still running, and every payment made is synced, once.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.utils import timezone

from config.celery import app
from insurees.models import Enrollment
from payments.models import Payment
from payments.tasks import enrollment_sync_task
from tests.conftest import CeleryWorker, _database_url, point_broker, raw_connection
from tests.factories import BindingFactory
from tests.payments.test_faults import RedisServer, free_port
from tests.payments.test_sync_with_worker import pay, wait_until
from tests.test_database_restart import PrivatePostgres

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]
DRAIN = "payments.tasks.enrollment_sync_drain_task"
# A world of 1,000 payments, paid one family (ten relatives) a call, a call every PACE seconds: some
# 20 s of load, so that it goes on through the outage and after it.
FAMILIES, RELATIVES, PACE = 100, 10, 0.15
OUTAGE_SECONDS = 8
SETTLE_SECONDS = 60


def worker_hostname() -> str:
    return f"test-{os.getpid()}@{socket.gethostname()}"  # as CeleryWorker names it


class RedisBroker:
    """A private Redis as broker and cache (as production has it): killed with -9, back empty."""

    kind = "redis"

    def __init__(self) -> None:
        self.server = RedisServer()
        self.server.start()
        self.url = self.cache_url = self.server.url

    def outage(self, seconds: float) -> None:
        self.server.kill()
        time.sleep(seconds)
        self.server.start()  # no persistence: every queue, unacked task and flag is gone

    def close(self) -> None:
        if self.server.process.poll() is None:
            self.server.kill()


class RabbitBroker:
    """A virtual host of the test's own on the system RabbitMQ; the cache stays on the system Redis."""

    kind = "rabbitmq"

    def __init__(self) -> None:
        self.vhost = f"gongji-workers-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.url = f"amqp://guest:guest@127.0.0.1:5672/{self.vhost}"
        self.cache_url = settings.REDIS_URL
        self._ctl("add_vhost", self.vhost)
        self._ctl("set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*")

    @staticmethod
    def _ctl(*args: str) -> None:
        subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)  # noqa: S603, S607

    def outage(self, seconds: float) -> None:
        # New connections refused and the open ones closed: the broker is gone, as the worker sees it.
        self._ctl("set_vhost_limits", "-p", self.vhost, '{"max-connections": 0}')
        self._ctl("close_all_connections", "-p", self.vhost, "issue 17 test: the broker goes away")
        time.sleep(seconds)
        self._ctl("clear_vhost_limits", "-p", self.vhost)

    def close(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._ctl("delete_vhost", self.vhost)


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request) -> Iterator[RedisBroker | RabbitBroker]:
    if request.param == "redis":
        if shutil.which("redis-server") is None:
            pytest.skip("needs redis-server")
        made: RedisBroker | RabbitBroker = RedisBroker()
    else:
        if shutil.which("rabbitmqctl") is None:
            pytest.skip("needs RabbitMQ and rabbitmqctl")
        try:
            made = RabbitBroker()
        except subprocess.SubprocessError as exc:
            pytest.skip(f"RabbitMQ refused a virtual host of our own: {exc}")
    yield made
    made.close()


@pytest.fixture(scope="module")
def postgres_cluster() -> Iterator[PrivatePostgres]:
    """A private PostgreSQL with the schema migrated once into a template database."""
    server = PrivatePostgres()
    server.init()
    server.start()
    try:
        with psycopg.connect(server.url("postgres"), autocommit=True) as admin:
            admin.execute("CREATE DATABASE gongji_template")
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
        env["DATABASE_URL"] = server.url("gongji_template")
        subprocess.run(  # noqa: S603 - a fixed command line
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        yield server
    finally:
        server.remove()


@pytest.fixture
def private_database(postgres_cluster) -> str:
    name = f"gongji_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_cluster.url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE gongji_template')
    return postgres_cluster.url(name)


class Fleet:
    """The production processes on one database and one broker, each logging to a file of its own."""

    def __init__(self, *, database_url: str, broker_url: str, cache_url: str, logs: Path) -> None:
        self.database_url = database_url
        self.broker_url = broker_url
        self.logs = logs
        logs.mkdir(parents=True, exist_ok=True)
        self.beat_cwd = logs / "beat-cwd"
        self.beat_cwd.mkdir()
        self.schedule = logs / "state" / "celerybeat-schedule"
        self.schedule.parent.mkdir()
        self.env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.bench",
            "DATABASE_URL": database_url,
            "REDIS_URL": cache_url,
            "CELERY_BROKER_URL": broker_url,
            "LOG_LEVEL": "INFO",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "CELERY_BEAT_SCHEDULE_FILENAME": str(self.schedule),
            # Beat sends its relay and the notices' relay every few seconds, so a beat that lost
            # the broker for good would show within the test.
            "OUTBOX_RELAY_SECONDS": "1",
            "NOTICE_RELAY_SECONDS": "2",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        self.worker = CeleryWorker(broker_url=broker_url, extra_env=self.env, pool="prefork")
        # Control commands (ping, inspect) go out through the app's own producer pool.
        point_broker(app, broker_url)
        self.worker.log_path = logs / "worker.log"
        self.beat: subprocess.Popen | None = None
        self.relay: subprocess.Popen | None = None

    def _spawn(self, name: str, command: list[str], cwd: Path = ROOT) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 - a fixed command line
            command,
            cwd=cwd,
            env={**os.environ, **self.env},
            stdout=(self.logs / f"{name}.log").open("ab"),
            stderr=subprocess.STDOUT,
        )

    def start(self) -> None:
        self.start_worker()
        self.start_beat()
        self.start_relay()

    def start_worker(self) -> None:
        self.worker.start()

    def start_beat(self) -> None:
        # Started elsewhere than the project, to see that the schedule goes where the settings say.
        command = [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "info"]
        self.beat = self._spawn("beat", command, cwd=self.beat_cwd)

    def start_relay(self, grace: float = 2.0) -> None:
        command = ["manage.py", "relay_outbox", "--loop", "--grace", str(grace), "--interval", "0.2"]
        self.relay = self._spawn("relay", [sys.executable, *command])

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        self.worker.stop()
        for process in (self.beat, self.relay):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def unacknowledged(self) -> list[str]:
        """The names of the tasks the worker holds, running or reserved (its main process answers
        while a child works)."""
        with app.connection_for_write(self.broker_url) as connection:
            inspect = app.control.inspect(
                destination=[worker_hostname()], timeout=2.0, limit=1, connection=connection
            )
            held = [*(inspect.active() or {}).values(), *(inspect.reserved() or {}).values()]
        return [task["name"] for tasks in held for task in tasks]

    def worker_answers(self) -> bool:
        with app.connection_for_write(self.broker_url) as connection:
            replies = app.control.ping(destination=[worker_hostname()], timeout=1.0, connection=connection)
        return bool(replies)


@pytest.fixture
def fleets(celery_broker) -> Iterator[list[Fleet]]:
    """The fleets a test starts, stopped after it; `celery_broker` points the test's own publisher
    (control commands included) back at the usual broker afterwards."""
    made: list[Fleet] = []
    yield made
    for fleet in made:
        fleet.stop()


class Load:
    """The stream of payments, a process of its own (tests/payments/worker_load.py)."""

    def __init__(self, fleet: Fleet, *, families: int, broker_url: str | None = None) -> None:
        self.ready = fleet.logs / "load.ready"
        self.stop = fleet.logs / "load.stop"
        env = {
            **os.environ,
            **fleet.env,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",  # the factories' quick password hasher
            "CELERY_BROKER_URL": broker_url or fleet.broker_url,
        }
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [
                sys.executable,
                "-m",
                "tests.payments.worker_load",
                "--families",
                str(families),
                "--relatives",
                str(RELATIVES),
                "--year",
                str(timezone.localdate().year + 1),
                "--ready-file",
                str(self.ready),
                "--pace",
                str(PACE),
                "--stop-file",
                str(self.stop),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=(fleet.logs / "load.log").open("ab"),
        )

    def wait_ready(self) -> None:
        assert wait_until(lambda: self.ready.exists() or self.process.poll() is not None, seconds=90)
        assert self.ready.exists(), "the load could not build its families; see load.log"

    def finish(self, *, stop: bool = True) -> int:
        """Stops the stream (or lets it pay every family) and returns how many payments it made."""
        if stop:
            self.stop.touch()
        out, _ = self.process.communicate(timeout=120)
        assert self.process.returncode == 0, "the load failed; see load.log"
        return json.loads(out.decode().strip().splitlines()[-1])["paid"]


def counts(database_url: str) -> tuple[int, int]:
    """(settled payments, of them synced)."""
    with psycopg.connect(database_url, connect_timeout=3) as db:
        row = db.execute(
            "SELECT count(*), count(enrollment_synced_at) FROM payments_payment WHERE status = 'settled'"
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def all_synced(database_url: str, paid: int) -> bool:
    return counts(database_url) == (paid, paid)


def assert_each_payment_synced_once(database_url: str, paid: int) -> None:
    with psycopg.connect(database_url) as db:
        [[settled, synced, open_rows, paid_enrollments, matched, twice]] = db.execute(
            "SELECT (SELECT count(*) FROM payments_payment WHERE status = 'settled'),"
            " (SELECT count(*) FROM payments_payment WHERE enrollment_synced_at IS NOT NULL),"
            " (SELECT count(*) FROM payments_outboxmessage WHERE dispatched_at IS NULL),"
            " (SELECT count(*) FROM insurees_enrollment WHERE paid),"
            # Each enrollment paid by the one payment for its insuree and year, and by no other.
            " (SELECT count(*) FROM payments_payment p JOIN insurees_enrollment e"
            "  ON e.insuree_id = p.beneficiary_id AND e.year = p.year AND e.payment_id = p.id AND e.paid),"
            " (SELECT count(*) FROM (SELECT 1 FROM payments_payment GROUP BY beneficiary_id, year"
            "  HAVING count(*) > 1) x)"
        ).fetchall()
    assert paid > 0
    assert (settled, synced, open_rows) == (paid, paid, 0)
    assert (paid_enrollments, matched, twice) == (paid, paid, 0)


def busy_then(fleet: Fleet, load: Load, outage) -> dict[str, int]:
    """Waits until the worker is busy with a backlog under load (payments wait for their sync and
    the worker runs a drain), takes the server away, lets the load go on a few seconds after it is
    back, and returns how far each process's log had got when it came back."""

    def busy() -> bool:
        settled, synced = counts(fleet.database_url)
        return 50 <= synced < settled and DRAIN in fleet.unacknowledged()

    load.wait_ready()
    assert wait_until(busy, seconds=60), "the worker never got busy with a backlog; see worker.log"
    outage()
    back = {name: len(fleet.log(name)) for name in ("worker", "beat", "relay")}
    time.sleep(5)
    return back


def beat_sent_since(fleet: Fleet, offset: int) -> bool:
    """Whether beat sent its relay round since `offset` of its log: a send not followed by the
    error it logs when the send fails."""
    lines = fleet.log("beat")[offset:].splitlines()
    return any(
        "Sending due task relay-outbox" in line and "Message Error" not in following
        for line, following in zip(lines, lines[1:], strict=False)
    )


def assert_worker_alive(fleet: Fleet, pid: int) -> None:
    """The worker started at the beginning is still there, has not died and answers."""
    crash = [line for line in fleet.log("worker").splitlines() if "Unrecoverable error" in line]
    assert not crash, crash[0][:500]
    assert fleet.worker.process is not None
    assert fleet.worker.process.pid == pid
    assert fleet.worker.process.poll() is None, fleet.worker.log_path
    assert wait_until(fleet.worker_answers, seconds=30), "the worker is alive but answers no ping"


def assert_survived(fleet: Fleet, pid: int) -> None:
    assert_worker_alive(fleet, pid)
    assert fleet.relay is not None
    assert fleet.relay.poll() is None, fleet.log("relay")[-3000:]
    if fleet.beat is not None:
        assert fleet.beat.poll() is None, fleet.log("beat")[-3000:]


def test_a_worker_in_the_middle_of_a_sync_when_the_broker_goes_survives_it(
    transactional_db, broker, fleets, tmp_path, rate, year
):
    """The crash of issue 17 step by step: the worker holds one sync, which waits for a row lock
    (as behind a refund), when the broker goes; the sync then finishes while the broker is away."""
    # Two payments whose own publish finds no broker, so nothing but this test starts their sync.
    point_broker(app, f"redis://127.0.0.1:{free_port()}/0")
    held, later = (pay(BindingFactory(), year, key) for key in ("held", "later"))
    fleet = Fleet(
        database_url=_database_url(), broker_url=broker.url, cache_url=broker.cache_url, logs=tmp_path
    )
    fleets.append(fleet)
    fleet.start_worker()
    assert fleet.worker.process is not None
    pid = fleet.worker.process.pid
    blocker, watcher = raw_connection(autocommit=False), raw_connection(autocommit=True)
    try:
        blocker.execute("SELECT 1 FROM payments_outboxmessage WHERE payment_id = %s FOR UPDATE", [held.pk])
        enrollment_sync_task.apply_async(args=[held.pk], retry=False)

        def sync_waits() -> bool:
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            ).fetchone()
            return bool(row and row[0])

        assert wait_until(sync_waits, seconds=30), fleet.log("worker")[-3000:]
        with outage_in_background(broker, OUTAGE_SECONDS):
            assert wait_until(lambda: "Connection to broker lost" in fleet.log("worker"), seconds=30)
            blocker.rollback()  # the sync goes on and commits while the broker is still away
            assert wait_until(lambda: Payment.objects.get(pk=held.pk).enrollment_synced, seconds=30)
    finally:
        blocker.rollback()
        blocker.close()
        watcher.close()

    # The broker is back (empty, for Redis): the same worker takes the next task.
    assert_worker_alive(fleet, pid)
    enrollment_sync_task.apply_async(args=[later.pk], retry=False)
    assert wait_until(lambda: Payment.objects.get(pk=later.pk).enrollment_synced, seconds=30)
    for payment in (held, later):
        enrollment = Enrollment.objects.get(insuree=payment.beneficiary_id, year=year)
        assert (enrollment.paid, enrollment.payment_id) == (True, payment.pk)


@contextlib.contextmanager
def outage_in_background(broker: RedisBroker | RabbitBroker, seconds: float) -> Iterator[None]:
    """The broker's outage in a thread of its own; the block runs while it lasts, and the context
    ends once the broker is back."""
    outage = threading.Thread(target=broker.outage, args=(seconds,))
    outage.start()
    try:
        yield
    finally:
        outage.join()


def test_a_busy_worker_beat_and_the_relay_survive_the_broker_going_away(
    transactional_db, broker, fleets, tmp_path
):
    database = _database_url()
    fleet = Fleet(database_url=database, broker_url=broker.url, cache_url=broker.cache_url, logs=tmp_path)
    fleets.append(fleet)
    fleet.start()
    assert fleet.worker.process is not None
    pid = fleet.worker.process.pid
    load = Load(fleet, families=FAMILIES)

    back = busy_then(fleet, load, lambda: broker.outage(OUTAGE_SECONDS))
    paid = load.finish()

    assert wait_until(lambda: all_synced(database, paid), seconds=SETTLE_SECONDS), counts(database)
    assert_survived(fleet, pid)
    assert_each_payment_synced_once(database, paid)
    # Beat sent again once the broker was back, and the worker received its relay rounds.
    assert wait_until(lambda: beat_sent_since(fleet, back["beat"]), seconds=30), fleet.log("beat")[-3000:]
    assert wait_until(lambda: "outbox_relay_task" in fleet.log("worker")[back["worker"] :], seconds=20)
    # Beat kept its schedule where the settings say, not in the directory it was started from.
    assert list(fleet.schedule.parent.iterdir()), "beat wrote no schedule file"
    assert not list(fleet.beat_cwd.iterdir())
    # The relay tried the broker while it was away: one line as the fault began, one as it ended.
    relay_log = fleet.log("relay")
    assert relay_log.count("outbox relay: broker unavailable") == 1, relay_log[-3000:]
    assert relay_log.count("outbox relay: broker available again") == 1, relay_log[-3000:]


def test_a_busy_worker_beat_and_the_relay_survive_a_postgres_restart(
    broker, postgres_cluster, private_database, fleets, tmp_path
):
    fleet = Fleet(
        database_url=private_database, broker_url=broker.url, cache_url=broker.cache_url, logs=tmp_path
    )
    fleets.append(fleet)
    fleet.start()
    assert fleet.worker.process is not None
    pid = fleet.worker.process.pid
    load = Load(fleet, families=FAMILIES)

    def restart() -> None:
        postgres_cluster.stop()  # immediate: open transactions are cut off, as a crash would
        time.sleep(OUTAGE_SECONDS)
        postgres_cluster.start()

    busy_then(fleet, load, restart)
    paid = load.finish()

    assert wait_until(lambda: all_synced(private_database, paid), seconds=SETTLE_SECONDS), counts(
        private_database
    )
    assert_survived(fleet, pid)
    assert_each_payment_synced_once(private_database, paid)
    relay_log = fleet.log("relay")
    assert relay_log.count("outbox relay: database unavailable") == 1, relay_log[-3000:]
    assert relay_log.count("outbox relay: database available again") == 1, relay_log[-3000:]


def test_the_relay_loop_goes_on_after_a_postgres_restart_and_relays_what_nobody_published(
    postgres_cluster, private_database, fleets, tmp_path
):
    redis = RedisServer()
    redis.start()
    try:
        fleet = Fleet(database_url=private_database, broker_url=redis.url, cache_url=redis.url, logs=tmp_path)
        fleets.append(fleet)
        fleet.start_relay(grace=1.0)
        assert fleet.relay is not None
        relay_pid = fleet.relay.pid

        def relay_connected() -> bool:
            with psycopg.connect(private_database, autocommit=True) as db:
                row = db.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                ).fetchone()
            return bool(row and row[0])

        assert wait_until(relay_connected, seconds=30), fleet.log("relay")[-3000:]
        postgres_cluster.stop()
        time.sleep(4)
        postgres_cluster.start()

        # Payments whose own publish finds no broker: only the relay can hand their rows over now.
        load = Load(fleet, families=3, broker_url=f"redis://127.0.0.1:{free_port()}/0")
        paid = load.finish(stop=False)
        assert paid == 3 * RELATIVES
        fleet.start_worker()

        assert wait_until(lambda: all_synced(private_database, paid), seconds=SETTLE_SECONDS), counts(
            private_database
        )
        assert fleet.relay.pid == relay_pid
        assert fleet.relay.poll() is None, fleet.log("relay")[-3000:]
        assert_each_payment_synced_once(private_database, paid)
        relay_log = fleet.log("relay")
        assert relay_log.count("outbox relay: database unavailable") == 1, relay_log[-3000:]
        assert relay_log.count("outbox relay: database available again") == 1, relay_log[-3000:]
    finally:
        for fleet in fleets:
            fleet.stop()
        fleets.clear()
        if redis.process.poll() is None:
            redis.kill()
