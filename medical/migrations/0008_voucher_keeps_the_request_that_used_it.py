"""A voucher keeps what the request that used it asked (amount, category, allow_partial), so a retry
asking otherwise under the same key or bill is idempotency_conflict, not the first answer.
settlements.sql loaded again."""

from django.db import migrations, models

from common.migration_ops import run_sql_file

# A code that paid part of a bill was used with allow_partial; of one paid in full nothing is known. A
# code refused before keeps NULL in all three: unknown, so its retry is replayed as before.
BACKFILL = """
UPDATE medical_voucher v
SET used_amount_fen = s.amount_fen, used_category = s.category,
    used_allow_partial = CASE WHEN s.cash_due_fen > 0 THEN true END
FROM medical_settlement s
WHERE s.voucher_id = v.id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("medical", "0007_settlement_answer_in_one_statement"),
    ]

    operations = [
        migrations.AddField(
            model_name="voucher",
            name="used_amount_fen",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="amount asked (fen)"),
        ),
        migrations.AddField(
            model_name="voucher",
            name="used_category",
            field=models.CharField(blank=True, max_length=16, null=True, verbose_name="category asked"),
        ),
        migrations.AddField(
            model_name="voucher",
            name="used_allow_partial",
            field=models.BooleanField(blank=True, null=True, verbose_name="partial payment allowed"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        run_sql_file(__file__, "settlements.sql"),
    ]
