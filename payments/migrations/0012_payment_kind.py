"""A payment is of a premium kind (resident medical, or long-term care), every existing one the
resident one; at most one settled payment per beneficiary, year and kind. The new key is built
CONCURRENTLY before the old one goes, so that payments are not held up behind its build."""

from django.db import migrations, models

KEY = """
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS one_settled_payment_per_beneficiary_year_kind
    ON payments_payment (beneficiary_id, year, kind) WHERE status = 'settled';
"""
OLD_KEY = """
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS one_settled_payment_per_beneficiary_year
    ON payments_payment (beneficiary_id, year) WHERE status = 'settled';
"""


class Migration(migrations.Migration):
    atomic = False  # the keys are built and dropped CONCURRENTLY on PostgreSQL

    dependencies = [("payments", "0011_delete_notification")]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="kind",
            field=models.CharField(
                choices=[
                    ("resident_medical", "Urban and rural resident basic medical insurance"),
                    ("long_term_care", "Long-term-care insurance"),
                ],
                db_default="resident_medical",
                default="resident_medical",
                max_length=16,
                verbose_name="premium kind",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    [KEY],
                    ["DROP INDEX CONCURRENTLY IF EXISTS one_settled_payment_per_beneficiary_year_kind"],
                ),
                migrations.RunSQL(
                    ["DROP INDEX CONCURRENTLY IF EXISTS one_settled_payment_per_beneficiary_year"], [OLD_KEY]
                ),
            ],
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="payment", name="one_settled_payment_per_beneficiary_year"
                ),
                migrations.AddConstraint(
                    model_name="payment",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("status", "settled")),
                        fields=("beneficiary", "year", "kind"),
                        name="one_settled_payment_per_beneficiary_year_kind",
                    ),
                ),
            ],
        ),
    ]
