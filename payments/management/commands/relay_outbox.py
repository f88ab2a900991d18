import time

from django.core.management.base import BaseCommand

from payments.outbox import RELAY_GRACE
from payments.outbox.consumer import outbox_relay


class Command(BaseCommand):
    help = "Publishes pending outbox rows to Celery; with --loop keeps doing so (a beat-free deployment)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep relaying until stopped")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between rounds when idle")

    def handle(self, *args, loop: bool, interval: float, **options):
        while True:
            # Looping beside live payments, leave fresh rows to the publish right after their commit.
            published = outbox_relay(grace=RELAY_GRACE if loop else None)
            if published:
                self.stdout.write(f"published {published}")
            if not loop:
                return
            if not published:
                time.sleep(interval)
