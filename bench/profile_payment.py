"""Where the time of one payment goes: pyinstrument over payments made through the whole Django stack.

Requests go through Django's test client (the same handler, middleware, DRF authentication,
serializers, services and after-commit outbox relay to Redis as under gunicorn; only the HTTP parsing
of gunicorn is left out), one after another, on the benchmark's database. Every SQL statement is timed
with a database execute wrapper, so each request splits into time in SQL round trips (driver and
server) and time in Python. The same is done for GET /api/v1/me/, the framework's floor.

Writes <name>-profile.txt and <name>-profile.html (pyinstrument) and a JSON summary.

    python bench/profile_payment.py --db gongji_bench --payments 1000 --json out.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFAULT_DB, OUT, ROOT, django_setup, execute, say  # noqa: E402

# The redis library's frames serve the sign-in cache and the drain flag as well as Celery.
REDIS = "Redis: the sign-in cache, the drain flag, publishing the sync task"
CATEGORIES = [  # first match wins: (part of the file path, what it is)
    ("/psycopg", "psycopg: sending SQL and waiting for PostgreSQL"),
    ("/django/db/models/sql/", "Django ORM: compiling SQL"),
    ("/django/db/models/", "Django ORM: querysets and model instances"),
    ("/django/db/backends/", "Django DB backend: cursor wrappers, adapters"),
    ("/django/db/transaction", "Django transactions and savepoints"),
    ("/django/db/", "Django ORM: other"),
    ("/rest_framework/authtoken/", "DRF token authentication"),
    ("/rest_framework/serializers", "DRF serializers"),
    ("/rest_framework/fields", "DRF serializers"),
    ("/rest_framework/", "DRF views, request, response, parsers, renderers"),
    ("/django/middleware/", "Django middleware"),
    ("/django/contrib/sessions/", "Django middleware"),
    ("/django/contrib/messages/", "Django middleware"),
    ("/django/contrib/auth/", "Django auth"),
    ("/django/utils/translation", "Django i18n"),
    ("/django/urls/", "Django URL resolving"),
    ("/django/", "Django request handling, other"),
    ("/kombu/", REDIS),
    ("/celery/", REDIS),
    ("/redis/", REDIS),
    ("/amqp/", REDIS),
    ("/vine/", REDIS),
    (f"{ROOT}/payments/", "the portal's code: payments"),
    (f"{ROOT}/ledger/", "the portal's code: ledger"),
    (f"{ROOT}/insurees/", "the portal's code: insurees"),
    (f"{ROOT}/mutual_aid/", "the portal's code: mutual_aid"),
    (f"{ROOT}/common/", "the portal's code: common"),
    (f"{ROOT}/", "the portal's code: other"),
    ("/pyinstrument/", "profiler"),
]


def category(path: str | None) -> str:
    for part, name in CATEGORIES:
        if path and part in path:
            return name
    return "Python standard library and other"


class SqlTimer:
    def __init__(self):
        self.count, self.seconds = 0, 0.0

    def __call__(self, execute_sql, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute_sql(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


def measure(client, requests: list[tuple[str, dict, dict]]) -> dict:
    from django.db import connection

    walls, sql_ms, queries, statuses = [], [], [], Counter()
    for method, kwargs, headers in requests:
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            response = getattr(client, method)(**kwargs, headers=headers)
            walls.append(time.perf_counter() - started)
        statuses[response.status_code] += 1
        sql_ms.append(timer.seconds * 1000)
        queries.append(timer.count)
    wall_ms = statistics.fmean(walls) * 1000
    sql = statistics.fmean(sql_ms)
    return {
        "requests": len(requests),
        "statuses": dict(statuses),
        "wall_ms": round(wall_ms, 2),
        "sql_statements": round(statistics.fmean(queries), 1),
        "sql_ms": round(sql, 2),
        "python_ms": round(wall_ms - sql, 2),
        "python_share": round((wall_ms - sql) / wall_ms, 3),
    }


def tree_breakdown(session) -> tuple[dict[str, float], list[tuple[str, float]]]:
    by_category: Counter = Counter()
    by_function: Counter = Counter()
    root = session.root_frame()
    # Self time is kept in synthetic leaf frames; charge each leaf to its nearest real frame.
    stack = [(root, root)] if root else []
    while stack:
        frame, owner = stack.pop()
        if not frame.is_synthetic:
            owner = frame
        if not frame.children:
            by_category[category(owner.file_path)] += frame.time
            where = (owner.file_path or "").replace(str(ROOT) + "/", "").split("site-packages/")[-1]
            by_function[f"{where}:{owner.line_no} {owner.function}"] += frame.time
        stack.extend((child, owner) for child in frame.children)
    total = sum(by_category.values()) or 1.0
    shares = {k: round(100 * v / total, 1) for k, v in by_category.most_common()}
    top = [(k, round(100 * v / total, 1)) for k, v in by_function.most_common(20)]
    return shares, top


def main() -> None:  # noqa: PLR0915
    parser = argparse.ArgumentParser(description="Profile of the payment path")
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--name", default="profile")
    args = parser.parse_args()
    django_setup(args.db)

    from django.test import Client
    from pyinstrument import Profiler

    year = int(execute("SELECT value FROM bench_meta WHERE key = 'year'")[0][0])
    rows = execute(
        """SELECT kind, token, beneficiary_id_number FROM bench_portal_pool p WHERE pool = 'profile'
           AND NOT EXISTS (SELECT 1 FROM payments_payment x WHERE x.beneficiary_id = p.beneficiary_id
                           AND x.year = %s)
           ORDER BY id LIMIT %s""",
        [year, 2 * args.payments + 40],
    )
    if len(rows) < 2 * args.payments + 40:
        args.payments = (len(rows) - 40) // 2
        if args.payments < 10:
            raise SystemExit(f"only {len(rows)} unpaid beneficiaries left in the profile pool")
        say(f"the profile pool has {len(rows)} unpaid beneficiaries left: profiling {args.payments} payments")

    def pay(kind: str, token: str, id_number: str) -> tuple[str, dict, dict]:
        headers = {"Authorization": f"Token {token}", "Idempotency-Key": str(uuid.uuid4())}
        if kind == "a":
            body = {"beneficiary_id_number": id_number, "year": year}
            return (
                "post",
                {"path": "/api/v1/payments/", "data": body, "content_type": "application/json"},
                headers,
            )
        return (
            "post",
            {"path": "/api/v1/payments/self/", "data": {"year": year}, "content_type": "application/json"},
            headers,
        )

    def me(token: str) -> tuple[str, dict, dict]:
        return "get", {"path": "/api/v1/me/"}, {"Authorization": f"Token {token}"}

    client = Client(HTTP_HOST="127.0.0.1")
    warm, timed, profiled = rows[:40], rows[40 : 40 + args.payments], rows[40 + args.payments :]
    measure(client, [pay(*r) for r in warm] + [me(r[1]) for r in warm])

    say(f"timing {args.payments} payments and as many GET /api/v1/me/, SQL timed per statement")
    payments = measure(client, [pay(*r) for r in timed])
    by_kind = {
        kind: measure(client, [pay(*r) for r in profiled[: args.payments // 4] if r[0] == kind] or [])
        if any(r[0] == kind for r in profiled[: args.payments // 4])
        else None
        for kind in ("a", "s")
    }
    me_get = measure(client, [me(r[1]) for r in timed])

    say(f"pyinstrument over {len(profiled) - args.payments // 4} payments")
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for method, kwargs, headers in [pay(*r) for r in profiled[args.payments // 4 :]]:
        getattr(client, method)(**kwargs, headers=headers)
    profiler.stop()
    OUT.mkdir(exist_ok=True)
    (OUT / f"{args.name}-profile.txt").write_text(
        profiler.output_text(unicode=True, color=False, show_all=False)
    )
    (OUT / f"{args.name}-profile.html").write_text(profiler.output_html())
    shares, top = tree_breakdown(profiler.last_session)

    me_profiler = Profiler(interval=0.0002)
    me_profiler.start()
    for method, kwargs, headers in [me(r[1]) for r in timed]:
        getattr(client, method)(**kwargs, headers=headers)
    me_profiler.stop()
    (OUT / f"{args.name}-profile-me.txt").write_text(me_profiler.output_text(unicode=True, color=False))
    me_shares, _top = tree_breakdown(me_profiler.last_session)

    top_categories = ", ".join(f"{k} {v} %" for k, v in list(shares.items())[:6])
    summary = (
        f"a payment takes {payments['wall_ms']} ms in-process, of which {payments['sql_ms']} ms in "
        f"{payments['sql_statements']} SQL statements and {payments['python_ms']} ms "
        f"({100 * payments['python_share']:.0f} %) in Python; GET /me/ takes {me_get['wall_ms']} ms "
        f"({me_get['sql_statements']} statements, {me_get['sql_ms']} ms SQL). Profile: {top_categories}."
    )
    result = {
        "payments": args.payments,
        "payment": payments,
        "payment_authorizer": by_kind["a"],
        "payment_self": by_kind["s"],
        "me_get": me_get,
        "payment_profile_shares_percent": shares,
        "payment_profile_top_functions": top,
        "me_profile_shares_percent": me_shares,
        "summary": summary,
    }
    say(summary)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
