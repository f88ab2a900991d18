"""The settlement flow with no framework: a bare WSGI app making the portal's calls, to measure what
serving two HTTP requests from Python costs on this machine before Django, DRF and the portal's own
code add theirs (bench/RESULTS.md, "Settlements: the serving floor").

The same round trips as the portal's flow, in the same order, and nothing else: the sign-in cache read
from Redis (one GET of the token's digest, as accounts.authentication makes; who the token is comes
from a table read once at start, since the cached value would need Django to unpickle), then the very
SQL of medical.services (medical_voucher_issue; medical_settle with its settlement read in the same
statement). No validation, no error shape, no rate limit, no request id, no logs: a floor, not a
server. gunicorn as the portal runs it (gthread, 2 workers x 4 threads), driven by settle_load.py:

    gunicorn -k gthread -w 2 --threads 4 -b 127.0.0.1:8799 --chdir bench serving_floor:app
    python bench/settle_load.py --port 8799 --connections 16 --duration 20 \\
        --relatives bench/out/smoke-settle-relatives.txt --terminals bench/out/smoke-settle-terminals.txt \\
        --prefix F1

FLOOR_DATABASE_URL and FLOOR_REDIS_URL name the benchmark's database and Redis (the smoke world's by
default); FLOOR_SIGN_IN=none leaves the Redis read out.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import secrets
import threading
from zoneinfo import ZoneInfo

import psycopg
import redis

DATABASE_URL = os.environ.get("FLOOR_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/gongji_bench_smoke")
REDIS = redis.Redis.from_url(os.environ.get("FLOOR_REDIS_URL", "redis://127.0.0.1:6379/9"))
SIGN_IN = os.environ.get("FLOOR_SIGN_IN", "redis")
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the business day, as the portal's TIME_ZONE

VOUCHER = "SELECT * FROM medical_voucher_issue(%s, %s, %s, %s)"
SETTLE = (
    "SELECT r.o_id, s.paid_fen, s.cash_due_fen, s.created_at, p.name "
    "FROM medical_settle(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) r "
    "LEFT JOIN LATERAL medical_settlement_fresh(r.o_id) s ON true "
    "LEFT JOIN insurees_insuree b ON b.id = s.beneficiary_id LEFT JOIN insurees_person p ON p.id = b.person_id "
    "LEFT JOIN medical_institution i ON i.id = s.institution_id"
)
WHO = (
    "SELECT t.key, u.id, p.id, it.institution_id FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id "
    "LEFT JOIN insurees_person p ON p.user_id = u.id LEFT JOIN medical_institutionterminal it ON it.user_id = u.id"
)

_local = threading.local()
_who: dict[str, tuple[int, int | None, int | None]] = {}
_who_lock = threading.Lock()


def _connection() -> psycopg.Connection:
    # One per thread, kept, statements prepared on their fifth run: as the portal's (DB_PREPARE_THRESHOLD).
    if getattr(_local, "connection", None) is None:
        _local.connection = psycopg.connect(DATABASE_URL, autocommit=True, prepare_threshold=5)
    return _local.connection


def _caller(environ) -> tuple[int, int | None, int | None]:
    key = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Token ")
    if SIGN_IN == "redis":
        REDIS.get("auth:token:" + hashlib.sha256(key.encode()).hexdigest())
    if not _who:
        with _who_lock, psycopg.connect(DATABASE_URL) as connection:
            if not _who:
                _who.update({row[0]: row[1:] for row in connection.execute(WHO)})
    return _who[key]


def app(environ, start_response):
    body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
    now = datetime.datetime.now(datetime.UTC)
    user_id, person_id, institution_id = _caller(environ)
    try:
        answer = _answer(environ, body, now, user_id, person_id, institution_id)
    except psycopg.Error:  # a refusal (GJ001): no allowance left, and the like
        answer = {}
    data = json.dumps(answer, default=str).encode()
    start_response(
        "201 Created" if answer else "422 Unprocessable Entity",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


def _answer(environ, body: dict, now: datetime.datetime, user_id, person_id, institution_id) -> dict:
    if environ["PATH_INFO"] == "/api/v1/vouchers/":
        code = f"{secrets.randbelow(10**20):020d}"
        row = (
            _connection()
            .execute(VOUCHER, [person_id, hashlib.sha256(code.encode()).hexdigest(), now, 60])
            .fetchone()
        )
        return {"code": code, "expires_at": row[1].isoformat()} if row else {}
    params = [
        user_id, environ.get("HTTP_IDEMPOTENCY_KEY", ""), "5000ms", institution_id,
        hashlib.sha256(body["voucher_code"].encode()).hexdigest(), body["settlement_id"],
        round(float(body["amount"]) * 100), body["category"], bool(body.get("allow_partial")),
        now.astimezone(SHANGHAI).date(), now,
    ]  # fmt: skip
    row = _connection().execute(SETTLE, params).fetchone()
    return (
        {"id": row[0], "paid_fen": row[1], "cash_due_fen": row[2], "name": row[4]} if row and row[0] else {}
    )
