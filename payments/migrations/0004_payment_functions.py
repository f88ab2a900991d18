"""The payment and the enrollment sync run as server-side functions. Their text lives in
payments/migrations/sql/ and is loaded by migration 0008, which also drops the first versions this
migration once created; on a new database there is nothing to do here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_payment_newest_first_index"),
        ("insurees", "0001_initial"),
        ("ledger", "0002_entries_append_only"),
        ("mutual_aid", "0001_initial"),
    ]

    operations: list = []
