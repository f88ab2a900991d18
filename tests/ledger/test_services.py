import threading

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from common.errors import ApplicationError
from ledger.models import Account, AccountKind, Entry, Transaction
from ledger.selectors import account_balance_from_entries, accounts_out_of_balance, transactions_not_balanced
from ledger.services import account_create, transaction_post, transaction_reverse


@pytest.fixture
def source(db):
    return account_create(code="external:test", kind=AccountKind.EXTERNAL)


@pytest.fixture
def personal(db, source):
    account = account_create(code="personal:test", kind=AccountKind.PERSONAL)
    transaction_post(legs=[(source, -10_000), (account, 10_000)], memo="opening")
    return account


@pytest.fixture
def fund(db):
    return account_create(code="fund:test", kind=AccountKind.FUND)


def test_a_balanced_transaction_moves_money_and_keeps_balances_equal_to_entries(personal, fund):
    txn = transaction_post(legs=[(personal, -4_000), (fund, 4_000)], memo="premium")

    personal.refresh_from_db()
    fund.refresh_from_db()
    assert (personal.balance_fen, fund.balance_fen) == (6_000, 4_000)
    assert sum(e.amount_fen for e in txn.entries.all()) == 0
    assert accounts_out_of_balance() == []


@pytest.mark.parametrize("legs", [[-4_000, 3_999], [-4_000], [0, 0], [-1, 1, 1]])
def test_an_unbalanced_or_empty_transaction_is_refused_and_moves_nothing(personal, fund, legs):
    accounts = [personal, fund, fund]
    with pytest.raises(ApplicationError) as raised:
        transaction_post(legs=list(zip(accounts, legs, strict=False)), memo="bad")

    assert raised.value.code in {"unbalanced_transaction", "invalid_input"}
    personal.refresh_from_db()
    assert personal.balance_fen == 10_000
    assert Transaction.objects.count() == 1  # the opening balance only


def test_an_overdraft_is_refused_by_the_service_and_moves_nothing(personal, fund):
    with pytest.raises(ApplicationError) as raised:
        transaction_post(legs=[(personal, -10_001), (fund, 10_001)], memo="too much")

    assert raised.value.code == "insufficient_balance"
    personal.refresh_from_db()
    assert personal.balance_fen == 10_000
    assert Entry.objects.filter(account=fund).count() == 0


def test_the_database_refuses_a_negative_balance_even_past_the_service(personal):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=personal.pk).update(balance_fen=-1)


def test_entries_cannot_be_changed(personal):
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        Entry.objects.filter(account=personal).update(amount_fen=1)


def test_entries_and_transactions_cannot_be_deleted_on_postgres(personal):
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        Entry.objects.filter(account=personal).delete()


def test_a_reversal_restores_balances_and_cannot_be_done_twice(personal, fund):
    txn = transaction_post(legs=[(personal, -4_000), (fund, 4_000)], memo="premium")

    transaction_reverse(transaction=txn, memo="refund")

    personal.refresh_from_db()
    fund.refresh_from_db()
    assert (personal.balance_fen, fund.balance_fen) == (10_000, 0)
    with pytest.raises(ApplicationError):
        transaction_reverse(transaction=txn, memo="refund again")
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database backs the rule
        Transaction.objects.create(memo="second reversal", reverses=txn)
    personal.refresh_from_db()
    assert personal.balance_fen == 10_000
    assert transactions_not_balanced() == []


class TestBalancesEqualEntries(HypothesisTestCase):
    @settings(max_examples=30, deadline=None)
    @given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(1, 5_000)), max_size=25))
    def test_any_sequence_of_postings_keeps_every_balance_equal_to_its_entries(self, moves):
        source = account_create(code="external:h", kind=AccountKind.EXTERNAL)
        accounts = [account_create(code=f"personal:h{i}", kind=AccountKind.PERSONAL) for i in range(3)]
        for account in accounts:
            transaction_post(legs=[(source, -3_000), (account, 3_000)], memo="opening")

        for debit, credit, amount in moves:
            if debit == credit:
                continue
            try:
                transaction_post(legs=[(accounts[debit], -amount), (accounts[credit], amount)], memo="move")
            except ApplicationError as refused:
                assert refused.code == "insufficient_balance"  # noqa: PT017 - refusals are part of the walk

        for account in accounts:
            account.refresh_from_db()
            assert account.balance_fen >= 0
            assert account.balance_fen == account_balance_from_entries(account=account)
        assert transactions_not_balanced() == []


def test_fifty_concurrent_postings_leave_the_right_balance(transactional_db):
    source = account_create(code="external:c", kind=AccountKind.EXTERNAL)
    personal = account_create(code="personal:c", kind=AccountKind.PERSONAL)
    fund = account_create(code="fund:c", kind=AccountKind.FUND)
    transaction_post(legs=[(source, -30 * 1_000), (personal, 30 * 1_000)], memo="opening")
    outcomes: list[str] = []
    barrier = threading.Barrier(50)

    def debit():
        barrier.wait()
        try:
            transaction_post(legs=[(Account(pk=personal.pk), -1_000), (Account(pk=fund.pk), 1_000)], memo="c")
            outcomes.append("ok")
        except ApplicationError as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=debit) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    personal.refresh_from_db()
    assert outcomes.count("ok") == 30
    assert outcomes.count("insufficient_balance") == 20
    assert personal.balance_fen == 0 == account_balance_from_entries(account=personal)
    assert accounts_out_of_balance() == []
