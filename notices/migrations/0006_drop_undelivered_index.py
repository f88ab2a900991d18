"""The old queue's index goes (notice_to_deliver replaces it), CONCURRENTLY."""

from django.contrib.postgres.operations import RemoveIndexConcurrently
from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("notices", "0005_relay_queue_index"),
    ]

    operations = [
        RemoveIndexConcurrently(model_name="notice", name="notice_undelivered"),
    ]
