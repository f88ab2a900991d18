"""The ledger's SQL (ledger/migrations/sql/ledger.sql): the one posting function, the account locks,
and the invariants the database holds whatever path writes: a transaction's entries sum to zero, a
balance is the sum of its account's entries."""

from django.db import migrations

from common.migration_ops import run_sql_file


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_entry_transaction_account")]

    operations = [run_sql_file(__file__, "ledger.sql")]
