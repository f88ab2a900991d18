from celery import shared_task

from payments.outbox import DRAIN_PAUSE, RELAY_GRACE

RETRYING = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 20,
}


@shared_task(**RETRYING)
def enrollment_sync_task(self, payment_id: int) -> bool:
    """One payment's sync, for an operator or a task published before drains."""
    from payments.services import payment_sync_enrollment

    return payment_sync_enrollment(payment_id=payment_id)


@shared_task(ignore_result=True, **RETRYING)
def enrollment_sync_drain_task(self) -> int:
    from payments.outbox.consumer import outbox_drain

    # Run in-process (tests, the embedded default) there is no load to wait for.
    return outbox_drain(pause=0 if self.request.is_eager else DRAIN_PAUSE)


@shared_task(ignore_result=True)
def outbox_relay_task() -> int:
    from payments.outbox.consumer import outbox_relay_round

    # While the database is away beat's rounds keep coming; the next one after it is back relays.
    return outbox_relay_round(grace=RELAY_GRACE) or 0


@shared_task(ignore_result=True)
def premium_reminders_task() -> int:
    """Daily: reminds authorizers of unpaid bound relatives before a collection period closes."""
    from payments.services.reminders import premium_reminders_send

    return premium_reminders_send()
