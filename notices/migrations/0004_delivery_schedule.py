"""Each notice says when the relay may take it next (next_try_at: at once when written, later after a
failed try) and when it was given up. Notices still undelivered get their next try as the relay would
have set it, and those past the last try are marked given up."""

import datetime

from django.conf import settings
from django.db import migrations, models
from django.db.models.functions import Now


def schedule_undelivered(apps, schema_editor):
    Notice = apps.get_model("notices", "Notice")
    undelivered = Notice.objects.filter(delivered_at__isnull=True)
    undelivered.filter(delivery_attempts__gte=settings.NOTICE_DELIVERY_MAX_ATTEMPTS).update(
        given_up_at=models.F("created_at")
    )
    retry = datetime.timedelta(seconds=settings.NOTICE_RETRY_SECONDS)
    undelivered.filter(given_up_at__isnull=True).update(
        next_try_at=models.ExpressionWrapper(
            models.F("created_at") + models.F("delivery_attempts") * models.Value(retry),
            output_field=models.DateTimeField(),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0003_settlement_notice_kinds"),
    ]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="next_try_at",
            field=models.DateTimeField(db_default=Now(), verbose_name="next delivery try at"),
        ),
        migrations.AddField(
            model_name="notice",
            name="given_up_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="delivery given up at"),
        ),
        migrations.RunPython(schedule_undelivered, migrations.RunPython.noop),
    ]
