"""A day's statement of one institution (对账), timed in-process: the statement's hospital on its day
of `statement_settlements` settlements (bench/medical_world.py).

It times the portal's own selector (medical.statement_selectors.statement_get) on its first call and
its best of the next five, then runs each SQL statement it made under EXPLAIN (ANALYZE, BUFFERS): the
plan's scans, heap fetches (zero for a scan that reads its index only) and buffers. It also times the
plain query the day could be written as, count and sum grouped by status over (institution,
business_date), which no index covers, for comparison.

    python bench/statement.py --db gongji_bench --json out.json
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFAULT_DB, django_setup, execute, say  # noqa: E402

BY_STATUS = """
    SELECT status, count(*), sum(paid_fen) FROM medical_settlement
    WHERE institution_id = %s AND business_date = %s GROUP BY status"""


def statement_selector():
    """The portal's statement_get, wherever medical keeps it."""
    for module in ("medical.statements", "medical.statement_selectors"):
        try:
            return importlib.import_module(module).statement_get
        except (ImportError, AttributeError):
            continue
    return None


def plan_summary(sql: str, params) -> dict:
    [(plan,)] = execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params)
    nodes, stack = [], [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        if "Relation Name" in node or "Index Name" in node:
            nodes.append(
                {
                    "node": node["Node Type"],
                    "on": node.get("Index Name") or node.get("Relation Name"),
                    "rows": node.get("Actual Rows"),
                    "heap_fetches": node.get("Heap Fetches"),
                }
            )
        stack.extend(node.get("Plans", []))
    top = plan[0]["Plan"]
    return {
        "execution_ms": round(plan[0]["Execution Time"], 2),
        "scans": nodes,
        "shared_hit": top.get("Shared Hit Blocks"),
        "shared_read": top.get("Shared Read Blocks"),
    }


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return round(1000 * (time.perf_counter() - started), 1), result


def main() -> None:
    parser = argparse.ArgumentParser(description="A day's statement of one institution, timed")
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    django_setup(args.db)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from medical.models import Institution

    meta = dict(execute("SELECT key, value FROM bench_meta"))
    institution = Institution.objects.get(pk=int(meta["statement_institution_id"]))
    day = datetime.date.fromisoformat(meta["statement_date"])
    [(settlements,)] = execute(
        "SELECT count(*) FROM medical_settlement WHERE institution_id = %s AND business_date = %s",
        [institution.pk, day],
    )
    result: dict = {"institution": institution.code, "date": day.isoformat(), "settlements": settlements}

    statement_get = statement_selector()
    if statement_get is not None:
        first_ms, statement = timed(lambda: statement_get(institution=institution, date=day))
        with CaptureQueriesContext(connection) as captured:
            best_ms = min(
                timed(lambda: statement_get(institution=institution, date=day))[0] for _n in range(5)
            )
        queries = [q["sql"] for q in captured.captured_queries]
        result["statement_get"] = {
            "first_ms": first_ms,
            "best_of_5_ms": best_ms,
            "queries": len(queries) // 5,
            "settled": [statement.settled.count, statement.settled.amount_fen],
            "reversed": [statement.reversed.count, statement.reversed.amount_fen],
            "refunded": [statement.refunded.count, statement.refunded.amount_fen],
            # Django's SQL with its parameters inlined, planned as the selector's statements were.
            "plans": [plan_summary(sql, None) for sql in queries[: len(queries) // 5]],
        }
    first_ms, _rows = timed(lambda: execute(BY_STATUS, [institution.pk, day]))
    result["grouped_by_status"] = {
        "first_ms": first_ms,
        "best_of_5_ms": min(timed(lambda: execute(BY_STATUS, [institution.pk, day]))[0] for _n in range(5)),
        "plan": plan_summary(BY_STATUS, [institution.pk, day]),
    }
    say(f"statement of {institution.code} on {day} ({settlements:,} settlements): {json.dumps(result)}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
