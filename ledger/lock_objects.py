"""Row locks for the ledger, always taken in primary-key order so no two writers deadlock."""

from collections.abc import Iterable

from django.db.models import QuerySet

from ledger.models import Account


def accounts_for_update(account_ids: Iterable[int]) -> QuerySet[Account]:
    return Account.objects.filter(pk__in=list(account_ids)).order_by("pk").select_for_update(of=("self",))
