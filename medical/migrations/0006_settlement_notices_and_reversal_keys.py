"""Settlements, reversals and refunds tell both sides (above the allowance's notify_over_fen; always when
money reaches the authorizer's personal account); a key is a conflict when another settlement, reversal
or refund took it (one reversal per key, in the database too); a settlement chooses among the
allowances it locked, and says no_allowance, not region_mismatch, when none has money left; a refund or
reversal after a release lowers the allowance's spent part too; two codes issued at once for one person
leave one that works; a binding's new allowance keeps the threshold of the one before. Both SQL files
loaded again."""

from django.conf import settings
from django.db import migrations, models

from common.migration_ops import run_sql_file


class Migration(migrations.Migration):
    dependencies = [
        ("medical", "0005_allowance_notify_over"),
        ("notices", "0003_settlement_notice_kinds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="settlement",
            constraint=models.UniqueConstraint(
                condition=models.Q(("reversal_key", ""), _negated=True),
                fields=("reversal_user", "reversal_key"),
                name="one_reversal_per_key",
            ),
        ),
        run_sql_file(__file__, "allowances.sql"),
        run_sql_file(__file__, "settlements.sql"),
    ]
