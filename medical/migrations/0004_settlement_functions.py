"""E-vouchers, settlements, reversals and refunds as medical/migrations/sql/settlements.sql says, and
allowances.sql loaded again (its replay check is one function now)."""

from django.db import migrations

from common.migration_ops import run_sql_file


class Migration(migrations.Migration):
    dependencies = [
        ("medical", "0003_institutions_and_settlements"),
    ]

    operations = [
        run_sql_file(__file__, "allowances.sql"),
        run_sql_file(__file__, "settlements.sql"),
    ]
