"""The relay's queue leaves out the notices it gave up on: a round every few seconds walks only the
notices still to deliver, however many a broken gateway once left behind. Notices already past the
last try are marked given up first. The index is built CONCURRENTLY before the old one goes; a build
that fails or is cancelled leaves an INVALID notice_to_deliver behind: drop it (DROP INDEX
CONCURRENTLY notice_to_deliver) before running the migration again."""

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


def mark_given_up(apps, schema_editor):
    Notice = apps.get_model("notices", "Notice")
    Notice.objects.filter(
        delivered_at__isnull=True, delivery_attempts__gte=settings.NOTICE_DELIVERY_MAX_ATTEMPTS
    ).update(given_up_at=models.F("created_at"))


class Migration(migrations.Migration):
    atomic = False  # the indexes are built and dropped CONCURRENTLY

    dependencies = [
        ("notices", "0003_settlement_notice_kinds"),
    ]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="given_up_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="delivery given up at"),
        ),
        migrations.RunPython(mark_given_up, migrations.RunPython.noop),
        AddIndexConcurrently(
            model_name="notice",
            index=models.Index(
                condition=models.Q(("delivered_at__isnull", True), ("given_up_at__isnull", True)),
                fields=["id"],
                name="notice_to_deliver",
            ),
        ),
        RemoveIndexConcurrently(model_name="notice", name="notice_undelivered"),
    ]
