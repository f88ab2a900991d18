"""Writes to enrollments. The payment and the sync lock and mark them inside their server-side
functions, through insurees/migrations/sql/enrollments.sql; a refund takes the same first lock here."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from insurees.models import Enrollment, PremiumKind


def enrollments_lock(*, insuree_ids: list[int], year: int, kind: PremiumKind) -> None:
    """The first lock of every writer of a premium: the insurees' enrollments for the year and premium
    kind, created where missing, locked in primary-key order (insurees_enrollments_lock)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM insurees_enrollments_lock(%s, %s, %s, %s)",
            [insuree_ids, year, str(kind), timezone.now()],
        )


def enrollment_mark_unpaid(*, payment_id: int) -> int:
    """A refund reverses the enrollment the payment had paid, if it had synced already."""
    return Enrollment.objects.filter(payment_id=payment_id).update(paid=False, payment_id=None, paid_at=None)
