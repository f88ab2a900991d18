"""The ledger's invariants, held by the database itself whatever path writes: raw SQL that would
breach one is refused, and leaves the books as they were.

Inside a test's transaction each attempt runs in a savepoint; the check at commit (a deferred
constraint trigger) is brought forward with SET CONSTRAINTS ... IMMEDIATE, as a commit would run it.
"""

import pytest
from django.db import IntegrityError, connection, transaction

from ledger.models import Account, AccountKind, Entry, Transaction
from ledger.selectors import accounts_out_of_balance
from ledger.services import account_create, transaction_post


@pytest.fixture
def books(db):
    source = account_create(code="external:test", kind=AccountKind.EXTERNAL)
    personal = account_create(code="personal:test", kind=AccountKind.PERSONAL)
    fund = account_create(code="fund:test", kind=AccountKind.FUND)
    transaction_post(legs=[(source, -10_000), (personal, 10_000)], memo="opening")
    return source, personal, fund


def refused(sql: str, params: list, *, constraint: str) -> None:
    before = _books()
    with pytest.raises(IntegrityError) as raised:
        _commit_like(sql, params)
    assert raised.value.__cause__.diag.constraint_name == constraint
    assert _books() == before
    assert accounts_out_of_balance() == []


@transaction.atomic
def _commit_like(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what the commit would check


def _books() -> tuple:
    return (
        list(Account.objects.order_by("pk").values_list("pk", "balance_fen")),
        Transaction.objects.count(),
        Entry.objects.count(),
    )


def test_entries_that_do_not_sum_to_zero_are_refused(books):
    _source, personal, fund = books
    refused(
        "WITH t AS (INSERT INTO ledger_transaction (memo, reference, created_at) VALUES ('raw', '', now()) "
        "RETURNING id) INSERT INTO ledger_entry (transaction_id, account_id, amount_fen, created_at) "
        "SELECT t.id, a, x, now() FROM t, unnest(%s::bigint[], %s::bigint[]) AS leg(a, x)",
        [[personal.pk, fund.pk], [-500, 400]],
        constraint="ledger_transaction_balanced",
    )


def test_a_transaction_of_one_leg_is_refused(books):
    """One non-zero leg cannot sum to zero: the check refuses it whatever else it checks."""
    _source, _personal, fund = books
    refused(
        "WITH t AS (INSERT INTO ledger_transaction (memo, reference, created_at) VALUES ('raw', '', now()) "
        "RETURNING id) INSERT INTO ledger_entry (transaction_id, account_id, amount_fen, created_at) "
        "SELECT t.id, %s, 0 + 1, now() FROM t",
        [fund.pk],
        constraint="ledger_transaction_balanced",
    )


def test_a_transaction_without_entries_is_refused_at_commit(books):
    refused(
        "INSERT INTO ledger_transaction (memo, reference, created_at) VALUES ('empty', '', now())",
        [],
        constraint="ledger_transaction_balanced",
    )


def test_entries_added_to_a_posted_transaction_are_refused_even_when_they_balance(books):
    source, personal, _fund = books
    posted = Transaction.objects.get(memo="opening")
    refused(
        "INSERT INTO ledger_entry (transaction_id, account_id, amount_fen, created_at) "
        "SELECT %s, a, x, now() FROM unnest(%s::bigint[], %s::bigint[]) AS leg(a, x)",
        [posted.pk, [source.pk, personal.pk], [-700, 700]],
        constraint="ledger_transaction_balanced",
    )


def test_a_balance_set_directly_is_refused(books):
    _source, personal, _fund = books
    refused(
        "UPDATE ledger_account SET balance_fen = balance_fen + 1 WHERE id = %s",
        [personal.pk],
        constraint="balance_fen_from_entries",
    )


def test_an_account_opens_at_zero(books):
    refused(
        "INSERT INTO ledger_account (code, kind, name, balance_fen, created_at) "
        "VALUES ('personal:rich', 'personal', '', 5000, now())",
        [],
        constraint="balance_fen_from_entries",
    )


def test_an_account_opened_with_its_entries_in_one_statement_is_not_counted_twice(books):
    source, _personal, _fund = books
    refused(
        "WITH a AS (INSERT INTO ledger_account (code, kind, name, balance_fen, created_at) "
        "VALUES ('personal:twice', 'personal', '', 500, now()) RETURNING id), "
        "t AS (INSERT INTO ledger_transaction (memo, reference, created_at) VALUES ('raw', '', now()) "
        "RETURNING id) INSERT INTO ledger_entry (transaction_id, account_id, amount_fen, created_at) "
        "SELECT t.id, leg.account_id, leg.amount_fen, now() FROM t, "
        "(SELECT %s::bigint AS account_id, -500::bigint AS amount_fen UNION ALL "
        "SELECT a.id, 500 FROM a) AS leg",
        [source.pk],
        constraint="balance_fen_from_entries",
    )


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE ledger_account SET kind = 'external' WHERE id = %s",
        "UPDATE ledger_account SET code = 'personal:someone-else' WHERE id = %s",
        "UPDATE ledger_account SET id = id + 1000000 WHERE id = %s",
        "DELETE FROM ledger_account WHERE id = %s",
    ],
    ids=["kind", "code", "key", "delete"],
)
def test_an_account_keeps_its_identity_and_is_never_deleted(books, change):
    """Made external, an account could be overdrawn; renamed or re-keyed, its entries would be
    another's."""
    _source, personal, _fund = books
    refused(change, [personal.pk], constraint="ledger_account_identity_fixed")


def test_an_overdraft_posted_past_the_service_is_refused(books):
    _source, personal, fund = books
    refused(
        "SELECT ledger_post('raw', '', NULL, %s, %s, now())",
        [[personal.pk, fund.pk], [-10_001, 10_001]],
        constraint="balance_fen_non_negative",
    )


def test_a_balanced_posting_by_raw_sql_moves_the_balances_by_its_entries(books):
    source, personal, fund = books
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ledger_post('raw', '', NULL, %s, %s, now())", [[personal.pk, fund.pk], [-2_500, 2_500]]
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    personal.refresh_from_db()
    fund.refresh_from_db()
    assert (personal.balance_fen, fund.balance_fen) == (7_500, 2_500)
    assert accounts_out_of_balance() == []
