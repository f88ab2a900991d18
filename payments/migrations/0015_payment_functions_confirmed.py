"""The payment takes what the payer confirmed (each premium's amount, the paying account) and refuses
to move anything else (payments/migrations/sql/pay.sql); the versions without it go first (the file
replaces its type, which they return)."""

from django.db import migrations

from common.migration_ops import run_sql_file

PREVIOUS_VERSIONS = """
DROP FUNCTION IF EXISTS payments_pay(
    integer, text, text, bigint, text[], integer, text, integer, text, date, timestamptz, text[], text[], text
);
DROP FUNCTION IF EXISTS payments_settle(
    integer, text, text, text, bigint, bigint[], integer, text, integer, text, date, timestamptz, text[],
    text[], text
);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0014_verbose_names"),
    ]

    operations = [
        migrations.RunSQL([PREVIOUS_VERSIONS], migrations.RunSQL.noop),
        run_sql_file(__file__, "pay.sql"),
    ]
