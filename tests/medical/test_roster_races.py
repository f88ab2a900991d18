"""A roster import ending bindings beside an allowance change on PostgreSQL: the import takes every
binding it will end before the first release locks an authorizer's accounts, so the two never wait
for each other in a circle. The race is forced by pausing the import after its first change."""

import threading
import time

import insurees.roster.importing as roster
from insurees.models import InsureeStatus
from insurees.roster import ImportReport, RosterRow, roster_import
from medical.models import Allowance, AllowanceStatus
from medical.services import Actor, allowance_set
from tests.factories import BindingFactory, EmployeeFactory, user_for
from tests.insurees.test_roster_races import in_thread
from tests.payments.invariants import assert_money_invariants


def suspended_row(insuree, line) -> RosterRow:
    person = insuree.person
    return RosterRow(
        line, person.id_number, person.name, insuree.scheme, insuree.region_code, InsureeStatus.SUSPENDED,
        None, person.phone,
    )  # fmt: skip


def test_an_import_ending_two_bindings_and_a_raise_of_the_second_do_not_deadlock(
    transactional_db, monkeypatch
):
    authorizer = EmployeeFactory(balance_fen=100_000)
    first, second = BindingFactory(authorizer=authorizer), BindingFactory(authorizer=authorizer)
    assert first.beneficiary_id < second.beneficiary_id
    user = user_for(authorizer.person)
    for binding in (first, second):
        allowance_set(
            authorizer=authorizer.person, binding_id=binding.pk, amount_fen=10_000,
            actor=Actor(user=user, idempotency_key=f"set-{binding.pk}"),
        )  # fmt: skip

    holding = threading.Event()
    change = roster.insuree_change

    def change_then_pause(**kwargs):
        changed = change(**kwargs)
        if not holding.is_set():
            holding.set()
            time.sleep(1.5)  # holding the authorizer's accounts; the raise starts meanwhile
        return changed

    monkeypatch.setattr(roster, "insuree_change", change_then_pause)
    outcomes: dict = {}
    rows = [suspended_row(first.beneficiary, 2), suspended_row(second.beneficiary, 3)]
    importing = in_thread(
        lambda: roster_import(rows=rows, report=ImportReport(), lanes=1), outcomes, "import"
    )
    assert holding.wait(10)
    raising = in_thread(
        lambda: allowance_set(
            authorizer=authorizer.person, binding_id=second.pk, amount_fen=30_000,
            actor=Actor(user=user, idempotency_key="raise"),
        ),
        outcomes,
        "raise",
    )  # fmt: skip
    importing.join(30)
    raising.join(30)

    assert isinstance(outcomes["import"], ImportReport), outcomes
    assert outcomes["import"].bad == []
    # The raise waited for the second binding, which the import had ended meanwhile.
    assert getattr(outcomes["raise"], "code", None) == "binding_not_found", outcomes
    assert not Allowance.objects.filter(status=AllowanceStatus.ACTIVE).exists()
    authorizer.account.refresh_from_db()
    assert authorizer.account.balance_fen == 100_000
    assert_money_invariants()
