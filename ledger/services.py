"""The only way money moves: balanced transactions of append-only entries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db import connection
from django.db import transaction as db_transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.bulk import bulk_insert, draw_keys
from common.errors import ApplicationError
from ledger.lock_objects import accounts_for_update
from ledger.models import Account, AccountKind, Entry, Transaction

Leg = tuple[Account, int]


def account_create(*, code: str, kind: AccountKind, name: str = "") -> Account:
    return Account.objects.create(code=code, kind=kind, name=name)


def account_get_or_create(*, code: str, kind: AccountKind, name: str = "") -> Account:
    account, _created = Account.objects.get_or_create(code=code, defaults={"kind": kind, "name": name})
    return account


def accounts_lock(*, account_ids: list[int]) -> dict[int, Account]:
    """Locks the accounts in primary-key order, the one order every writer follows, for a posting
    that judges their balances first; returns them as they are once the locks are granted."""
    return {account.pk: account for account in accounts_for_update(account_ids)}


def transaction_post(
    *,
    legs: Sequence[Leg],
    memo: str,
    reference: str = "",
    reverses: Transaction | None = None,
    locked_by_caller: bool = False,
) -> Transaction:
    """Posts one balanced transaction: its legs sum to zero and leave no account below zero.

    Accounts are locked in primary-key order here. A caller that locked them already, in primary-key
    order and in its own transaction, says so with `locked_by_caller`: the balances on its Account
    objects are then current, and the posting costs no savepoint and no second lock.
    """
    totals = _balanced_totals(legs)
    if locked_by_caller:
        if not db_transaction.get_connection().in_atomic_block:
            raise RuntimeError("locked_by_caller needs the caller's transaction")
        locked = {account.pk: account for account, _amount in legs}
        _check_balances(locked, totals)  # refused before any write: the caller's transaction is intact
        with db_transaction.atomic(savepoint=False):  # a failed write dooms the caller's transaction
            return _write(legs, totals, locked, memo=memo, reference=reference, reverses=reverses)
    with db_transaction.atomic():
        locked = {account.pk: account for account in accounts_for_update(totals)}
        _check_balances(locked, totals)
        return _write(legs, totals, locked, memo=memo, reference=reference, reverses=reverses)


def _balanced_totals(legs: Sequence[Leg]) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    for account, amount_fen in legs:
        if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen == 0:
            raise ApplicationError(
                "invalid_input", _("Every ledger entry moves a whole, non-zero number of fen.")
            )
        totals[account.pk] += amount_fen
    if len(legs) < 2 or sum(totals.values()) != 0:
        raise ApplicationError(
            "unbalanced_transaction", _("A ledger transaction's entries must sum to zero.")
        )
    return totals


def _check_balances(locked: dict[int, Account], totals: dict[int, int]) -> None:
    for account_id, delta in totals.items():
        account = locked[account_id]
        if account.kind != AccountKind.EXTERNAL and account.balance_fen + delta < 0:
            raise ApplicationError(
                "insufficient_balance", _("The personal account's balance is not enough."), field="balance"
            )


def _write(
    legs: Sequence[Leg],
    totals: dict[int, int],
    locked: dict[int, Account],
    *,
    memo: str,
    reference: str,
    reverses: Transaction | None,
) -> Transaction:
    """One call of ledger_post (ledger/migrations/sql/ledger.sql), the payment functions' posting too:
    the entries go in as one statement and the database moves the balances by them."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ledger_post(%s, %s, %s, %s, %s, %s)",
            [
                memo,
                reference,
                reverses.pk if reverses is not None else None,
                [account.pk for account, _amount in legs],
                [amount_fen for _account, amount_fen in legs],
                now,
            ],
        )
        [txn_id] = cursor.fetchone()
    for account_id, delta in totals.items():
        locked[account_id].balance_fen += delta
    for account, _amount in legs:
        account.balance_fen = locked[account.pk].balance_fen
    txn = Transaction(pk=txn_id, memo=memo, reference=reference, reverses=reverses, created_at=now)
    txn._state.adding, txn._state.db = False, connection.alias
    return txn


@db_transaction.atomic
def transaction_reverse(*, transaction: Transaction, memo: str) -> Transaction:
    """Undoes a transaction with its mirror image; the original stays, and is reversed at most once
    (the one-to-one `reverses` column refuses a second reversal at the database)."""
    if Transaction.objects.filter(reverses=transaction).exists():
        raise ApplicationError("invalid_input", _("This ledger transaction has already been reversed."))
    legs = [(entry.account, -entry.amount_fen) for entry in transaction.entries.select_related("account")]
    return transaction_post(legs=legs, memo=memo, reference=transaction.reference, reverses=transaction)


# Accounts whose opening balances share one ledger transaction, which writes the source's side once
# for all of them: n openings write n + n/100 entries and n/100 transactions, where a transaction
# each wrote 2n and n (a roster import's database time fell by a seventh). A hundred entries still
# read as one page (the admin's, say).
OPENINGS_PER_TRANSACTION = 100


@db_transaction.atomic
def transactions_post_opening_balances(
    *,
    source: Account,
    credits: list[tuple[Account, int]],
    memo: str,
    per_transaction: int = OPENINGS_PER_TRANSACTION,
) -> int:
    """Posts many opening balances at once, in a handful of statements instead of several per
    account: balanced transactions of up to `per_transaction` accounts each, the source debited once
    in each for their sum, each account credited its amount.

    A credited account that is not saved yet is opened here (at zero, then credited; an amount of 0
    opens it with no transaction), with the key it was given (`common.bulk.draw_keys`, so rows
    pointing at it could go in first) or a new one. A saved account is locked, with the source, in
    primary-key order, and credited. Returns the number of transactions posted.

    The shared source account is locked last, once every other row is written and the caller's
    deferred foreign keys are checked: concurrent postings (the lanes of a roster import) then hold it
    only for the entries (whose trigger moves the balances) and the commit.
    """
    opened = [account for account, _amount in credits if account._state.adding]
    saved = {account.pk: amount for account, amount in credits if not account._state.adding}
    if len(saved) + len(opened) != len(credits) or len({a.code for a in opened}) != len(opened):
        raise ApplicationError("invalid_input", _("Each account is credited once."))
    for _account, amount_fen in credits:
        if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen < 0:
            raise ApplicationError(
                "invalid_input", _("An opening balance is a whole, non-negative number of fen.")
            )
    postings = [(account, amount_fen) for account, amount_fen in credits if amount_fen]
    total = sum(amount_fen for _account, amount_fen in postings)
    if source._state.adding or source.pk in saved:
        raise ApplicationError(
            "invalid_input", _("The source is a saved account other than the credited ones.")
        )

    unkeyed = [account for account in opened if account.pk is None]
    for account, key in zip(unkeyed, draw_keys(Account, len(unkeyed)), strict=True):
        account.pk = key
    # New accounts open at zero; the entries below credit them, as any posting credits an account.
    bulk_insert(
        Account,
        ("id", "code", "kind", "name", "balance_fen"),
        [(account.pk, account.code, account.kind, account.name, 0) for account in opened],
    )
    for account in opened:
        account._state.adding, account._state.db = False, connection.alias
    _check_deferred_constraints()  # the caller's rows point at accounts that exist now
    batches = [
        postings[start : start + per_transaction] for start in range(0, len(postings), per_transaction)
    ]
    transaction_keys = bulk_insert(Transaction, ("memo",), [(memo,)] * len(batches))
    entries: list[tuple[int, int, int]] = []
    for txn, batch in zip(transaction_keys, batches, strict=True):
        entries.append((txn, source.pk, -sum(amount_fen for _account, amount_fen in batch)))
        entries.extend((txn, account.pk, amount_fen) for account, amount_fen in batch)

    locked = {account.pk: account for account in accounts_for_update([source.pk, *saved])}
    if locked[source.pk].kind != AccountKind.EXTERNAL and locked[source.pk].balance_fen < total:
        raise ApplicationError(
            "insufficient_balance", _("The personal account's balance is not enough."), field="balance"
        )
    bulk_insert(Entry, ("transaction_id", "account_id", "amount_fen"), entries, keys=False)
    source.balance_fen = locked[source.pk].balance_fen - total
    for account, amount_fen in credits:
        account.balance_fen = (
            locked[account.pk].balance_fen + amount_fen if account.pk in saved else amount_fen
        )
    return len(batches)


def _check_deferred_constraints() -> None:
    """The transaction's deferred foreign keys (and balanced transactions) are checked now rather than
    at commit, so that a breach is refused inside the posting."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def ledger_statistics_refresh() -> None:
    """Fresh planner statistics for the ledger's tables, after a bulk job (a roster import) grew them."""
    with connection.cursor() as cursor:
        for model in (Account, Transaction, Entry):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
