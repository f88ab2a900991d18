"""Row locks for the ledger, always taken in primary-key order so no two writers deadlock."""

from collections.abc import Iterable

from django.db.models import QuerySet

from ledger.models import Account


def accounts_for_update(account_ids: Iterable[int]) -> QuerySet[Account]:
    """FOR NO KEY UPDATE, the lock a balance update takes anyway: it excludes every other writer of
    the row but not the KEY SHARE of a foreign-key check on rows that point at it. With FOR UPDATE,
    two roster lanes that had checked their entries' keys (both holding KEY SHARE on the fund's
    account) would each wait for the other to lock it."""
    return (
        Account.objects.filter(pk__in=list(account_ids))
        .order_by("pk")
        .select_for_update(of=("self",), no_key=True)
    )
