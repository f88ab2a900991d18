"""Row locks taken by insurees' writers, always in primary-key order so no two writers deadlock."""

from collections.abc import Iterable

from django.db.models import QuerySet

from ledger.models import Account


def accounts_for_update(*, account_ids: Iterable[int]) -> QuerySet[Account]:
    """A personal account with the fund it is adjusted from, locked in the order the ledger locks them
    and as the ledger does (FOR NO KEY UPDATE, see ledger/lock_objects.py): an import chunk that has
    checked its foreign keys holds KEY SHARE on the fund's account, which FOR UPDATE would wait for."""
    return (
        Account.objects.filter(pk__in=list(account_ids))
        .order_by("pk")
        .select_for_update(of=("self",), no_key=True)
    )
