"""The payment functions plan their statements once per connection (`plan_cache_mode =
force_generic_plan`): with an array parameter the planner kept finding a custom plan cheaper and
planned every statement of every payment again. The setting is now part of each function's text in
payments/migrations/sql/, loaded by migration 0008."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_payment_fillfactor")]

    operations: list = []
