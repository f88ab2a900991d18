"""Room on each page of payments for the row's later versions (its sync, its refund), so that those
updates stay on the page (HOT) and write none of the table's dozen index entries again."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE payments_payment SET (fillfactor = 85)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE payments_payment RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("payments", "0004_payment_functions")]

    operations = [migrations.RunPython(forward, backward)]
