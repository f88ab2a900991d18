"""The relay's queue: the notices still to deliver, in the order they are due. Built CONCURRENTLY (the
notices table is large and written by every payment); a build that fails or is cancelled leaves an
INVALID notice_to_deliver behind: drop it (DROP INDEX CONCURRENTLY notice_to_deliver) and run the
migration again."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("notices", "0004_delivery_schedule"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="notice",
            index=models.Index(
                condition=models.Q(("delivered_at__isnull", True), ("given_up_at__isnull", True)),
                fields=["next_try_at", "id"],
                name="notice_to_deliver",
            ),
        ),
    ]
