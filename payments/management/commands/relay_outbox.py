import datetime
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from notices.services import notices_deliver_round
from payments.outbox import RELAY_GRACE
from payments.outbox.consumer import outbox_relay, outbox_relay_round

# While the database is away the loop waits longer each round, up to this many seconds: a restart
# takes seconds, an outage may take an hour, and each round costs a connection attempt.
MAX_BACKOFF_SECONDS = 10.0


class Command(BaseCommand):
    help = (
        "Publishes pending outbox rows to Celery; with --loop keeps doing so and delivers the notices "
        "as well (a beat-free deployment)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep relaying until stopped")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="seconds between rounds when idle (default: NOTICE_RELAY_SECONDS)",
        )
        parser.add_argument(
            "--grace",
            type=float,
            default=RELAY_GRACE.total_seconds(),
            help="with --loop: seconds a row waits for the publish after its commit before it is relayed",
        )

    def handle(self, *args, loop: bool, interval: float | None, grace: float, **options):
        if not loop:
            once = outbox_relay(grace=None)
            if once:
                self.stdout.write(f"published {once}")
            return
        self._loop(
            interval=settings.NOTICE_RELAY_SECONDS if interval is None else interval,
            grace=datetime.timedelta(seconds=grace),
        )

    def _loop(self, *, interval: float, grace: datetime.timedelta) -> None:
        # Looping beside live payments, leave fresh rows to the publish right after their commit. A
        # database or broker that goes away is logged as it goes and as it comes back, and the loop
        # goes on (common.db_errors.unless_database_away).
        backoff, next_relay = interval, 0.0
        while True:
            published: int | None = 0
            if time.monotonic() >= next_relay:
                published = outbox_relay_round(grace=grace)
            delivered = notices_deliver_round() if published is not None else None
            if published is None or delivered is None:  # the database is away
                time.sleep(backoff)
                backoff = min(backoff * 2, max(interval, MAX_BACKOFF_SECONDS))
                continue
            backoff = interval
            if published:
                self.stdout.write(f"published {published}")
                # The drain just published syncs every open row; give it the grace a fresh row gets
                # before publishing another (a worker that is away would find one queued per round).
                next_relay = time.monotonic() + max(interval, grace.total_seconds())
            if delivered:
                self.stdout.write(f"delivered {delivered} notices")
            time.sleep(interval)
