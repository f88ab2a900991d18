"""Single-column indexes that lead a composite index on the same table go: the composite serves every
lookup they served, and each insert writes one index entry fewer (common/migration_ops.py)."""

import django.db.models.deletion
from django.db import migrations, models

from common.migration_ops import drop_indexes_led_by_composites


class Migration(migrations.Migration):
    atomic = False  # the indexes go CONCURRENTLY on PostgreSQL

    dependencies = [
        ("ledger", "0002_entries_append_only"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                drop_indexes_led_by_composites(
                    ("ledger_entry", "account_id"),  # entry_account_time
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="entry",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entries",
                        to="ledger.account",
                    ),
                ),
            ],
        )
    ]
