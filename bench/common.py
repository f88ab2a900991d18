"""What every benchmark script shares: Django on the bench settings, paths, progress lines, COPY."""

from __future__ import annotations

import math
import os
import random
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"

DEFAULT_DB = "gongji_bench"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"


def database_url(name: str = DEFAULT_DB) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def django_setup(db_name: str | None = None) -> None:
    """Django on config.settings.bench, pointed at the benchmark's own database."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.bench"
    if db_name:
        os.environ["DATABASE_URL"] = database_url(db_name)
    import django

    django.setup()


_started = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - _started:7.1f}s] {message}", flush=True)


def raw_connection():
    """Django's own psycopg 3 connection (so COPY and the ORM share one session)."""
    from django.db import connection

    connection.ensure_connection()
    return connection.connection


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence], total: int | None = None) -> int:
    """COPY rows into a table, printing progress; returns the number of rows written."""
    conn = raw_connection()
    started = time.monotonic()
    count = 0
    step = max(100_000, (total or 0) // 10)
    with conn.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
                if count % step == 0:
                    pct = f" {100 * count / total:3.0f}%" if total else ""
                    say(f"  {table}: {count:,} rows{pct}")
    conn.commit()
    elapsed = time.monotonic() - started
    say(f"  {table}: {count:,} rows in {elapsed:.1f} s ({count / max(elapsed, 1e-9):,.0f} rows/s)")
    return count


def execute(sql: str, params: Sequence | None = None) -> list[tuple]:
    conn = raw_connection()
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
    conn.commit()
    return rows


# What relatives' allowances pay for at designated institutions, as (category, share, lowest and highest
# bill in fen): mostly pharmacy purchases, then outpatient bills, a few inpatient ones.
BILLS = (
    ("drugs", 0.55, 1_500, 40_000),
    ("outpatient", 0.25, 3_000, 80_000),
    ("consumables", 0.08, 1_000, 30_000),
    ("devices", 0.07, 5_000, 200_000),
    ("inpatient", 0.05, 50_000, 800_000),
)


def medical_bill(rng: random.Random) -> tuple[str, int]:
    """A bill's category and out-of-pocket amount in fen, spread evenly on a log scale in its range."""
    category, _share, low, high = rng.choices(BILLS, weights=[bill[1] for bill in BILLS])[0]
    return category, round(math.exp(rng.uniform(math.log(low), math.log(high))))


def yuan(fen: int) -> str:
    """An amount in the API's form: yuan with two decimals, as a string."""
    return f"{fen // 100}.{fen % 100:02d}"
