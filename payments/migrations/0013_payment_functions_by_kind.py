"""The payment and the sync take the premium kind (payments/migrations/sql/pay.sql, sync.sql); the
payment's versions without it go first (the file replaces its type, which they return)."""

from django.db import migrations

from common.migration_ops import run_sql_file

PREVIOUS_VERSIONS = """
DROP FUNCTION IF EXISTS payments_pay(
    integer, text, text, bigint, text[], integer, text, integer, text, date, timestamptz, text[], text[]
);
DROP FUNCTION IF EXISTS payments_settle(
    integer, text, text, text, bigint, bigint[], integer, text, integer, text, date, timestamptz, text[],
    text[]
);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0012_payment_kind"),
        ("insurees", "0006_enrollment_functions_by_kind"),
    ]

    operations = [
        migrations.RunSQL([PREVIOUS_VERSIONS], migrations.RunSQL.noop),
        run_sql_file(__file__, "pay.sql"),
        run_sql_file(__file__, "sync.sql"),
    ]
