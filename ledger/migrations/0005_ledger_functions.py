"""The ledger's SQL (ledger/migrations/sql/ledger.sql): the one posting function, the account locks,
and the invariants the database holds whatever path writes: a transaction's entries sum to zero, a
balance is the sum of its account's entries. Run it with the web and worker processes stopped: from
here on the database refuses the balance updates of the code before it."""

from django.db import migrations

from common.migration_ops import run_sql_file

# The books must hold already, or the triggers would hold a broken ledger to rules it breaks: the
# migration stops, naming what to mend (a reversing transaction, never an edit).
BOOKS_HOLD = """
DO $$
DECLARE
    v_id bigint;
BEGIN
    SELECT t.transaction_id INTO v_id FROM ledger_entry t
    GROUP BY t.transaction_id HAVING sum(t.amount_fen) <> 0 OR count(*) < 2 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % is not balanced: mend the books before this migration', v_id;
    END IF;
    SELECT a.id INTO v_id FROM ledger_account a
    LEFT JOIN (SELECT e.account_id, sum(e.amount_fen) AS total FROM ledger_entry e GROUP BY e.account_id) s
        ON s.account_id = a.id
    WHERE a.balance_fen <> coalesce(s.total, 0) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'account %: its balance is not the sum of its entries: mend the books first', v_id;
    END IF;
END;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_entry_transaction_account")]

    operations = [migrations.RunSQL([BOOKS_HOLD], migrations.RunSQL.noop), run_sql_file(__file__, "ledger.sql")]
