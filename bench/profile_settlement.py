"""Where the time of one settlement flow goes: the relative's code and the terminal's settlement, made
through the whole Django stack in-process (bench/profile_payment.py does the same for a payment).

Requests go through Django's test client, one after another, on the benchmark's database, every SQL
statement timed; pyinstrument then profiles more flows. On PostgreSQL's side the session counts time
per function (track_functions), so the SQL of a flow splits into the medical functions it calls: a
function's self time is its own statements, without the functions it calls.

Writes <name>-profile-settlement.txt and .html (pyinstrument) and a JSON summary.

    python bench/profile_settlement.py --db gongji_bench --flows 300 --json out.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFAULT_DB, OUT, ROOT, django_setup, execute, medical_bill, say, yuan  # noqa: E402
from bench.profile_payment import CATEGORIES, measure, tree_breakdown  # noqa: E402

WARM = 10  # flows before the timed ones: connections, caches and plans made

CATEGORIES.insert(
    CATEGORIES.index((f"{ROOT}/", "the portal's code: other")),
    (f"{ROOT}/medical/", "the portal's code: medical"),
)


def function_times() -> dict[str, tuple[int, float, float]]:
    """Calls, total and self milliseconds of every function the statistics have counted."""
    return {
        name: (calls, total, own)
        for name, calls, total, own in execute(
            "SELECT funcname, calls, total_time, self_time FROM pg_stat_user_functions"
        )
    }


def main() -> None:  # noqa: PLR0915 - one measurement after another
    parser = argparse.ArgumentParser(description="Profile of the settlement flow")
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--flows", type=int, default=300)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--name", default="profile")
    parser.add_argument("--offset", type=int, default=0, help="where in the relatives' pool to start")
    args = parser.parse_args()
    django_setup(args.db)

    from django.db import connection
    from django.test import Client
    from pyinstrument import Profiler

    relatives = [token for (token,) in execute("SELECT token FROM bench_settle_pool ORDER BY id")]
    terminal = execute("SELECT token FROM bench_terminal_pool ORDER BY id LIMIT 1")[0][0]
    flows = min(args.flows, (len(relatives) - WARM) // 2)
    relatives = (relatives[args.offset :] + relatives[: args.offset])[: 2 * flows + WARM]
    rng = random.Random(args.offset)
    tag = f"P{int(time.time()) % 10**8:08d}"
    client = Client(HTTP_HOST="127.0.0.1")
    made = iter(range(10**9))

    def voucher(token: str) -> tuple[str, dict, dict]:
        return "post", {"path": "/api/v1/vouchers/"}, {"Authorization": f"Token {token}"}

    def settlement(code: str) -> tuple[str, dict, dict]:
        category, amount_fen = medical_bill(rng)
        own_id = f"{tag}-{next(made)}"
        body = {
            "voucher_code": code,
            "settlement_id": own_id,
            "amount": yuan(amount_fen),
            "category": category,
        }
        return (
            "post",
            {"path": "/api/v1/institution/settlements/", "data": body, "content_type": "application/json"},
            {"Authorization": f"Token {terminal}", "Idempotency-Key": own_id},
        )

    def codes(tokens: list[str]) -> list[str]:
        return [
            client.post("/api/v1/vouchers/", headers={"Authorization": f"Token {t}"}).json()["code"]
            for t in tokens
        ]

    warm, timed, profiled = relatives[:WARM], relatives[WARM : WARM + flows], relatives[WARM + flows :]
    measure(client, [settlement(code) for code in codes(warm)])

    say(f"timing {flows} codes and {flows} settlements, SQL timed per statement and per function")
    execute("SET track_functions = 'all'")
    before = function_times()  # only this session counts (the setting is its own); flushed as it idles
    vouchers = measure(client, [voucher(t) for t in timed])
    # A code per relative again, then his settlement with it: the code issued last is the one that works.
    settlements = measure(client, [settlement(code) for code in codes(timed)])
    connection.close()  # flushes this session's function statistics
    time.sleep(1.0)
    after = function_times()
    calls_per_flow = {}
    for name, (calls, total, own) in after.items():
        was = before.get(name, (0, 0.0, 0.0))
        if calls > was[0]:
            calls_per_flow[name] = {
                "calls": round((calls - was[0]) / flows, 2),
                "total_ms": round((total - was[1]) / flows, 3),
                "self_ms": round((own - was[2]) / flows, 3),
            }
    # Two codes were issued per flow here (the measured one and the one settled with).
    if "medical_voucher_issue" in calls_per_flow:
        calls_per_flow["medical_voucher_issue"] = {
            k: round(v / 2, 3) for k, v in calls_per_flow["medical_voucher_issue"].items()
        }

    say(f"pyinstrument over {len(profiled)} flows")
    requests = [settlement(code) for code in codes(profiled)]
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for method, kwargs, headers in requests:
        getattr(client, method)(**kwargs, headers=headers)
    profiler.stop()
    OUT.mkdir(exist_ok=True)
    (OUT / f"{args.name}-profile-settlement.txt").write_text(
        profiler.output_text(unicode=True, color=False, show_all=False)
    )
    (OUT / f"{args.name}-profile-settlement.html").write_text(profiler.output_html())
    shares, top = tree_breakdown(profiler.last_session)

    by_self = sorted(calls_per_flow.items(), key=lambda kv: -kv[1]["self_ms"])
    functions = ", ".join(f"{name} {v['self_ms']} ms" for name, v in by_self[:5])
    top_categories = ", ".join(f"{k} {v} %" for k, v in list(shares.items())[:6])
    summary = (
        f"a code takes {vouchers['wall_ms']} ms in-process ({vouchers['sql_ms']} ms in "
        f"{vouchers['sql_statements']} SQL statements); a settlement {settlements['wall_ms']} ms, of which "
        f"{settlements['sql_ms']} ms in {settlements['sql_statements']} SQL statements and "
        f"{settlements['python_ms']} ms ({100 * settlements['python_share']:.0f} %) in Python. In PostgreSQL, "
        f"the functions' own time per flow: {functions}. Profile of the settlement: {top_categories}."
    )
    result = {
        "flows": flows,
        "voucher": vouchers,
        "settlement": settlements,
        "functions_per_flow": dict(by_self),
        "settlement_profile_shares_percent": shares,
        "settlement_profile_top_functions": top,
        "summary": summary,
    }
    say(summary)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
