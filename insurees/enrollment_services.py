"""Writes to enrollments: created on demand before a payment locks them, marked by the sync."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from insurees.models import Enrollment, Insuree


def enrollments_ensure(*, insurees: Sequence[Insuree], year: int) -> list[Enrollment]:
    """The enrollments of these insurees for the year, creating missing ones (race-safe)."""
    ids = [insuree.pk for insuree in insurees]
    existing = {e.insuree_id: e for e in Enrollment.objects.filter(insuree_id__in=ids, year=year)}
    missing = [Enrollment(insuree_id=pk, year=year) for pk in ids if pk not in existing]
    if missing:
        Enrollment.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {e.insuree_id: e for e in Enrollment.objects.filter(insuree_id__in=ids, year=year)}
    return [existing[pk] for pk in ids]


@transaction.atomic
def enrollment_mark_paid(*, insuree_id: int, year: int, payment_id: int) -> bool:
    """Idempotent: marking the same payment twice changes nothing. Returns whether a row changed."""
    updated = (
        Enrollment.objects.filter(insuree_id=insuree_id, year=year)
        .exclude(paid=True, payment_id=payment_id)
        .update(paid=True, payment_id=payment_id, paid_at=timezone.now())
    )
    if not updated and not Enrollment.objects.filter(insuree_id=insuree_id, year=year).exists():
        Enrollment.objects.create(
            insuree_id=insuree_id, year=year, paid=True, payment_id=payment_id, paid_at=timezone.now()
        )
        return True
    return bool(updated)


def enrollment_mark_unpaid(*, payment_id: int) -> int:
    """A refund reverses the enrollment the payment had paid, if it had synced already."""
    return Enrollment.objects.filter(payment_id=payment_id).update(paid=False, payment_id=None, paid_at=None)
