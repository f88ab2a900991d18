"""The payment functions plan their statements once per connection.

PL/pgSQL caches a plan per statement, but with an array parameter (`= ANY (p_beneficiary_ids)`) the
planner keeps finding a custom plan cheaper than the generic one, so it planned every statement of
every payment again: about a third of the function's time (measured on the benchmark's world). Every
statement here is a lookup by key, whose generic plan is the index scan the custom one finds.
"""

from django.db import migrations

FUNCTIONS = ("payments_pay", "payments_pay_for_person", "payments_sync_enrollments")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in FUNCTIONS:
            schema_editor.execute(f"ALTER FUNCTION {name} SET plan_cache_mode = force_generic_plan")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in FUNCTIONS:
            schema_editor.execute(f"ALTER FUNCTION {name} RESET plan_cache_mode")


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_payment_fillfactor")]

    operations = [migrations.RunPython(forward, backward)]
