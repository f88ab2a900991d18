"""Single-column indexes that lead a composite index on the same table go: the composite serves every
lookup they served, and each insert writes one index entry fewer (common/migration_ops.py)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from common.migration_ops import drop_indexes_led_by_composites


class Migration(migrations.Migration):
    atomic = False  # the indexes go CONCURRENTLY on PostgreSQL

    dependencies = [
        ("staff", "0002_audit_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                drop_indexes_led_by_composites(
                    ("staff_auditrecord", "operator_id"),  # audit_operator_time
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="auditrecord",
                    name="operator",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        )
    ]
