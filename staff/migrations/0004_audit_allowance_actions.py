"""The counter's allowance changes on the audit trail (the allowance's own change row has no counter)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("staff", "0003_drop_index_led_by_composite")]

    operations = [
        migrations.AlterField(
            model_name="auditrecord",
            name="action",
            field=models.CharField(
                choices=[
                    ("person_lookup", "Looked up a person"),
                    ("binding_create", "Bound on behalf"),
                    ("payment_create", "Paid on behalf"),
                    ("payment_refund", "Refunded"),
                    ("allowance_set", "Set an allowance on behalf"),
                    ("allowance_release", "Released an allowance on behalf"),
                ],
                max_length=32,
                verbose_name="action",
            ),
        ),
    ]
