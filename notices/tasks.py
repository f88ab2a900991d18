from celery import shared_task


@shared_task(
    ignore_result=True,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=3,
)
def notices_deliver_task(notice_ids: list[int]) -> int:
    """After a commit: delivers these notices outside the portal (a sender's failure is not an error
    of the task: it is counted on the notice and left to the sweep)."""
    from notices.services import notices_deliver

    return notices_deliver(notice_ids=notice_ids)


@shared_task(ignore_result=True)
def notices_redeliver_task() -> int:
    """The periodic sweep: whatever the after-commit delivery could not hand over or send."""
    from notices.services import notices_redeliver_pending

    return notices_redeliver_pending()
