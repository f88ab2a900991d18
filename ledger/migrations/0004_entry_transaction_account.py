"""Entries get an index on (transaction, account), which answers whether an account is on a
transaction's side without reading the transaction's other entries; the transaction's own index goes,
as the new one leads with it. Both CONCURRENTLY, the new index built before the old one
goes (common/migration_ops.py). A build that fails or is cancelled leaves an INVALID index of the new
name behind, and the old one in place: drop it (DROP INDEX CONCURRENTLY entry_transaction_account)
before running the migration again."""

import django.db.models.deletion
from django.db import migrations, models

from django.contrib.postgres.operations import AddIndexConcurrently

from common.migration_ops import drop_indexes_led_by_composites


class Migration(migrations.Migration):
    atomic = False  # the indexes are built and dropped CONCURRENTLY

    dependencies = [
        ("ledger", "0003_drop_index_led_by_composite"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="entry",
            index=models.Index(fields=["transaction", "account"], name="entry_transaction_account"),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                drop_indexes_led_by_composites(
                    ("ledger_entry", "transaction_id"),  # entry_transaction_account
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="entry",
                    name="transaction",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entries",
                        to="ledger.transaction",
                    ),
                ),
            ],
        ),
    ]
