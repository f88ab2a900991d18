"""The locks of a payment, in the one global order every writer follows:

0. the outbox rows (the enrollment sync only: a batch skips rows another sync holds, never waits);
1. the beneficiaries' enrollments for the year, by primary key;
2. then the payment rows (refund and sync only);
3. then every ledger account the payment touches (personal accounts and the region's fund
   account together), by primary key, in one statement.

On PostgreSQL the payment and the sync take these locks inside the functions of migration 0004 of
payments, in the same order. The ledger locks the same accounts again when it posts; a row lock is
re-entrant within its transaction, so that second lock never waits.
"""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from insurees.models import Enrollment
from ledger.models import Account


def enrollments_for_update(*, insuree_ids: list[int], year: int) -> QuerySet[Enrollment]:
    """First lock of every payment: the beneficiaries' enrollments for the year, by primary key.

    The insuree comes in the same round trip, read when the lock is granted, so the beneficiary's
    status and region are judged as they are now; only the enrollment row is locked.
    """
    return (
        Enrollment.objects.filter(insuree_id__in=insuree_ids, year=year)
        .select_related("insuree")
        .order_by("pk")
        .select_for_update(of=("self",))
    )


def accounts_for_update(*, account_ids: Iterable[int], codes: Iterable[str] = ()) -> QuerySet[Account]:
    """The payer's personal accounts and the fund accounts by code, locked in primary-key order."""
    return (
        Account.objects.filter(Q(pk__in=list(account_ids)) | Q(code__in=list(codes)))
        .order_by("pk")
        .select_for_update(of=("self",))
    )
