import datetime
import time

from django.core.management.base import BaseCommand

from payments.outbox import RELAY_GRACE
from payments.outbox.consumer import outbox_relay, outbox_relay_round

# While the database is away the loop waits longer each round, up to this many seconds: a restart
# takes seconds, an outage may take an hour, and each round costs a connection attempt.
MAX_BACKOFF_SECONDS = 10.0


class Command(BaseCommand):
    help = "Publishes pending outbox rows to Celery; with --loop keeps doing so (a beat-free deployment)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep relaying until stopped")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between rounds when idle")
        parser.add_argument(
            "--grace",
            type=float,
            default=RELAY_GRACE.total_seconds(),
            help="with --loop: seconds a row waits for the publish after its commit before it is relayed",
        )

    def handle(self, *args, loop: bool, interval: float, grace: float, **options):
        if not loop:
            once = outbox_relay(grace=None)
            if once:
                self.stdout.write(f"published {once}")
            return
        # Looping beside live payments, leave fresh rows to the publish right after their commit. A
        # database or broker that goes away is logged as it goes and as it comes back, and the loop
        # goes on (payments.outbox.consumer).
        relay_grace = datetime.timedelta(seconds=grace)
        backoff = interval
        while True:
            published = outbox_relay_round(grace=relay_grace)
            if published is None:  # the database is away
                time.sleep(backoff)
                backoff = min(backoff * 2, max(interval, MAX_BACKOFF_SECONDS))
                continue
            backoff = interval
            if published:
                self.stdout.write(f"published {published}")
                # The drain just published syncs every open row; give it the grace a fresh row gets
                # before publishing another (a worker that is away would find one queued per round).
                time.sleep(max(interval, grace))
            else:
                time.sleep(interval)
