"""The enrollments' SQL (insurees/migrations/sql/enrollments.sql): the first lock of a payment, a
refund and a sync, and the sync's marking of an enrollment as paid."""

from django.db import migrations

from common.migration_ops import run_sql_file


class Migration(migrations.Migration):
    dependencies = [("insurees", "0003_drop_indexes_led_by_composites")]

    operations = [run_sql_file(__file__, "enrollments.sql")]
