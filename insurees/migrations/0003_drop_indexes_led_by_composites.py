"""Single-column indexes that lead a composite index on the same table go: the composite serves every
lookup they served, and each insert writes one index entry fewer (common/migration_ops.py)."""

import django.db.models.deletion
from django.db import migrations, models

from common.migration_ops import drop_indexes_led_by_composites


class Migration(migrations.Migration):
    atomic = False  # the indexes go CONCURRENTLY on PostgreSQL

    dependencies = [
        ("insurees", "0002_region_code_validators"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                drop_indexes_led_by_composites(
                    ("insurees_enrollment", "insuree_id"),  # one_enrollment_per_insuree_year
                    ("insurees_insuree", "person_id"),  # one_insuree_per_person_scheme
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="enrollment",
                    name="insuree",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="enrollments",
                        to="insurees.insuree",
                    ),
                ),
                migrations.AlterField(
                    model_name="insuree",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="insurances",
                        to="insurees.person",
                    ),
                ),
            ],
        )
    ]
