from celery import shared_task


@shared_task(ignore_result=True)
def notices_deliver_task() -> int:
    """Beat's round of the notices' relay, every few seconds: delivers every due notice outside the
    portal (a sender's failure is counted on the notice and tried again in a later round)."""
    from notices.services import notices_deliver_round

    return notices_deliver_round() or 0
