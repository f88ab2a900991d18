import datetime

from celery import shared_task
from django.utils import timezone

from staff.services import reconciliation_run


@shared_task(ignore_result=True)
def reconcile_yesterday_task() -> bool:
    return reconciliation_run(date=timezone.localdate() - datetime.timedelta(days=1)).ok
