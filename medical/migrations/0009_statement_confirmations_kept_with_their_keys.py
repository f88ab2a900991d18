"""Every confirmation of a day's statement is kept, with its Idempotency-Key: a retry is answered as
the first time and the same key for other figures is a conflict; the day's latest is the auditors'."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("medical", "0008_voucher_keeps_the_request_that_used_it"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="statementconfirmation",
            name="idempotency_key",
            field=models.CharField(blank=True, db_default="", max_length=255, verbose_name="idempotency key"),
        ),
        migrations.AddIndex(
            model_name="statementconfirmation",
            index=models.Index(fields=["institution", "date", "-confirmed_at"], name="confirmation_latest"),
        ),
        migrations.RemoveConstraint(
            model_name="statementconfirmation",
            name="one_confirmation_per_institution_day",
        ),
        migrations.AddConstraint(
            model_name="statementconfirmation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("idempotency_key", ""), _negated=True),
                fields=("user", "idempotency_key"),
                name="one_confirmation_per_key",
            ),
        ),
    ]
