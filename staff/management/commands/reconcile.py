import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from staff.services import reconciliation_run


class Command(BaseCommand):
    help = "Reconciles one day's ledger transactions, payments and enrollments; exits 1 on any mismatch."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=datetime.date.fromisoformat, help="YYYY-MM-DD; default yesterday")

    def handle(self, *args, date: datetime.date | None, **options):
        date = date or timezone.localdate() - datetime.timedelta(days=1)
        run = reconciliation_run(date=date)
        self.stdout.write(f"{date}: {run.checked} payments checked, {len(run.mismatches)} mismatch(es)")
        for mismatch in run.mismatches:
            self.stdout.write(f"  {mismatch}")
        if not run.ok:
            raise CommandError("reconciliation found mismatches")
