"""The medical part of the benchmark's world (bench/generate.py): designated institutions with their
terminals, allowances (共济额度) and a history of settlements, written with COPY as their SQL writes them.

- institutions: one for every 5,000 insurees (at least one per city), 30 % hospitals, each with its
  payable account and one to eight terminal logins (group `institution`) with API tokens;
- allowances: on the bindings of a share of the bound residents (the first binding of each, a
  further one three times in ten), each with its hold account, filled by an `allowance hold`
  transaction from the authorizer's personal account (whose opening balance the generator raises by
  as much, so the rest of the world is what it would be without them), its `set` change and a
  notice to each side;
- history: the statement's day (yesterday) at the first institution, a hospital with
  `statement_settlements` settlements, and two settlements at other institutions in the last month
  for each relative of the history pool; each with its used voucher and its ledger transaction
  (hold to payable), 1 % reversed the same day, 0.5 % partly refunded into the allowance, each
  reversal and refund one transaction (payable to hold). An allowance's amount is what its history
  spent plus 10,000 to 50,000 yuan left, so the load hardly ever exhausts it;
- the load's pools: relatives with an allowance and the token of their phone for the portal
  (bench_settle_pool), the terminals' tokens (bench_terminal_pool), and for pgbench relatives with a
  terminal and a bill each (bench_pgbench_settle_pool); the three sets of relatives are disjoint.

Balances are the sums of these entries: every hold holds amount − spent, every payable account its
institution's settlements net of reversals and refunds (bench/check.py checks both after the load).
"""

from __future__ import annotations

import datetime
import json
import random
from dataclasses import dataclass, field

from bench.common import copy_rows, execute, medical_bill, say

CITY_NAMES = "南京 无锡 徐州 常州 苏州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁".split()
INSURED_PER_INSTITUTION = 5_000
TZ = datetime.timezone(datetime.timedelta(hours=8))


@dataclass
class PlannedAllowance:
    binding: int  # index into the generator's bindings
    authorizer: int  # person index (an employee)
    beneficiary: int  # person index (a resident)
    created_at: datetime.datetime
    amount_fen: int = 0
    spent_fen: int = 0
    transaction: int = 0


@dataclass
class PlannedSettlement:
    institution: int
    terminal: int
    allowance: int
    category: str
    amount_fen: int
    business_date: datetime.date
    created_at: datetime.datetime
    reversed_at: datetime.datetime | None = None
    refund_fen: int = 0
    refund_at: datetime.datetime | None = None
    transaction: int = 0
    reversal_transaction: int | None = None
    refund_transaction: int | None = None


@dataclass
class MedicalWorld:
    seed: int
    today: datetime.date
    cities: list[str]
    insurees: int
    bound: list[int]  # bound residents, person indexes
    bindings: list[tuple[int, int, str, datetime.datetime]]  # (authorizer, beneficiary, relation, when)
    bindings_of: dict[int, list[int]]
    user_of: dict[int, int]
    token_of: dict[int, str]
    allowance_share: float
    statement_settlements: int
    account0: int  # the first free ledger account id
    user0: int  # the first free user id
    allowances: list[PlannedAllowance] = field(default_factory=list)
    institutions: list[tuple[str, str, str, str]] = field(default_factory=list)  # code, name, kind, region
    terminals: list[tuple[int, str]] = field(default_factory=list)  # (institution, token)
    settlements: list[PlannedSettlement] = field(default_factory=list)
    pools: dict[str, list[int]] = field(default_factory=dict)  # beneficiaries of each pool

    def plan(self) -> None:
        rng = random.Random(self.seed + 1)  # a stream of its own: the payment world stays as it was
        self._plan_institutions(rng)
        with_allowance = rng.sample(self.bound, round(len(self.bound) * self.allowance_share))
        first_of: dict[int, int] = {}
        for r in with_allowance:
            ids = self.bindings_of[r]
            for n, b in enumerate(ids):
                if n == 0 or rng.random() < 0.3:
                    e, _r, _relation, bound_at = self.bindings[b]
                    first_of.setdefault(r, len(self.allowances))
                    created = bound_at + datetime.timedelta(days=1 + rng.random() * 400)
                    self.allowances.append(PlannedAllowance(b, e, r, created))
        n_load, n_pgbench = round(len(with_allowance) * 0.55), round(len(with_allowance) * 0.30)
        self.pools = {
            "load": with_allowance[:n_load],
            "pgbench": with_allowance[n_load : n_load + n_pgbench],
            "history": with_allowance[n_load + n_pgbench :],
        }
        self._plan_history(rng, [first_of[r] for r in self.pools["history"]])
        for a in self.allowances:
            # Rounded up to whole hundreds of yuan, as a person sets one.
            a.amount_fen = -(-(a.spent_fen + rng.randrange(1_000_000, 5_000_001)) // 10_000) * 10_000
        say(
            f"  {len(self.institutions):,} institutions, {len(self.terminals):,} terminals, "
            f"{len(self.allowances):,} allowances of {len(with_allowance):,} relatives, "
            f"{len(self.settlements):,} past settlements ({self.statement_settlements:,} on the statement's day)"
        )

    def _plan_institutions(self, rng: random.Random) -> None:
        count = max(len(self.cities), self.insurees // INSURED_PER_INSTITUTION)
        for i in range(count):
            k = i % len(self.cities)
            region, city = self.cities[k], CITY_NAMES[k]
            hospital = i == 0 or rng.random() < 0.3
            if hospital:
                code, name = f"H{region}{i:05d}", f"{city}市第{i // len(self.cities) + 1}人民医院"
            else:
                code, name = f"P{region}{i:05d}", f"{city}百姓大药房第{i // len(self.cities) + 1}分店"
            self.institutions.append((code, name, "hospital" if hospital else "pharmacy", region))
            # The statement's hospital has a cashier at each of eight windows.
            for _t in range(8 if i == 0 else 2 if hospital else 1):
                self.terminals.append((i, f"{rng.getrandbits(160):040x}"))

    def _plan_history(self, rng: random.Random, history: list[int]) -> None:
        if not history:
            return
        terminals_of: dict[int, list[int]] = {}
        for t, (i, _token) in enumerate(self.terminals):
            terminals_of.setdefault(i, []).append(t)
        yesterday = self.today - datetime.timedelta(days=1)

        def settle(i: int, a: int, day: datetime.date, refund_by: datetime.date) -> None:
            category, amount = medical_bill(rng)
            created = datetime.datetime.combine(day, datetime.time(8), TZ) + datetime.timedelta(
                seconds=rng.random() * 12 * 3600
            )
            s = PlannedSettlement(i, rng.choice(terminals_of[i]), a, category, amount, day, created)
            draw = rng.random()
            if draw < 0.01:
                s.reversed_at = created + datetime.timedelta(seconds=60 + rng.random() * 3000)
            elif draw < 0.015:
                s.refund_fen = max(1, amount * rng.randrange(10, 60) // 100)
                back = rng.randrange(0, (refund_by - day).days + 1)
                s.refund_at = created + datetime.timedelta(days=back, seconds=600 + rng.random() * 3000)
            allowance = self.allowances[a]
            allowance.spent_fen += 0 if s.reversed_at else amount - s.refund_fen
            self.settlements.append(s)

        for _n in range(self.statement_settlements):
            settle(0, history[rng.randrange(len(history))], yesterday, yesterday)
        for a in history:
            for _n in range(2):
                day = self.today - datetime.timedelta(days=rng.randrange(2, 31))
                refund_by = min(yesterday, day + datetime.timedelta(days=5))
                settle(rng.randrange(1, len(self.institutions)), a, day, refund_by)
        self.settlements.sort(key=lambda s: s.created_at)

    # --- ids -------------------------------------------------------------------------------------------

    def hold_account(self, a: int) -> int:
        return self.account0 + a

    def payable_account(self, i: int) -> int:
        return self.account0 + len(self.allowances) + i

    def terminal_user(self, t: int) -> int:
        return self.user0 + t

    def held_by(self, employees: int) -> list[int]:
        """What each employee's allowances hold, to be added to his opening balance."""
        held = [0] * employees
        for a in self.allowances:
            held[a.authorizer] += a.amount_fen
        return held

    # --- the ledger ------------------------------------------------------------------------------------

    def hold_events(self) -> list[tuple[datetime.datetime, int, int]]:
        """(time, 2, allowance) for the generator's pass over the ledger in time order."""
        return [(a.created_at, 2, k) for k, a in enumerate(self.allowances)]

    def post_hold(
        self,
        k: int,
        txn_rows: list,
        entry_rows: list,
        personal_account: int,
        available_after: int,
        names: list[str],
    ) -> list[tuple]:
        """The allowance's hold transaction; returns its two notices' rows (without their ids)."""
        a = self.allowances[k]
        txn = len(txn_rows) + 1
        a.transaction = txn
        when = a.created_at
        txn_rows.append((txn, "allowance hold", f"allowance:{k + 1}", when, None))
        entry_rows.append((len(entry_rows) + 1, txn, personal_account, -a.amount_fen, when))
        entry_rows.append((len(entry_rows) + 1, txn, self.hold_account(k), a.amount_fen, when))
        relation = self.bindings[a.binding][2]
        facts = {
            "allowance_id": k + 1,
            "binding_id": a.binding + 1,
            "relation": relation,
            "amount_before_fen": 0,
            "amount_after_fen": a.amount_fen,
        }
        own = {"reader_is_authorizer": True, "relative_name": names[a.beneficiary]}
        return [
            (a.authorizer + 1, "allowance_set", {**facts, **own, "available_after_fen": available_after},
             "binding", a.binding + 1, "", when, when, 0),
            (a.beneficiary + 1, "allowance_set",
             {**facts, "reader_is_authorizer": False, "relative_name": names[a.authorizer]},
             "binding", a.binding + 1, "", when, when, 0),
        ]  # fmt: skip

    def post_settlements(self, txn_rows: list, entry_rows: list) -> None:
        """Each settlement, reversal and refund as one balanced transaction, as settlements.sql posts it."""

        def post(memo: str, reference: str, legs: list[tuple[int, int]], when: datetime.datetime) -> int:
            txn = len(txn_rows) + 1
            txn_rows.append((txn, memo, reference, when, None))
            for account, amount in legs:
                entry_rows.append((len(entry_rows) + 1, txn, account, amount, when))
            return txn

        later: list[tuple[datetime.datetime, int, int]] = []  # reversals and refunds, in time order
        for n, s in enumerate(self.settlements):
            hold, payable = self.hold_account(s.allowance), self.payable_account(s.institution)
            s.transaction = post(
                "settlement",
                f"settlement:{n + 1}",
                [(hold, -s.amount_fen), (payable, s.amount_fen)],
                s.created_at,
            )
            if s.reversed_at:
                later.append((s.reversed_at, 0, n))
            if s.refund_at:
                later.append((s.refund_at, 1, n))
        refunds = 0
        for when, kind, n in sorted(later):
            s = self.settlements[n]
            hold, payable = self.hold_account(s.allowance), self.payable_account(s.institution)
            if kind == 0:
                legs = [(payable, -s.amount_fen), (hold, s.amount_fen)]
                s.reversal_transaction = post("settlement reversal", f"settlement:{n + 1}", legs, when)
            else:
                refunds += 1
                legs = [(payable, -s.refund_fen), (hold, s.refund_fen)]
                s.refund_transaction = post("settlement refund", f"settlement-refund:{refunds}", legs, when)

    def account_rows(self, opened: datetime.datetime) -> list[tuple]:
        payable = [0] * len(self.institutions)
        for s in self.settlements:
            payable[s.institution] += 0 if s.reversed_at else s.amount_fen - s.refund_fen
        rows = [
            (self.hold_account(k), f"hold:allowance:{k + 1}", "hold", f"Allowance {k + 1}",
             a.amount_fen - a.spent_fen, a.created_at)
            for k, a in enumerate(self.allowances)
        ]  # fmt: skip
        rows += [
            (self.payable_account(i), f"payable:institution:{code}", "payable", code, payable[i], opened)
            for i, (code, _name, _kind, _region) in enumerate(self.institutions)
        ]
        return rows

    # --- COPY ------------------------------------------------------------------------------------------

    def copy(self, *, password_hash: str, opened: datetime.datetime) -> None:  # noqa: PLR0915 - one table after another
        from django.contrib.auth.models import Group

        from common.permissions import INSTITUTION

        rng = random.Random(self.seed + 2)
        say("COPY: institutions, terminals, allowances, past settlements")
        copy_rows(
            "medical_institution",
            ["id", "code", "name", "kind", "region_code", "status", "account_id", "created_at", "updated_at"],
            (
                (i + 1, code, name, kind, region, "active", self.payable_account(i), opened, opened)
                for i, (code, name, kind, region) in enumerate(self.institutions)
            ),
        )
        copy_rows(
            "auth_user",
            ["id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff",
             "is_active", "date_joined"],
            (
                (self.terminal_user(t), password_hash, False, f"terminal_{self.institutions[i][0]}_{t}", "", "",
                 "", False, True, opened)
                for t, (i, _token) in enumerate(self.terminals)
            ),
        )  # fmt: skip
        group = execute("SELECT id FROM auth_group WHERE name = %s", [INSTITUTION])
        group_id = group[0][0] if group else Group.objects.create(name=INSTITUTION).pk
        copy_rows(
            "auth_user_groups",
            ["user_id", "group_id"],
            ((self.terminal_user(t), group_id) for t in range(len(self.terminals))),
        )
        copy_rows(
            "authtoken_token",
            ["key", "user_id", "created"],
            ((token, self.terminal_user(t), opened) for t, (_i, token) in enumerate(self.terminals)),
        )
        copy_rows(
            "medical_institutionterminal",
            ["id", "user_id", "institution_id", "created_at"],
            ((t + 1, self.terminal_user(t), i + 1, opened) for t, (i, _token) in enumerate(self.terminals)),
        )
        copy_rows(
            "medical_allowance",
            ["id", "binding_id", "authorizer_id", "beneficiary_id", "hold_account_id", "amount_fen", "spent_fen",
             "notify_over_fen", "status", "created_at", "released_at", "release_reason"],
            (
                (k + 1, a.binding + 1, a.authorizer + 1, a.beneficiary + 1, self.hold_account(k), a.amount_fen,
                 a.spent_fen, 0, "active", a.created_at, None, "")
                for k, a in enumerate(self.allowances)
            ),
            len(self.allowances),
        )  # fmt: skip
        copy_rows(
            "medical_allowancechange",
            ["id", "allowance_id", "user_id", "idempotency_key", "kind", "amount_before_fen", "amount_after_fen",
             "ledger_transaction_id", "created_at"],
            (
                (k + 1, k + 1, self.user_of[a.authorizer], f"{rng.getrandbits(128):032x}", "set", 0, a.amount_fen,
                 a.transaction, a.created_at)
                for k, a in enumerate(self.allowances)
            ),
            len(self.allowances),
        )  # fmt: skip

        def own_id(n: int, s: PlannedSettlement) -> str:
            return f"{self.institutions[s.institution][0]}-{s.business_date:%Y%m%d}-{n + 1:08d}"

        copy_rows(
            "medical_voucher",
            ["id", "code_sha256", "beneficiary_id", "created_at", "expires_at", "used_at", "used_by_id",
             "used_for", "refusal", "refusal_detail"],
            (
                (n + 1, f"{rng.getrandbits(256):064x}", self.allowances[s.allowance].beneficiary + 1,
                 s.created_at - datetime.timedelta(seconds=30), s.created_at + datetime.timedelta(seconds=30),
                 s.created_at, s.institution + 1, own_id(n, s), "", "")
                for n, s in enumerate(self.settlements)
            ),
            len(self.settlements),
        )  # fmt: skip

        def settlement_rows():
            for n, s in enumerate(self.settlements):
                a = self.allowances[s.allowance]
                user = self.terminal_user(s.terminal)
                yield (
                    n + 1, s.institution + 1, own_id(n, s), user, f"{rng.getrandbits(128):032x}", n + 1,
                    s.allowance + 1, a.authorizer + 1, a.beneficiary + 1, s.category, s.amount_fen, s.amount_fen,
                    0, s.refund_fen, "reversed" if s.reversed_at else "settled", s.business_date, s.created_at,
                    s.transaction, s.reversed_at, s.business_date if s.reversed_at else None,
                    user if s.reversed_at else None, f"{rng.getrandbits(128):032x}" if s.reversed_at else "",
                    s.reversal_transaction,
                )  # fmt: skip

        copy_rows(
            "medical_settlement",
            ["id", "institution_id", "settlement_id", "user_id", "idempotency_key", "voucher_id", "allowance_id",
             "authorizer_id", "beneficiary_id", "category", "amount_fen", "paid_fen", "cash_due_fen",
             "refunded_fen", "status", "business_date", "created_at", "ledger_transaction_id", "reversed_at",
             "reversed_on", "reversal_user_id", "reversal_key", "reversal_transaction_id"],
            settlement_rows(),
            len(self.settlements),
        )  # fmt: skip
        refunded = sorted((s.refund_at, n) for n, s in enumerate(self.settlements) if s.refund_at is not None)
        copy_rows(
            "medical_settlementrefund",
            ["id", "settlement_id", "institution_id", "refund_id", "user_id", "idempotency_key", "amount_fen",
             "to_allowance", "business_date", "created_at", "ledger_transaction_id"],
            (
                (k + 1, n + 1, s.institution + 1, f"R-{own_id(n, s)}", self.terminal_user(s.terminal),
                 f"{rng.getrandbits(128):032x}", s.refund_fen, True, when.astimezone(TZ).date(), when,
                 s.refund_transaction)
                for k, (when, n) in enumerate(refunded)
                for s in [self.settlements[n]]
            ),
        )  # fmt: skip

    def copy_pools(self) -> dict[str, int]:
        """The load's pools; returns what bench_meta records of the medical world."""
        rng = random.Random(self.seed + 3)
        execute("""
            DROP TABLE IF EXISTS bench_settle_pool, bench_terminal_pool, bench_pgbench_settle_pool;
            DROP SEQUENCE IF EXISTS bench_pgbench_settle_seq;
            CREATE TABLE bench_settle_pool (id integer PRIMARY KEY, person_id bigint NOT NULL, token text NOT NULL);
            CREATE TABLE bench_terminal_pool (
                id integer PRIMARY KEY, user_id integer NOT NULL, institution_id bigint NOT NULL, token text NOT NULL);
            CREATE TABLE bench_pgbench_settle_pool (
                id integer PRIMARY KEY, person_id bigint NOT NULL, user_id integer NOT NULL,
                institution_id bigint NOT NULL, amount_fen bigint NOT NULL, category text NOT NULL);
            CREATE SEQUENCE bench_pgbench_settle_seq MINVALUE 0 START 0;
        """)
        copy_rows(
            "bench_settle_pool",
            ["id", "person_id", "token"],
            ((k, r + 1, self.token_of[r]) for k, r in enumerate(self.pools["load"])),
        )
        # The load settles at every institution but the statement's, whose day is history.
        terminals = [(t, i) for t, (i, _token) in enumerate(self.terminals) if i != 0]
        copy_rows(
            "bench_terminal_pool",
            ["id", "user_id", "institution_id", "token"],
            ((k, self.terminal_user(t), i + 1, self.terminals[t][1]) for k, (t, i) in enumerate(terminals)),
        )

        def pgbench_rows():
            for k, r in enumerate(self.pools["pgbench"]):
                t, i = terminals[k % len(terminals)]
                category, amount = medical_bill(rng)
                yield (k, r + 1, self.terminal_user(t), i + 1, amount, category)

        copy_rows(
            "bench_pgbench_settle_pool",
            ["id", "person_id", "user_id", "institution_id", "amount_fen", "category"],
            pgbench_rows(),
        )
        return {
            "medical": 1,
            "institutions": len(self.institutions),
            "terminals": len(self.terminals),
            "allowances": len(self.allowances),
            "past_settlements": len(self.settlements),
            "statement_institution_id": 1,
            "statement_date": (self.today - datetime.timedelta(days=1)).isoformat(),
            "statement_settlements": self.statement_settlements,
            "settle_pool": len(self.pools["load"]),
            "terminal_pool": len(terminals),
            "pgbench_settle_pool": len(self.pools["pgbench"]),
        }


def json_facts(row: tuple) -> tuple:
    """A notice row with its facts as JSON."""
    return (*row[:2], json.dumps(row[2], ensure_ascii=False), *row[3:])
