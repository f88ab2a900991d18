"""The enrollments' functions take the premium kind (insurees/migrations/sql/enrollments.sql); their
versions without it go first."""

from django.db import migrations

from common.migration_ops import run_sql_file

PREVIOUS_VERSIONS = """
DROP FUNCTION IF EXISTS insurees_enrollments_lock(bigint[], integer, timestamptz);
DROP FUNCTION IF EXISTS insurees_enrollments_lock_pairs(bigint[], integer[], timestamptz);
DROP FUNCTION IF EXISTS insurees_enrollments_mark_paid(bigint[], integer[], bigint[], timestamptz);
"""


class Migration(migrations.Migration):
    dependencies = [("insurees", "0005_premium_kinds")]

    operations = [
        migrations.RunSQL([PREVIOUS_VERSIONS], migrations.RunSQL.noop),
        run_sql_file(__file__, "enrollments.sql"),
    ]
