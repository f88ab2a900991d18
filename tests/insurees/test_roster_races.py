"""A roster import beside live payments on PostgreSQL: the two take their row locks in one order, so
neither deadlocks the other, whatever the order of the file. Each race is forced by pausing one side
while it holds its first locks."""

import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

import insurees.roster.importing as roster
from insurees.models import Enrollment, InsureeStatus
from insurees.roster import ImportReport, RosterRow, roster_import
from payments.services import Actor
from tests.factories import BindingFactory, EmployeeFactory, PremiumRateFactory, ResidentFactory, UserFactory
from tests.payments.invariants import assert_money_invariants
from tests.payments.paying import fund_account_ensure, payment_create_for_relative, payment_create_self


def roster_row(insuree, line, *, balance_fen=None, status=None) -> RosterRow:
    person = insuree.person
    return RosterRow(
        line, person.id_number, person.name, insuree.scheme, insuree.region_code,
        status or insuree.status, balance_fen, person.phone,
    )  # fmt: skip


def in_thread(work, outcomes: dict, name: str) -> threading.Thread:
    def run():
        try:
            outcomes[name] = work()
        except Exception as error:  # the outcome is the test's to judge
            outcomes[name] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def premium(transactional_db):
    year = timezone.localdate().year + 1
    PremiumRateFactory(year=year, amount_fen=42_000)
    return year


def test_balance_adjustments_in_file_order_and_a_self_payment_do_not_deadlock(premium, monkeypatch):
    parent = ResidentFactory()
    first, second = EmployeeFactory(balance_fen=100_000), EmployeeFactory(balance_fen=100_000)
    assert first.account_id < second.account_id
    for authorizer in (first, second):
        BindingFactory(authorizer=authorizer, beneficiary=parent)
    fund_account_ensure(region_code=parent.region_code)

    holding = threading.Event()
    adjust = roster.personal_account_set_funded

    def adjust_then_pause(**kwargs):
        posted = adjust(**kwargs)
        if not holding.is_set():
            holding.set()
            time.sleep(1.5)  # the payment locks the other account meanwhile, then waits for this one
        return posted

    monkeypatch.setattr(roster, "personal_account_set_funded", adjust_then_pause)
    outcomes: dict = {}
    rows = [
        roster_row(second, 2, balance_fen=90_000),
        roster_row(first, 3, balance_fen=90_000),
    ]  # not pk order
    importing = in_thread(lambda: roster_import(rows=rows, report=ImportReport()), outcomes, "import")
    assert holding.wait(10)
    paying = in_thread(
        lambda: payment_create_self(
            beneficiary=parent, year=premium, actor=Actor(user=UserFactory(), idempotency_key="self")
        ),
        outcomes,
        "payment",
    )
    importing.join(30)
    paying.join(30)

    assert not any(isinstance(outcome, Exception) for outcome in outcomes.values()), outcomes
    assert outcomes["import"].bad == []
    assert_money_invariants()


def test_a_status_and_balance_change_beside_a_payment_do_not_deadlock(premium, monkeypatch):
    parent = ResidentFactory()
    authorizer = EmployeeFactory(balance_fen=100_000)
    BindingFactory(authorizer=authorizer, beneficiary=parent)
    fund_account_ensure(region_code=parent.region_code)
    Enrollment.objects.get_or_create(insuree=parent, year=premium)

    payment_holds_accounts, roster_changed = threading.Event(), threading.Event()
    change = roster.insuree_change

    def hold_locks(payments):
        """Called inside the payment's transaction, after it has locked and debited the accounts."""
        payment_holds_accounts.set()
        roster_changed.wait(10)

    def change_then_signal(**kwargs):
        changed = change(**kwargs)
        roster_changed.set()
        return changed

    monkeypatch.setattr(roster, "insuree_change", change_then_signal)
    outcomes: dict = {}
    paying = in_thread(
        lambda: payment_create_for_relative(
            authorizer=authorizer,
            beneficiary=parent,
            year=premium,
            actor=Actor(user=UserFactory(), idempotency_key="relative", record=hold_locks),
        ),
        outcomes,
        "payment",
    )
    assert payment_holds_accounts.wait(10)
    rows = [roster_row(authorizer, 2, balance_fen=90_000, status=InsureeStatus.SUSPENDED)]
    importing = in_thread(lambda: roster_import(rows=rows, report=ImportReport()), outcomes, "import")
    importing.join(30)
    paying.join(30)

    assert not any(isinstance(outcome, Exception) for outcome in outcomes.values()), outcomes
    assert outcomes["import"].bad == []
    assert_money_invariants()
