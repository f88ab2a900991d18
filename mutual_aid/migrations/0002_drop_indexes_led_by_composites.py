"""Single-column indexes that lead a composite index on the same table go: the composite serves every
lookup they served, and each insert writes one index entry fewer (common/migration_ops.py)."""

import django.db.models.deletion
from django.db import migrations, models

from common.migration_ops import drop_indexes_led_by_composites


class Migration(migrations.Migration):
    atomic = False  # the indexes go CONCURRENTLY on PostgreSQL

    dependencies = [
        ("insurees", "0003_drop_indexes_led_by_composites"),
        ("mutual_aid", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                drop_indexes_led_by_composites(
                    ("mutual_aid_binding", "authorizer_id"),  # binding_authorizer_status
                    ("mutual_aid_binding", "beneficiary_id"),  # binding_beneficiary_status
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="binding",
                    name="authorizer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="bindings_given",
                        to="insurees.insuree",
                    ),
                ),
                migrations.AlterField(
                    model_name="binding",
                    name="beneficiary",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="bindings_received",
                        to="insurees.insuree",
                    ),
                ),
            ],
        )
    ]
