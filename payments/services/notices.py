from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone

from payments.models import Notification
from payments.notifications import notification_email_send


def notifications_mark_read(*, person_id: int) -> int:
    return Notification.objects.filter(person_id=person_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_email_after_commit(*, notification_id: int) -> None:
    """The in-app notice is written with its change; the email leaves only after the commit."""
    transaction.on_commit(partial(notification_email_send, notification_id=notification_id), robust=True)
