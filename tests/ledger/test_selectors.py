"""The ledger's reads that the daily reconciliation composes."""

import datetime

import pytest
from django.utils import timezone

from ledger.models import AccountKind
from ledger.selectors import entry_list_for_transactions, transaction_list_originals
from ledger.services import account_create, transaction_post, transaction_reverse


@pytest.fixture
def accounts(db):
    source = account_create(code="external:test", kind=AccountKind.EXTERNAL)
    personal = account_create(code="personal:test", kind=AccountKind.PERSONAL)
    transaction_post(legs=[(source, -10_000), (personal, 10_000)], memo="opening")
    return personal, account_create(code="fund:test", kind=AccountKind.FUND)


def test_a_transactions_entries(accounts):
    personal, fund = accounts
    premium = transaction_post(legs=[(personal, -4_000), (fund, 4_000)], memo="premium")

    entries = entry_list_for_transactions(transaction_ids=[premium.pk])

    assert sorted((e.transaction_id, e.account_id, e.amount_fen) for e in entries) == sorted(
        [(premium.pk, personal.pk, -4_000), (premium.pk, fund.pk, 4_000)]
    )
    assert not entry_list_for_transactions(transaction_ids=[])


def test_the_originals_of_a_window_leave_out_reversals_known_ids_and_other_references(accounts):
    personal, fund = accounts
    unknown = transaction_post(legs=[(personal, -4_000), (fund, 4_000)], memo="premium", reference="PAY1")
    known = transaction_post(legs=[(personal, -1_000), (fund, 1_000)], memo="premium", reference="PAY2")
    transaction_reverse(transaction=known, memo="refund PAY2")
    now, hour = timezone.now(), datetime.timedelta(hours=1)

    def originals(**window) -> list[tuple[int, str]]:
        return transaction_list_originals(**window, reference_prefix="PAY", exclude_ids={known.pk})

    assert originals(created_from=now - hour, created_before=now + hour) == [(unknown.pk, "PAY1")]
    assert originals(created_from=now + hour, created_before=now + 2 * hour) == []
