from __future__ import annotations

from django.db.models import QuerySet

from notices.models import Notice


def notice_list_for_person(*, person_id: int) -> QuerySet[Notice]:
    """The person's own notices, newest first; nobody else's."""
    return Notice.objects.filter(person_id=person_id).order_by("-created_at", "-pk")


def notice_unread_count(*, person_id: int) -> int:
    return Notice.objects.filter(person_id=person_id, read_at__isnull=True).count()
