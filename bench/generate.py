"""Builds a province's world on PostgreSQL with COPY, keeping every invariant of the portal.

The world is Jiangsu-like: 13 cities (pooling regions), a province-wide binding scope, families that
are not exclusive (so a resident may have two or three authorizers). For N insurees:

- 0.3 N employees, each with a personal account credited by an opening-balance ledger transaction
  (a hundred accounts to a transaction, as a roster import posts them);
  0.7 N residents; every person has a valid ID number (common.id_numbers.make_id_number);
- N/2 active bindings, signed on the current pledge; 84 % of bound residents have one authorizer,
  the rest two or three;
- premium rates for the past three years and the year being collected now (whose collection
  period contains today), and the region policy;
- history: `--past-payments` settled payments (a few refunded) in past collection periods, each with
  its ledger transaction and entries, enrollment, outbox row (dispatched), a notice to each side and
  idempotency key; a refund adds its reversing transaction and notices;
- a login and API token for every person who pays or is paid for, an auditor and counter staff;
- the pools the load draws from (bench_portal_pool, bench_pgbench_pool): beneficiaries not yet
  paid for this year, each with the token of whoever pays;
- the medical part (bench/medical_world.py): designated institutions with their terminals,
  allowances held from the authorizers' accounts, a history of settlements with the statement's day
  of `--statement-settlements` at one hospital, and the settlement load's pools.

Balances are computed as the sum of the generated entries, the ledger is balanced per transaction,
and no balance is ever negative. The tables are then vacuumed and analysed. Ids are assigned here,
so foreign keys are written directly; COPY runs with `session_replication_role = replica` (no
per-row foreign-key triggers) and every foreign key is checked for orphans at the end.

    python bench/generate.py --insurees 1000000 --db gongji_bench
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFAULT_DB, copy_rows, django_setup, execute, say  # noqa: E402
from bench.medical_world import MedicalWorld, json_facts  # noqa: E402

CITIES = [f"32{c:02d}00" for c in range(1, 14)]  # Nanjing 320100 … Suqian 321300
COUNTIES = [f"{city[:4]}{k:02d}" for city in CITIES for k in range(1, 11)]  # issuing regions
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红玉梅"
GIVEN += "玲文辉鹏飞斌宇浩凯秀珍婷雪琳晨阳欣怡子涵梓轩诗雨"
RELATIONS = [
    ("parent", 34),
    ("child", 30),
    ("spouse", 16),
    ("paternal_grandchild", 6),
    ("maternal_grandchild", 5),
    ("sibling", 4),
    ("paternal_grandparent", 3),
    ("maternal_grandparent", 2),
]
REFUND_REASONS = ["paid_twice", "joined_employee", "deceased"]
PASSWORD = "Bench-Passw0rd-2026"  # noqa: S105 - the benchmark's logins, local only
BASE_FEN = {0: 40000, 1: 38000, 2: 35000, 3: 32000}  # by years before the year being collected
TZ = datetime.timezone(datetime.timedelta(hours=8))


@dataclass
class World:
    insurees: int
    bindings: int
    past_payments: int
    seed: int
    allowance_share: float = 0.4
    statement_settlements: int = 100_000

    @property
    def employees(self) -> int:
        return round(self.insurees * 0.3)

    @property
    def residents(self) -> int:
        return self.insurees - self.employees


def premium_fen(year_offset: int, region: str) -> int:
    return BASE_FEN[year_offset] + (int(region[2:4]) % 5) * 1000


def at(day: datetime.date, seconds: float) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(8, 0), TZ) + datetime.timedelta(seconds=seconds)


def generate(world: World) -> None:  # noqa: C901, PLR0912, PLR0915 - one straight pass, step by step
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from accounts.services import staff_user_create
    from common.id_numbers import make_id_number
    from insurees.models import Insuree, PremiumRate, RegionPolicy
    from ledger.services import OPENINGS_PER_TRANSACTION
    from mutual_aid.pledges import STANDARD_PLEDGE_EN, STANDARD_PLEDGE_ZH
    from mutual_aid.services import pledge_publish

    started = time.monotonic()
    rng = random.Random(world.seed)
    if Insuree.objects.exists():
        raise SystemExit("the database already holds insurees: generate into a freshly migrated one")

    today = timezone.localdate()
    year = today.year + 1  # the year whose premiums are being collected now
    opened = at(datetime.date(year - 5, 1, 4), 0)
    E, R, N = world.employees, world.residents, world.insurees
    say(
        f"world: {N:,} insurees ({E:,} employees, {R:,} residents), {world.bindings:,} bindings, "
        f"about {world.past_payments:,} past payments; collecting {year}"
    )

    # --- small reference data through the ORM ------------------------------------------------------
    pledge = pledge_publish(text_zh=STANDARD_PLEDGE_ZH, text_en=STANDARD_PLEDGE_EN)  # or the migrated one
    RegionPolicy.objects.create(region_code="320000", scope="province", exclusive_family=False)
    # The year being collected, the three before it, and (for pgbench's pool when it wraps) the three
    # after it, collected now too.
    for offset in range(-3, 4):
        y = year - offset
        for region in CITIES:
            if offset <= 0:
                start, end = today - datetime.timedelta(days=60), today + datetime.timedelta(days=60)
            else:
                start, end = datetime.date(y - 1, 9, 1), datetime.date(y - 1, 12, 31)
            PremiumRate.objects.create(
                region_code=region,
                year=y,
                amount_fen=premium_fen(max(offset, 0), region),
                collection_start=start,
                collection_end=end,
            )
    auditor = staff_user_create(username="bench_auditor", role="auditor", password=PASSWORD)
    counter = staff_user_create(username="bench_counter", role="counter_staff", password=PASSWORD)
    execute("SET session_replication_role = replica")
    execute("SET synchronous_commit = off")

    # --- persons and insurees ----------------------------------------------------------------------
    say("persons: ID numbers, names, regions")
    id_numbers: list[str] = [""] * N
    names: list[str] = [""] * N
    births: list[datetime.date] = [today] * N
    sexes: list[str] = [""] * N
    regions: list[str] = [""] * N
    active: list[bool] = [True] * N
    emp_epoch, res_epoch = datetime.date(today.year - 60, 1, 1), datetime.date(today.year - 88, 1, 1)
    emp_days, res_days = 15_000, 32_000
    surnames, given = SURNAMES, GIVEN
    for i in range(N):
        if i < E:
            n, epoch, days, seq0 = i, emp_epoch, emp_days, 0
        else:
            n, epoch, days, seq0 = i - E, res_epoch, res_days, 250
        county = n % 130
        rest = n // 130
        birth = epoch + datetime.timedelta(days=rest % days)
        sex = "M" if rng.getrandbits(1) else "F"
        id_numbers[i] = make_id_number(COUNTIES[county], birth, seq0 + rest // days, sex)
        births[i], sexes[i] = birth, sex
        names[i] = rng.choice(surnames) + "".join(rng.choices(given, k=1 + (rng.random() < 0.7)))
        regions[i] = CITIES[county // 10] if rng.random() < 0.9 else rng.choice(CITIES)
        active[i] = rng.random() >= 0.02
    if len(set(id_numbers)) != N:
        raise SystemExit("ID numbers collide: the layout of issuing regions and birth dates is too small")

    # --- bindings ----------------------------------------------------------------------------------
    say("bindings: beneficiaries and their authorizers")
    active_emps = [e for e in range(E) if active[e]]
    active_res = [r for r in range(E, N) if active[r]]
    rng.shuffle(active_res)
    bound_count = min(len(active_res), round(world.bindings * 21 / 25))
    bound = active_res[:bound_count]
    three, two = bound_count // 21, 2 * bound_count // 21
    rel_names = [name for name, _w in RELATIONS]
    rel_weights = [w for _n, w in RELATIONS]
    bindings: list[tuple[int, int, str, datetime.datetime]] = []  # (authorizer idx, beneficiary idx, …)
    bindings_of: dict[int, list[int]] = {}
    per_emp = [0] * E
    bind_span = (datetime.date(year - 4, 8, 31) - datetime.date(year - 5, 1, 10)).days * 86400
    bind_start = datetime.date(year - 5, 1, 10)
    for k, r in enumerate(bound):
        m = 3 if k < three else 2 if k < three + two else 1
        chosen: set[int] = set()
        while len(chosen) < m:
            chosen.add(active_emps[rng.randrange(len(active_emps))])
        ids = []
        for e in sorted(chosen):
            ids.append(len(bindings))
            bindings.append(
                (e, r, rng.choices(rel_names, rel_weights)[0], at(bind_start, rng.random() * bind_span))
            )
            per_emp[e] += 1
        bindings_of[r] = ids
    say(f"  {len(bindings):,} bindings over {bound_count:,} residents ({three:,} with 3, {two:,} with 2)")

    # --- users and tokens --------------------------------------------------------------------------
    user_base = execute("SELECT coalesce(max(id), 0) FROM auth_user")[0][0] + 1
    user_of: dict[int, int] = {}
    for i in [e for e in range(E) if per_emp[e]] + bound:
        user_of[i] = user_base + len(user_of)
    password_hash = make_password(PASSWORD)
    token_of = {i: f"{rng.getrandbits(160):040x}" for i in user_of}

    # --- past payments -----------------------------------------------------------------------------
    say("history: past payments, refunds, running balances")
    p = min(1.0, world.past_payments / max(1, bound_count * 3))
    events = []  # (time, resident, binding, year offset, channel, refund time or None, reason)
    for r in bound:
        for offset in (3, 2, 1):
            if rng.random() >= p:
                continue
            y = year - offset
            when = at(datetime.date(y - 1, 9, 1), rng.random() * 120 * 86400)
            b = rng.choice(bindings_of[r])
            c = rng.random()
            channel = "authorizer" if c < 0.6 else "self" if c < 0.97 else "counter"
            refund = None
            if rng.random() < 0.005:
                refund = when + datetime.timedelta(days=1 + rng.random() * 10)
            events.append((when, r, b, offset, channel, refund))
    events.sort(key=lambda ev: ev[0])
    say(f"  {len(events):,} past payments")

    acc_external, acc_fund0, acc_personal0 = 1, 2, 2 + len(CITIES)
    fund_of = {region: acc_fund0 + k for k, region in enumerate(CITIES)}
    medical = MedicalWorld(
        seed=world.seed,
        today=today,
        cities=CITIES,
        insurees=N,
        bound=bound,
        bindings=bindings,
        bindings_of=bindings_of,
        user_of=user_of,
        token_of=token_of,
        allowance_share=world.allowance_share,
        statement_settlements=world.statement_settlements,
        account0=acc_personal0 + E,
        user0=user_base + len(user_of),
    )
    medical.plan()
    held = medical.held_by(E)
    debits = [0] * E
    for _when, r, b, offset, _channel, _refund in events:
        debits[bindings[b][0]] += premium_fen(offset, regions[r])
    # What the allowances hold is on top: the balance left to pay premiums with is as without them.
    opening = [
        debits[e] + held[e] + 2 * 45_000 * per_emp[e] + 10_000 + rng.randrange(0, 3_000_000) for e in range(E)
    ]
    balance = list(opening)
    fund_balance = dict.fromkeys(CITIES, 0)

    # ledger rows: openings first, as a roster import posts them (OPENINGS_PER_TRANSACTION accounts
    # to a transaction), then payments, refunds and allowance holds in time order, then settlements
    txn_rows: list[tuple] = []
    entry_rows: list[tuple] = []
    for first in range(0, E, OPENINGS_PER_TRANSACTION):
        txn = len(txn_rows) + 1
        batch = range(first, min(first + OPENINGS_PER_TRANSACTION, E))
        txn_rows.append((txn, "opening balance", "", opened, None))
        entry_rows.append((len(entry_rows) + 1, txn, acc_external, -sum(opening[e] for e in batch), opened))
        for e in batch:
            entry_rows.append((len(entry_rows) + 1, txn, acc_personal0 + e, opening[e], opened))

    ledger_events = [(when, 0, n) for n, (when, *_rest) in enumerate(events)]
    ledger_events += [(ev[5], 1, n) for n, ev in enumerate(events) if ev[5] is not None]
    ledger_events += medical.hold_events()
    ledger_events.sort(key=lambda ev: (ev[0], ev[1]))
    payment_txn: dict[int, int] = {}
    refund_txn: dict[int, int] = {}
    notice_rows: list[tuple] = []
    references = [f"GJ{ev[0]:%Y%m%d}{n + 1:012d}" for n, ev in enumerate(events)]
    for when, kind, n in ledger_events:
        if kind == 2:  # an allowance set: its hold, from the personal account
            e = medical.allowances[n].authorizer
            balance[e] -= medical.allowances[n].amount_fen
            for row in medical.post_hold(n, txn_rows, entry_rows, acc_personal0 + e, balance[e], names):
                notice_rows.append((len(notice_rows) + 1, *json_facts(row)))
            continue
        _w, r, b, offset, _channel, _refund = events[n]
        e = bindings[b][0]
        amount, region = premium_fen(offset, regions[r]), regions[r]
        txn = len(txn_rows) + 1
        sign = -1 if kind == 0 else 1
        if kind == 0:
            payment_txn[n] = txn
            txn_rows.append((txn, f"premium {year - offset} {region}", references[n], when, None))
        else:
            refund_txn[n] = txn
            txn_rows.append((txn, f"refund {references[n]}", references[n], when, payment_txn[n]))
        entry_rows.append((len(entry_rows) + 1, txn, acc_personal0 + e, sign * amount, when))
        entry_rows.append((len(entry_rows) + 1, txn, fund_of[region], -sign * amount, when))
        balance[e] += sign * amount
        fund_balance[region] -= sign * amount
        # A notice to each side, with the facts pay.sql and the refund write (delivered long ago).
        facts = {
            "payment_id": n + 1,
            "year": year - offset,
            "amount_fen": amount,
            "relation": bindings[b][2],
            "channel": _channel,
            **({"reason": REFUND_REASONS[n % 3]} if kind else {}),
        }
        for person, notice_kind, own in (
            (e, "refund" if kind else "debit", {"relative_name": names[r], "balance_after_fen": balance[e]}),
            (r, "premium_refunded" if kind else "premium_paid", {"relative_name": names[e]}),
        ):
            notice_facts = {**facts, "reader_is_authorizer": person == e, **own}
            notice_rows.append(
                (len(notice_rows) + 1, person + 1, notice_kind, json.dumps(notice_facts, ensure_ascii=False),
                 "payment", n + 1, "", when, when, 0)
            )  # fmt: skip
    medical.post_settlements(txn_rows, entry_rows)
    if min(balance, default=0) < 0 or min(fund_balance.values()) < 0:
        raise SystemExit("a generated balance went negative")

    # --- COPY --------------------------------------------------------------------------------------
    say("COPY: users, tokens, accounts, persons, insurees")
    copy_rows(
        "auth_user",
        [
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
        ],
        (
            (uid, password_hash, False, id_numbers[i], "", "", "", False, True, opened)
            for i, uid in user_of.items()
        ),
        len(user_of),
    )
    copy_rows(
        "authtoken_token",
        ["key", "user_id", "created"],
        ((token_of[i], uid, opened) for i, uid in user_of.items()),
        len(user_of),
    )
    account_rows = [(acc_external, "external:employee_contributions", "external", "", -sum(opening), opened)]
    account_rows += [
        (
            fund_of[region],
            f"fund:resident_premium:{region}",
            "fund",
            f"Resident premium fund {region}",
            fund_balance[region],
            opened,
        )
        for region in CITIES
    ]
    copy_rows("ledger_account", ["id", "code", "kind", "name", "balance_fen", "created_at"], account_rows)
    copy_rows(
        "ledger_account",
        ["id", "code", "kind", "name", "balance_fen", "created_at"],
        (
            (acc_personal0 + e, f"personal:{id_numbers[e]}", "personal", names[e], balance[e], opened)
            for e in range(E)
        ),
        E,
    )
    copy_rows(
        "ledger_account",
        ["id", "code", "kind", "name", "balance_fen", "created_at"],
        medical.account_rows(opened),
    )
    phone_digits = "3456789"
    copy_rows(
        "insurees_person",
        ["id", "id_number", "name", "phone", "email", "birth_date", "sex", "created_at", "user_id"],
        (
            (
                i + 1,
                id_numbers[i],
                names[i],
                f"1{phone_digits[i % 7]}{(i * 7919) % 10**9:09d}",
                "",
                births[i],
                sexes[i],
                opened,
                user_of.get(i),
            )
            for i in range(N)
        ),
        N,
    )
    statuses = ("suspended", "terminated")
    copy_rows(
        "insurees_insuree",
        ["id", "person_id", "scheme", "region_code", "status", "since", "account_id", "updated_at"],
        (
            (
                i + 1,
                i + 1,
                "employee" if i < E else "resident",
                regions[i],
                "active" if active[i] else statuses[i % 2],
                opened.date(),
                acc_personal0 + i if i < E else None,
                opened,
            )
            for i in range(N)
        ),
        N,
    )
    say("COPY: bindings")
    copy_rows(
        "mutual_aid_binding",
        [
            "id",
            "authorizer_id",
            "beneficiary_id",
            "relation",
            "status",
            "self_pay_paused",
            "created_at",
            "end_reason",
            "pledge_id",
            "pledge_version",
            "pledge_sha256",
            "signed_at",
            "signer_id",
            "channel",
            "operator_id",
            "counter_id",
            "paper_pledge_ref",
        ],
        (
            (
                k + 1,
                e + 1,
                r + 1,
                relation,
                "active",
                False,
                when,
                "",
                pledge.pk,
                pledge.version,
                pledge.sha256,
                when,
                e + 1,
                "online",
                None,
                "",
                "",
            )
            for k, (e, r, relation, when) in enumerate(bindings)
        ),
        len(bindings),
    )
    say("COPY: ledger")
    copy_rows("ledger_transaction", ["id", "memo", "reference", "created_at", "reverses_id"], txn_rows)
    copy_rows("ledger_entry", ["id", "transaction_id", "account_id", "amount_fen", "created_at"], entry_rows)
    del txn_rows, entry_rows

    say("COPY: payments and what goes with them")
    second = datetime.timedelta(seconds=1)

    def payment_rows():
        for n, (when, r, b, offset, channel, refund) in enumerate(events):
            e, _r, relation, _bwhen = bindings[b]
            counter_op = counter.pk if channel == "counter" else None
            yield (
                n + 1,
                references[n],
                year - offset,
                premium_fen(offset, regions[r]),
                regions[r],
                relation,
                channel,
                "refunded" if refund else "settled",
                "C01" if counter_op else "",
                f"{rng.getrandbits(32):08X}",
                when,
                when + second * (0.2 + rng.random() * 0.6),
                REFUND_REASONS[n % 3] if refund else "",
                "",
                refund,
                e + 1,
                r + 1,
                b + 1,
                payment_txn[n],
                counter_op,
                refund_txn.get(n),
                counter.pk if refund else None,
            )

    copy_rows(
        "payments_payment",
        [
            "id",
            "reference",
            "year",
            "amount_fen",
            "region_code",
            "relation",
            "channel",
            "status",
            "counter_id",
            "verification_code",
            "created_at",
            "enrollment_synced_at",
            "refund_reason",
            "refund_note",
            "refunded_at",
            "authorizer_id",
            "beneficiary_id",
            "binding_id",
            "ledger_transaction_id",
            "operator_id",
            "refund_transaction_id",
            "refunded_by_id",
        ],
        payment_rows(),
        len(events),
    )
    copy_rows(
        "insurees_enrollment",
        ["id", "insuree_id", "year", "paid", "payment_id", "paid_at", "updated_at"],
        (
            (
                n + 1,
                r + 1,
                year - offset,
                refund is None,
                None if refund else n + 1,
                None if refund else when + second,
                refund or when + second,
            )
            for n, (when, r, _b, offset, _c, refund) in enumerate(events)
        ),
        len(events),
    )
    copy_rows(
        "payments_outboxmessage",
        ["id", "topic", "payment_id", "created_at", "dispatched_at", "attempts", "last_error"],
        (
            (n + 1, "enrollment_sync", n + 1, ev[0], ev[0] + second * 0.05, 0, "")
            for n, ev in enumerate(events)
        ),
        len(events),
    )
    copy_rows(
        "notices_notice",
        [
            "id",
            "person_id",
            "kind",
            "facts",
            "link_kind",
            "link_id",
            "dedup_key",
            "created_at",
            "delivered_at",
            "delivery_attempts",
        ],
        notice_rows,
    )

    def payer(channel: str, b: int) -> int:
        e, r, _relation, _when = bindings[b]
        return counter.pk if channel == "counter" else user_of[e] if channel == "authorizer" else user_of[r]

    copy_rows(
        "payments_idempotencykey",
        ["id", "user_id", "key", "fingerprint", "created_at"],
        (
            (
                n + 1,
                payer(ev[4], ev[2]),
                f"{rng.getrandbits(128):032x}",
                f"{rng.getrandbits(256):064x}",
                ev[0],
            )
            for n, ev in enumerate(events)
        ),
        len(events),
    )
    copy_rows(
        "payments_idempotencykey_payments",
        ["id", "idempotencykey_id", "payment_id"],
        ((n + 1, n + 1, n + 1) for n in range(len(events))),
        len(events),
    )

    medical.copy(password_hash=password_hash, opened=opened)

    # --- the load's pools --------------------------------------------------------------------------
    say("pools: beneficiaries to pay for this year, and who pays; relatives who settle, and where")
    execute("""
        DROP TABLE IF EXISTS bench_portal_pool, bench_pgbench_pool, bench_meta;
        DROP SEQUENCE IF EXISTS bench_pgbench_seq;
        CREATE TABLE bench_meta (key text PRIMARY KEY, value text NOT NULL);
        CREATE TABLE bench_portal_pool (
            id integer PRIMARY KEY, pool text NOT NULL, kind text NOT NULL, token text NOT NULL,
            beneficiary_id bigint NOT NULL, beneficiary_id_number text NOT NULL, authorizer_id bigint);
        CREATE TABLE bench_pgbench_pool (
            id integer PRIMARY KEY, is_self integer NOT NULL, user_id integer NOT NULL,
            beneficiary_id bigint NOT NULL, authorizer_id bigint NOT NULL, account_id bigint NOT NULL,
            binding_id bigint NOT NULL,
            authorizer_person_id bigint NOT NULL, relation text NOT NULL, region_code text NOT NULL,
            amount_fen integer NOT NULL, fund_account_id bigint NOT NULL,
            payer_person_id bigint NOT NULL, beneficiary_id_number text NOT NULL);
        CREATE SEQUENCE bench_pgbench_seq MINVALUE 0 START 0;
    """)
    candidates = list(bound)
    rng.shuffle(candidates)
    n_portal = int(len(candidates) * 0.75)
    n_profile = max(1, int(len(candidates) * 0.05))
    portal, profile, pgb = (
        candidates[:n_portal],
        candidates[n_portal : n_portal + n_profile],
        candidates[n_portal + n_profile :],
    )

    def portal_rows():
        for pool, members in (("load", portal), ("profile", profile)):
            for r in members:
                if rng.random() < 0.5:
                    e = bindings[rng.choice(bindings_of[r])][0]
                    yield (pool, "a", token_of[e], r + 1, id_numbers[r], e + 1)
                else:
                    yield (pool, "s", token_of[r], r + 1, id_numbers[r], None)

    copy_rows(
        "bench_portal_pool",
        ["id", "pool", "kind", "token", "beneficiary_id", "beneficiary_id_number", "authorizer_id"],
        ((k, *row) for k, row in enumerate(portal_rows())),
        len(portal) + len(profile),
    )

    def pgbench_rows():
        for k, r in enumerate(pgb):
            b = rng.choice(bindings_of[r])
            e, _r, relation, _when = bindings[b]
            is_self = k % 2
            yield (
                k,
                is_self,
                user_of[r] if is_self else user_of[e],
                r + 1,
                e + 1,
                acc_personal0 + e,
                b + 1,
                e + 1,
                relation,
                regions[r],
                premium_fen(0, regions[r]),
                fund_of[regions[r]],
                r + 1 if is_self else e + 1,
                id_numbers[r],
            )

    copy_rows(
        "bench_pgbench_pool",
        [
            "id",
            "is_self",
            "user_id",
            "beneficiary_id",
            "authorizer_id",
            "account_id",
            "binding_id",
            "authorizer_person_id",
            "relation",
            "region_code",
            "amount_fen",
            "fund_account_id",
            "payer_person_id",
            "beneficiary_id_number",
        ],
        pgbench_rows(),
        len(pgb),
    )
    auditor_token = f"{rng.getrandbits(160):040x}"
    execute(
        "INSERT INTO authtoken_token (key, user_id, created) VALUES (%s, %s, now())",
        [auditor_token, auditor.pk],
    )
    meta = {
        "year": year,
        "insurees": N,
        "employees": E,
        "residents": R,
        "bindings": len(bindings),
        "past_payments": len(events),
        "portal_pool": len(portal),
        "profile_pool": len(profile),
        "pgbench_pool": len(pgb),
        "auditor_token": auditor_token,
        "seed": world.seed,
        "generated_at": timezone.now().isoformat(),
        **medical.copy_pools(),
    }
    for key, value in meta.items():
        execute("INSERT INTO bench_meta (key, value) VALUES (%s, %s)", [key, str(value)])

    # --- sequences, foreign keys, statistics -------------------------------------------------------
    execute("SET session_replication_role = origin")
    say("sequences")
    for (table,) in execute("""
        SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE a.attname = 'id' AND a.attidentity <> '' AND c.relkind = 'r'
    """):
        execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) "
            f"FROM {table}"
        )
    say("foreign keys: every reference points at a row")
    orphans = check_foreign_keys()
    if orphans:
        raise SystemExit(f"orphaned references: {orphans}")
    say("VACUUM ANALYZE")
    connection.ensure_connection()
    execute("VACUUM ANALYZE")
    size = execute("SELECT pg_size_pretty(pg_database_size(current_database()))")[0][0]
    say(f"world ready in {time.monotonic() - started:.0f} s; database size {size}")


def check_foreign_keys() -> dict[str, int]:
    """Counts rows whose foreign key points nowhere, for every foreign key of the bench database."""
    found = {}
    for table, column, parent, parent_column in execute("""
        SELECT cl.relname, att.attname, pcl.relname, patt.attname
        FROM pg_constraint con
        JOIN pg_class cl ON cl.oid = con.conrelid
        JOIN pg_class pcl ON pcl.oid = con.confrelid
        JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1]
        JOIN pg_attribute patt ON patt.attrelid = con.confrelid AND patt.attnum = con.confkey[1]
        WHERE con.contype = 'f'
    """):
        [(count,)] = execute(
            f"SELECT count(*) FROM {table} c WHERE c.{column} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{parent_column} = c.{column})"
        )
        if count:
            found[f"{table}.{column}"] = count
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--insurees", type=int, default=1_000_000)
    parser.add_argument("--bindings", type=int, help="default: half the insurees")
    parser.add_argument("--past-payments", type=int, help="default: as many as insurees")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument(
        "--allowance-share", type=float, default=0.4, help="bound residents with an allowance"
    )
    parser.add_argument(
        "--statement-settlements", type=int, default=100_000, help="settlements on the statement's day"
    )
    parser.add_argument("--db", default=DEFAULT_DB)
    args = parser.parse_args()
    django_setup(args.db)
    generate(
        World(
            insurees=args.insurees,
            bindings=args.bindings or args.insurees // 2,
            past_payments=args.past_payments if args.past_payments is not None else args.insurees,
            seed=args.seed,
            allowance_share=args.allowance_share,
            statement_settlements=args.statement_settlements,
        )
    )


if __name__ == "__main__":
    main()
