"""Roster import benchmark: a 100,000-row insuree roster into a fresh PostgreSQL database.

    .venv/bin/python bench/import_roster.py [--rows 100000] [--database gongji_bench_roster]

Generates a realistic roster (valid ID numbers, Chinese names, 60 % employees with balances, 40 %
residents, Dalian and four Jiangsu cities), recreates the database, migrates it, then times

    manage.py import_insurees ROSTER.csv              (the first import: everything is new)
    manage.py import_insurees ROSTER.csv              (the same file again: nothing may change)
    manage.py import_insurees ROSTER-CHANGED.csv      (1 % of rows changed status, region or balance)

each as its own process, as an operator would run it. Prints the timings and checks that the
second run wrote no ledger transaction and that every balance equals the sum of its entries.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英霞平刚桂兰华红建国志文斌宇浩凯鹏辉玲燕萍雪梅琳欣怡子"
    "涵梓轩一诺雨桐晨阳思远博文俊峰海波春燕德胜淑珍玉兰秀珍金凤"
)
# Where the roster's people are insured, and the counties their ID numbers were issued in.
REGIONS = {
    "210200": ["210202", "210203", "210204", "210211", "210212", "210213", "210281", "210283"],
    "320100": ["320102", "320104", "320105", "320106", "320111", "320113", "320114", "320115"],
    "320200": ["320205", "320206", "320211", "320213", "320214", "320281", "320282"],
    "320500": ["320505", "320506", "320507", "320508", "320509", "320581", "320582", "320583"],
    "320400": ["320402", "320404", "320411", "320412", "320413", "320481"],
}
HEADER = ["id_number", "name", "scheme", "region_code", "status", "balance", "phone"]


def roster_rows(count: int, seed: int = 2026) -> list[list[str]]:
    from common.id_numbers import make_id_number

    rng = random.Random(seed)
    seen: set[str] = set()
    rows = []
    while len(rows) < count:
        region = rng.choice(list(REGIONS))
        employee = rng.random() < 0.6
        if employee:
            birth = datetime.date(1962, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 40))
        else:
            birth = datetime.date(1935, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 90))
        sex = rng.choice("MF")
        number = make_id_number(rng.choice(REGIONS[region]), birth, rng.randrange(500), sex)
        if number in seen:
            continue
        seen.add(number)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        status = rng.choices(["active", "suspended", "terminated"], weights=[94, 3, 3])[0]
        balance = ""
        if employee:
            # Most accounts hold a few thousand yuan; some are nearly empty, a few are rich.
            fen = int(rng.lognormvariate(12.5, 1.2)) if rng.random() > 0.05 else rng.randrange(0, 30_000)
            balance = f"{fen // 100}.{fen % 100:02d}"
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" if rng.random() < 0.8 else ""
        rows.append([number, name, "employee" if employee else "resident", region, status, balance, phone])
    return rows


def changed_rows(rows: list[list[str]], share: float = 0.01, seed: int = 7) -> tuple[list[list[str]], int]:
    rng = random.Random(seed)
    changed = [list(row) for row in rows]
    picks = rng.sample(range(len(rows)), int(len(rows) * share))
    for index in picks:
        row = changed[index]
        what = rng.choice(["status", "region", "balance"] if row[2] == "employee" else ["status", "region"])
        if what == "status":
            row[4] = "terminated" if row[4] == "active" else "active"
        elif what == "region":
            row[3] = "320200" if row[3] != "320200" else "210200"
        else:
            row[5] = f"{int(Decimal(row[5]) * 9 / 10):d}.00"
    return changed, len(picks)


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)


def run(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", default="gongji_bench_roster")
    parser.add_argument("--out", type=Path, default=Path("/tmp/gongji-roster-bench"))
    args = parser.parse_args()

    url = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": url,
        "DEBUG": "false",
    }
    os.environ.update(
        {"DJANGO_SETTINGS_MODULE": "config.settings.local", "DATABASE_URL": url, "DEBUG": "false"}
    )
    import django

    django.setup()

    args.out.mkdir(parents=True, exist_ok=True)
    roster, changed_roster = args.out / "roster.csv", args.out / "roster-changed.csv"
    rows = roster_rows(args.rows)
    write_csv(roster, rows)
    changed, changed_count = changed_rows(rows)
    write_csv(changed_roster, changed)

    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", args.database], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", args.database], check=True)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)

    command = [python, "manage.py", "import_insurees"]
    first = run([*command, str(roster)], env)

    from ledger.models import Transaction

    transactions_after_first = Transaction.objects.count()
    again = run([*command, str(roster)], env)
    assert Transaction.objects.count() == transactions_after_first, "a re-import wrote ledger transactions"
    with_changes = run([*command, str(changed_roster)], env)

    from insurees.models import Insuree
    from ledger.selectors import accounts_out_of_balance, transactions_not_balanced

    assert Insuree.objects.count() == args.rows
    assert accounts_out_of_balance() == []
    assert transactions_not_balanced() == []
    print(f"rows: {args.rows}  (database {args.database}, {os.cpu_count()} cores)")
    print(f"first import:               {first:6.1f} s")
    print(f"same file again:            {again:6.1f} s  (no new ledger transaction)")
    print(f"{changed_count} rows changed ({changed_count * 100 // args.rows} %): {with_changes:6.1f} s")


if __name__ == "__main__":
    main()
