from django.db.models import Sum

from ledger.models import Account, Entry, Transaction


def account_balance_get(*, account_id: int) -> int:
    return Account.objects.values_list("balance_fen", flat=True).get(pk=account_id)


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
