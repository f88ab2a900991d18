"""Premium kinds: a rate and an enrollment are per kind (resident medical, or long-term care), every
existing row the resident one. The enrollments' new key is built CONCURRENTLY, then becomes the
constraint, before the old key goes, so that their writers are not held up behind its build."""

from django.db import migrations, models

KIND = models.CharField(
    choices=[
        ("resident_medical", "Urban and rural resident basic medical insurance"),
        ("long_term_care", "Long-term-care insurance"),
    ],
    db_default="resident_medical",
    default="resident_medical",
    max_length=16,
    verbose_name="premium kind",
)

ENROLLMENT_KEY = """
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS one_enrollment_per_insuree_year_kind
    ON insurees_enrollment (insuree_id, year, kind);
"""
ENROLLMENT_CONSTRAINT = """
ALTER TABLE insurees_enrollment ADD CONSTRAINT one_enrollment_per_insuree_year_kind
    UNIQUE USING INDEX one_enrollment_per_insuree_year_kind;
ALTER TABLE insurees_enrollment DROP CONSTRAINT one_enrollment_per_insuree_year;
"""
ENROLLMENT_CONSTRAINT_BACK = """
ALTER TABLE insurees_enrollment ADD CONSTRAINT one_enrollment_per_insuree_year UNIQUE (insuree_id, year);
ALTER TABLE insurees_enrollment DROP CONSTRAINT one_enrollment_per_insuree_year_kind;
"""


class Migration(migrations.Migration):
    atomic = False  # the enrollments' key is built CONCURRENTLY on PostgreSQL

    dependencies = [("insurees", "0004_enrollment_functions")]

    operations = [
        migrations.AddField(model_name="premiumrate", name="kind", field=KIND),
        migrations.RemoveConstraint(model_name="premiumrate", name="one_rate_per_region_year"),
        migrations.AddConstraint(
            model_name="premiumrate",
            constraint=models.UniqueConstraint(
                fields=("region_code", "year", "kind"), name="one_rate_per_region_year_kind"
            ),
        ),
        migrations.AddField(model_name="enrollment", name="kind", field=KIND),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    [ENROLLMENT_KEY], ["DROP INDEX IF EXISTS one_enrollment_per_insuree_year_kind"]
                ),
                migrations.RunSQL([ENROLLMENT_CONSTRAINT], [ENROLLMENT_CONSTRAINT_BACK]),
            ],
            state_operations=[
                migrations.RemoveConstraint(model_name="enrollment", name="one_enrollment_per_insuree_year"),
                migrations.AddConstraint(
                    model_name="enrollment",
                    constraint=models.UniqueConstraint(
                        fields=("insuree", "year", "kind"), name="one_enrollment_per_insuree_year_kind"
                    ),
                ),
            ],
        ),
    ]
