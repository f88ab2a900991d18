import datetime
from collections import defaultdict
from collections.abc import Collection

from django.db.models import QuerySet, Sum
from django.db.models.expressions import RawSQL

from ledger.models import Account, Entry, Transaction


def account_balance_get(*, account_id: int) -> int:
    return Account.objects.values_list("balance_fen", flat=True).get(pk=account_id)


def account_balances_get(*, account_ids: Collection[int]) -> dict[int, int]:
    """{account id: balance} for these accounts, in one query."""
    return dict(Account.objects.filter(pk__in=account_ids).values_list("pk", "balance_fen"))


def account_balance_from_entries(*, account: Account) -> int:
    """The balance as the books say it is: the sum of the account's entries."""
    return Entry.objects.filter(account=account).aggregate(total=Sum("amount_fen"))["total"] or 0


def accounts_out_of_balance() -> list[tuple[int, int, int]]:
    """(account id, stored balance, sum of entries) for every account where the two disagree."""
    sums = dict(
        Entry.objects.values_list("account_id")
        .annotate(total=Sum("amount_fen"))
        .values_list("account_id", "total")
    )
    return [
        (account_id, balance, sums.get(account_id, 0))
        for account_id, balance in Account.objects.values_list("pk", "balance_fen")
        if balance != sums.get(account_id, 0)
    ]


def transactions_not_balanced() -> list[int]:
    return list(
        Transaction.objects.annotate(total=Sum("entries__amount_fen"))
        .exclude(total=0)
        .values_list("pk", flat=True)
    )


def accounts_received_from(*, account_ids: list[int], source: Account) -> dict[int, int]:
    """What each account has received from `source` in all, over every transaction with both sides.

    Two index lookups, whatever the size of the ledger: the accounts' own entries, then which of
    their transactions have the source on the other side, one probe each of (transaction, account).
    Transactions shared by many accounts (a roster's openings, a hundred at a time) are never read
    whole, nor are the source's own entries scanned.
    """
    if not account_ids:
        return {}
    entries = list(
        Entry.objects.filter(account_id__any_of=account_ids).values_list(
            "transaction_id", "account_id", "amount_fen"
        )
    )
    # The source's key is written into the statement, not bound: a prepared statement's plan for any
    # account at all would walk the source's own entries, one per opening where openings are not shared.
    source_key = RawSQL(str(int(source.pk)), ())  # noqa: S611 - an integer key of our own
    from_source = set(
        Entry.objects.filter(
            transaction_id__any_of={txn for txn, _account, _amount in entries}, account_id=source_key
        ).values_list("transaction_id", flat=True)
    )
    received: dict[int, int] = defaultdict(int)
    for txn, account_id, amount_fen in entries:
        if txn in from_source:
            received[account_id] += amount_fen
    return dict(received)


def entry_list_for_transactions(*, transaction_ids: Collection[int]) -> QuerySet[Entry]:
    return Entry.objects.filter(transaction_id__in=transaction_ids)


def transaction_list_originals(
    *,
    created_from: datetime.datetime,
    created_before: datetime.datetime,
    reference_prefix: str,
    exclude_ids: Collection[int],
) -> list[tuple[int, str]]:
    """(id, reference) of the transactions posted in [created_from, created_before) whose reference
    starts with the prefix, leaving out reversals and the ids the caller already knows."""
    return list(
        Transaction.objects.filter(
            created_at__gte=created_from,
            created_at__lt=created_before,
            reference__startswith=reference_prefix,
            reverses__isnull=True,
        )
        .exclude(pk__in=exclude_ids)
        .values_list("pk", "reference")
    )
