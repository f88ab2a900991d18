"""The payment and the sync as payments/migrations/sql/ says, writing the enrollments and the ledger
only through those apps' own functions; the first versions (migration 0004 once) go."""

from django.db import migrations

from common.migration_ops import run_sql_file

FIRST_VERSIONS = """
DROP FUNCTION IF EXISTS payments_pay(
    integer, text, text, text, bigint, bigint[], integer, text, integer, text, date, timestamptz, text[], text[]
);
DROP FUNCTION IF EXISTS payments_pay_for_person(
    integer, text, text, bigint, text[], integer, text, date, timestamptz, text[], text[]
);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0007_drop_indexes_led_by_composites"),
        ("insurees", "0004_enrollment_functions"),
        ("ledger", "0005_ledger_functions"),
    ]

    operations = [
        migrations.RunSQL([FIRST_VERSIONS], migrations.RunSQL.noop),
        run_sql_file(__file__, "pay.sql"),
        run_sql_file(__file__, "sync.sql"),
    ]
