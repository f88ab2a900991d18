"""A settlement's or a reversal's answer is read in the statement that makes it
(medical_settlement_fresh). settlements.sql loaded again."""

from django.db import migrations

from common.migration_ops import run_sql_file


class Migration(migrations.Migration):
    dependencies = [
        ("medical", "0006_settlement_notices_and_reversal_keys"),
    ]

    operations = [
        run_sql_file(__file__, "settlements.sql"),
    ]
