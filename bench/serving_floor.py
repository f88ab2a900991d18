"""The settlement flow with no framework: a bare WSGI app making the portal's round trips, to measure
what serving two HTTP requests from Python costs on this machine before Django, DRF and the portal's
own code add theirs (bench/RESULTS.md, "Settlements: the answer in the call's statement, and the
serving floor").

The portal's round trips, in its order, and nothing else: the sign-in cache's read of the token's
entry from Redis (the portal's key; who the token is comes from a table read once at start, since the
entry is a pickled user that only Django reads), a code's rate limit counted by a script in Redis as
common.throttling counts it, and the very calls of medical.services with the same columns read back
(medical_voucher_issue; medical_settle with its settlement, beneficiary, person and institution in
the same statement). No validation, error shape, request id or logs: a floor, not a server; any
database error answers 422, so read the run's statuses. gunicorn as the portal runs it (gthread,
2 workers x 4 threads), driven by settle_load.py:

    gunicorn -k gthread -w 2 --threads 4 -b 127.0.0.1:8799 --chdir bench serving_floor:app
    python bench/settle_load.py --port 8799 --connections 16 --duration 15 \\
        --relatives bench/out/smoke-settle-relatives.txt --terminals bench/out/smoke-settle-terminals.txt \\
        --prefix F1

FLOOR_DATABASE_URL and FLOOR_REDIS_URL name the benchmark's database and Redis (the smoke world's by
default); FLOOR_SIGN_IN=none leaves the Redis round trips out.
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
# All the columns, as the portal reads them into its instances (medical.services.settlements).
SETTLE = (
    "SELECT r.o_replayed, r.o_id, r.o_refusal, r.o_detail, r.o_notice_ids, s.*, b.*, p.*, i.* "
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


# common.throttling's script: trim, count, add.
_LIMIT = REDIS.register_script(
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - 60) "
    "if redis.call('ZCARD', KEYS[1]) >= 20 then return 1 end "
    "redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2]) redis.call('EXPIRE', KEYS[1], 60) return false"
)


def _caller(environ) -> tuple[int, int | None, int | None]:
    key = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Token ")
    if SIGN_IN == "redis":
        # Django's cache key: KEY_PREFIX (none), version 1, then accounts.authentication's key.
        REDIS.get(":1:auth:token:" + hashlib.sha256(key.encode()).hexdigest())
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
        if SIGN_IN == "redis":
            _LIMIT(
                keys=[f":1:throttle-zset_voucher_{user_id}"], args=[now.timestamp(), secrets.token_hex(16)]
            )
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
    return {"id": row[1], "settlement_id": body["settlement_id"]} if row and row[1] else {}
