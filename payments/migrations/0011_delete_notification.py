from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0010_notices_to_both_sides"),
    ]

    operations = [
        migrations.DeleteModel(
            name="Notification",
        ),
    ]
