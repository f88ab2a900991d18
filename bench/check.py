"""The correctness check after the load: every invariant of the money, the sync and the settlements, in SQL.

Each check counts anomalies; the script prints them and exits 1 if any is not zero.

    python bench/check.py --db gongji_bench [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFAULT_DB, django_setup, execute, say  # noqa: E402

CHECKS = {
    "negative balance (personal, fund, hold and payable accounts)": """
        SELECT count(*) FROM ledger_account WHERE kind <> 'external' AND balance_fen < 0""",
    "ledger transaction whose entries do not sum to zero": """
        SELECT count(*) FROM (SELECT transaction_id FROM ledger_entry GROUP BY transaction_id
                              HAVING sum(amount_fen) <> 0) t""",
    "ledger transaction with fewer than two entries": """
        SELECT count(*) FROM ledger_transaction t
        LEFT JOIN (SELECT transaction_id, count(*) n FROM ledger_entry GROUP BY transaction_id) e
               ON e.transaction_id = t.id
        WHERE coalesce(e.n, 0) < 2""",
    "ledger out of balance overall (sum of all entries)": """
        SELECT count(*) FROM (SELECT sum(amount_fen) s FROM ledger_entry) t WHERE t.s <> 0""",
    "account balance different from the sum of its entries": """
        SELECT count(*) FROM ledger_account a
        LEFT JOIN (SELECT account_id, sum(amount_fen) s FROM ledger_entry GROUP BY account_id) e
               ON e.account_id = a.id
        WHERE a.balance_fen <> coalesce(e.s, 0)""",
    "more than one settled payment for a beneficiary and year": """
        SELECT count(*) FROM (SELECT 1 FROM payments_payment WHERE status = 'settled'
                              GROUP BY beneficiary_id, year HAVING count(*) > 1) t""",
    "payment whose ledger transaction does not debit the authorizer's account by its amount": """
        SELECT count(*) FROM payments_payment p
        JOIN insurees_insuree a ON a.id = p.authorizer_id
        WHERE NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.transaction_id = p.ledger_transaction_id
                          AND e.account_id = a.account_id AND e.amount_fen = -p.amount_fen)""",
    "payment not synced to the enrollment": """
        SELECT count(*) FROM payments_payment WHERE enrollment_synced_at IS NULL""",
    "settled payment whose enrollment is not marked paid by it": """
        SELECT count(*) FROM payments_payment p
        WHERE p.status = 'settled' AND NOT EXISTS (
            SELECT 1 FROM insurees_enrollment en WHERE en.insuree_id = p.beneficiary_id
            AND en.year = p.year AND en.paid AND en.payment_id = p.id)""",
    "enrollment marked paid without a settled payment": """
        SELECT count(*) FROM insurees_enrollment en WHERE en.paid AND NOT EXISTS (
            SELECT 1 FROM payments_payment p WHERE p.id = en.payment_id AND p.status = 'settled'
            AND p.beneficiary_id = en.insuree_id AND p.year = en.year)""",
    "outbox row never dispatched": """
        SELECT count(*) FROM payments_outboxmessage WHERE dispatched_at IS NULL""",
    "payment without its outbox row": """
        SELECT count(*) FROM payments_payment p
        WHERE NOT EXISTS (SELECT 1 FROM payments_outboxmessage o WHERE o.payment_id = p.id)""",
    "idempotency key that paid twice for one beneficiary": """
        SELECT count(*) FROM (SELECT k.idempotencykey_id FROM payments_idempotencykey_payments k
                              JOIN payments_payment p ON p.id = k.payment_id
                              GROUP BY k.idempotencykey_id, p.beneficiary_id HAVING count(*) > 1) t""",
    "payment not linked to exactly one idempotency key": """
        SELECT count(*) FROM payments_payment p
        LEFT JOIN (SELECT payment_id, count(*) n FROM payments_idempotencykey_payments GROUP BY payment_id) k
               ON k.payment_id = p.id
        WHERE coalesce(k.n, 0) <> 1""",
    # Allowances and settlements (medical/migrations/sql/allowances.sql and settlements.sql).
    "allowance whose spent part is not its settlements net of their reversals and refunds": """
        SELECT count(*) FROM medical_allowance a
        LEFT JOIN (SELECT allowance_id, sum(paid_fen - refunded_fen) FILTER (WHERE status = 'settled') s
                   FROM medical_settlement GROUP BY allowance_id) net ON net.allowance_id = a.id
        WHERE a.spent_fen <> coalesce(net.s, 0)""",
    "settlement whose refunded part is not the sum of its refunds": """
        SELECT count(*) FROM medical_settlement s
        LEFT JOIN (SELECT settlement_id, sum(amount_fen) s FROM medical_settlementrefund GROUP BY settlement_id) r
               ON r.settlement_id = s.id
        WHERE s.refunded_fen <> coalesce(r.s, 0)""",
    "allowance whose hold account does not hold amount - spent (a released one: nothing)": """
        SELECT count(*) FROM medical_allowance a JOIN ledger_account h ON h.id = a.hold_account_id
        WHERE h.kind <> 'hold'
           OR h.balance_fen <> CASE WHEN a.status = 'active' THEN a.amount_fen - a.spent_fen ELSE 0 END""",
    "settlement whose transaction is not its paid part moved from its allowance's hold to its institution": """
        SELECT count(*) FROM medical_settlement s
        JOIN medical_allowance a ON a.id = s.allowance_id
        JOIN medical_institution i ON i.id = s.institution_id
        WHERE (SELECT count(*) FROM ledger_entry e WHERE e.transaction_id = s.ledger_transaction_id) <> 2
           OR NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.transaction_id = s.ledger_transaction_id
                          AND e.account_id = a.hold_account_id AND e.amount_fen = -s.paid_fen)
           OR NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.transaction_id = s.ledger_transaction_id
                          AND e.account_id = i.account_id AND e.amount_fen = s.paid_fen)""",
    "reversal or refund whose transaction is not its amount moved back from the institution": """
        SELECT count(*) FROM (
            SELECT s.reversal_transaction_id txn, s.paid_fen amount, s.institution_id
            FROM medical_settlement s WHERE s.status = 'reversed'
            UNION ALL
            SELECT r.ledger_transaction_id, r.amount_fen, r.institution_id FROM medical_settlementrefund r
        ) back JOIN medical_institution i ON i.id = back.institution_id
        WHERE back.txn IS NULL
           OR (SELECT count(*) FROM ledger_entry e WHERE e.transaction_id = back.txn) <> 2
           OR NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.transaction_id = back.txn
                          AND e.account_id = i.account_id AND e.amount_fen = -back.amount)""",
    "institution whose payable balance is not its settlements net of reversals and refunds": """
        SELECT count(*) FROM medical_institution i JOIN ledger_account p ON p.id = i.account_id
        LEFT JOIN (SELECT institution_id, sum(paid_fen - refunded_fen) FILTER (WHERE status = 'settled') s
                   FROM medical_settlement GROUP BY institution_id) net ON net.institution_id = i.id
        WHERE p.kind <> 'payable' OR p.balance_fen <> coalesce(net.s, 0)""",
    "settlement whose voucher was not used by it, or is another relative's": """
        SELECT count(*) FROM medical_settlement s JOIN medical_voucher v ON v.id = s.voucher_id
        WHERE v.used_at IS NULL OR v.used_by_id <> s.institution_id OR v.used_for <> s.settlement_id
           OR v.refusal <> '' OR v.beneficiary_id <> s.beneficiary_id""",
    "voucher used more than once, or used with neither a settlement nor a refusal": """
        SELECT (SELECT count(*) FROM (SELECT voucher_id FROM medical_settlement GROUP BY voucher_id
                                      HAVING count(*) > 1) t)
             + (SELECT count(*) FROM medical_voucher v WHERE v.used_at IS NOT NULL AND v.refusal = ''
                AND NOT EXISTS (SELECT 1 FROM medical_settlement s WHERE s.voucher_id = v.id))""",
    "settlement paid from an allowance of another relative or authorizer, or beyond its bill": """
        SELECT count(*) FROM medical_settlement s JOIN medical_allowance a ON a.id = s.allowance_id
        WHERE s.beneficiary_id <> a.beneficiary_id OR s.authorizer_id <> a.authorizer_id
           OR s.paid_fen + s.cash_due_fen <> s.amount_fen OR s.refunded_fen > s.paid_fen""",
    "allowance whose spent part exceeds it, or active on a binding that ended": """
        SELECT count(*) FROM medical_allowance a JOIN mutual_aid_binding b ON b.id = a.binding_id
        WHERE a.spent_fen > a.amount_fen OR (a.status = 'active' AND b.status <> 'active')""",
}


def run_checks() -> dict[str, int]:
    results = {}
    for name, sql in CHECKS.items():
        started = time.monotonic()
        [(count,)] = execute(sql)
        results[name] = count
        say(f"  {'OK ' if count == 0 else 'BAD'} {count:>8,}  {name}  ({time.monotonic() - started:.1f} s)")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="Correctness check of the benchmark's database")
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    django_setup(args.db)
    say("correctness check")
    results = run_checks()
    anomalies = sum(results.values())
    if args.json:
        args.json.write_text(json.dumps({"checks": results, "anomalies": anomalies}, indent=2))
    say(f"anomalies: {anomalies}")
    sys.exit(1 if anomalies else 0)


if __name__ == "__main__":
    main()
