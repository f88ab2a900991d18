"""Writes to enrollments: created on demand before a payment locks them, marked by the sync."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from insurees.models import Enrollment, Insuree


def enrollments_ensure(*, insurees: Sequence[Insuree], year: int) -> None:
    """Creates the insurees' enrollments for the year where missing; one statement, race-safe.

    On PostgreSQL an insert that meets a twin's uncommitted row waits for it, as a lock would; the
    rows go in primary-key order, so two payments for the same relatives in another order cannot
    wait on each other in a cycle.
    """
    Enrollment.objects.bulk_create(
        [Enrollment(insuree_id=pk, year=year) for pk in sorted({insuree.pk for insuree in insurees})],
        ignore_conflicts=True,
    )


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
