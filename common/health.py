"""What a load balancer or supervisor asks: is the process up (`/healthz`), can it serve (`/readyz`).

Both answer JSON for machines, outside the language prefix, the SSL redirect (SECURE_REDIRECT_EXEMPT),
sign-in and the API's authentication and throttles. `/healthz` touches nothing: a process whose
database is away is still alive, and restarting it would not bring the database back. `/readyz` asks
the database for `SELECT 1` and opens a connection to the broker, each within a few seconds, and
answers 503 naming the part that failed: the balancer sends no one to a process that cannot serve.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from celery import current_app
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from common.faults import FaultLog, database_fault

logger = logging.getLogger(__name__)

# Seconds the broker may take to accept a connection (and, for Redis, to answer its ping); the
# database's own connect_timeout (config/databases.py) bounds the other half.
BROKER_TIMEOUT = 2.0

broker_fault = FaultLog("broker (readiness check)", logger)


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str = "ok"

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, "detail": self.detail}


def _failure(exc: BaseException) -> Check:
    # The exception's class only: its text may name hosts and ports, and the answer is unauthenticated.
    return Check(False, type(exc).__name__)


def check_database(connection: BaseDatabaseWrapper | None = None) -> Check:
    connection = connection or connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        database_fault.failed(exc)
        return _failure(exc)
    database_fault.recovered()
    return Check(True)


def check_broker() -> Check:
    """The broker the tasks are published to; eager Celery (tasks run in-process) has none to reach."""
    app = current_app
    if app.conf.task_always_eager:
        return Check(True, "eager")
    options: dict[str, object] = {"connect_timeout": BROKER_TIMEOUT}
    if urlsplit(str(app.conf.broker_write_url or "")).scheme in ("redis", "rediss"):
        # A Redis that accepts the connection but never answers the ping must not hang the probe.
        options["transport_options"] = {**app.conf.broker_transport_options, "socket_timeout": BROKER_TIMEOUT}
    try:
        with app.connection_for_write(**options) as connection:
            connection.ensure_connection(max_retries=0)  # one try: the prober asks again anyway
    except Exception as exc:
        broker_fault.failed(exc)
        return _failure(exc)
    broker_fault.recovered()
    return Check(True)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": check_database(), "broker": check_broker()}
    ready = all(check.ok for check in checks.values())
    return JsonResponse(
        {
            "status": "ready" if ready else "unavailable",
            "checks": {name: check.as_json() for name, check in checks.items()},
        },
        status=200 if ready else 503,
    )
