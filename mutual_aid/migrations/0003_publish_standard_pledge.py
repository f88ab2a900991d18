"""A fresh install serves the standard pledge as version 1, so binding works before anyone has typed a
pledge into the admin. An install that has a pledge already keeps it: nothing is published then.
Later texts are published with `manage.py publish_pledge`."""

from django.db import migrations

from mutual_aid.pledges import STANDARD_PLEDGE_EN, STANDARD_PLEDGE_ZH, pledge_sha256


def publish_standard_pledge(apps, schema_editor):
    Pledge = apps.get_model("mutual_aid", "Pledge")
    if Pledge.objects.exists():
        return
    Pledge.objects.create(
        version=1,
        text_zh=STANDARD_PLEDGE_ZH,
        text_en=STANDARD_PLEDGE_EN,
        sha256=pledge_sha256(STANDARD_PLEDGE_ZH),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("mutual_aid", "0002_drop_indexes_led_by_composites"),
    ]

    # Going back leaves the pledge: bindings may have been signed on it, and they are kept forever.
    operations = [migrations.RunPython(publish_standard_pledge, migrations.RunPython.noop)]
