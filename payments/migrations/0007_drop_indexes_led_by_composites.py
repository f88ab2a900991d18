"""Single-column indexes that lead a composite index on the same table go: the composite serves every
lookup they served, and each insert writes one index entry fewer (common/migration_ops.py)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from common.migration_ops import drop_indexes_led_by_composites


class Migration(migrations.Migration):
    atomic = False  # the indexes go CONCURRENTLY on PostgreSQL

    dependencies = [
        ("insurees", "0003_drop_indexes_led_by_composites"),
        ("payments", "0006_payment_functions_generic_plans"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                drop_indexes_led_by_composites(
                    ("payments_idempotencykey", "user_id"),  # one_idempotency_key_per_user
                    ("payments_notification", "person_id"),  # notification_person_time
                    ("payments_payment", "authorizer_id"),  # payment_authorizer_time
                    ("payments_payment", "beneficiary_id"),  # payment_beneficiary_time
                    ("payments_payment", "created_at"),  # payment_newest_first
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="idempotencykey",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to="insurees.person",
                    ),
                ),
                migrations.AlterField(
                    model_name="payment",
                    name="authorizer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments_made",
                        to="insurees.insuree",
                    ),
                ),
                migrations.AlterField(
                    model_name="payment",
                    name="beneficiary",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments_received",
                        to="insurees.insuree",
                    ),
                ),
                migrations.AlterField(
                    model_name="payment",
                    name="created_at",
                    field=models.DateTimeField(auto_now_add=True, verbose_name="created at"),
                ),
            ],
        )
    ]
