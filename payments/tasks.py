from celery import shared_task

from payments.outbox import RELAY_GRACE, outbox_relay
from payments.services import payment_sync_enrollment


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=20,
)
def enrollment_sync_task(self, payment_id: int) -> bool:
    return payment_sync_enrollment(payment_id=payment_id)


@shared_task(ignore_result=True)
def outbox_relay_task() -> int:
    return outbox_relay(grace=RELAY_GRACE)
