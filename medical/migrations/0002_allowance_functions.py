"""Setting and releasing allowances, and their release when a binding ends, as
medical/migrations/sql/allowances.sql says (loaded again by any later migration that changes it)."""

from django.db import migrations

from common.migration_ops import run_sql_file


class Migration(migrations.Migration):
    dependencies = [
        ("medical", "0001_initial"),
        ("notices", "0002_allowance_notice_kinds"),
    ]

    operations = [run_sql_file(__file__, "allowances.sql")]
