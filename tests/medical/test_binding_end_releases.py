"""Ending a binding releases its allowance at once, in the same transaction, whatever path ends it
(the trigger of allowances.sql): either side, a status change, a move, the roster import."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from insurees.models import InsureeStatus
from insurees.services import insuree_change
from ledger.models import Account
from medical.models import Allowance, AllowanceChange, AllowanceStatus, ChangeKind, ReleaseReason
from medical.services import allowance_set
from mutual_aid.models import Binding, BindingStatus, EndReason
from mutual_aid.services import binding_end, binding_end_all_for_insuree
from notices.models import Notice
from tests.factories import NANJING, BindingFactory


def set_allowance(binding, amount_fen, actor_for):
    person = binding.authorizer.person
    return allowance_set(
        authorizer=person, binding_id=binding.pk, amount_fen=amount_fen, actor=actor_for(person)
    )


def assert_released(allowance: Allowance, *, personal_balance_fen: int) -> None:
    allowance.refresh_from_db()
    assert (allowance.status, allowance.release_reason) == (
        AllowanceStatus.RELEASED,
        ReleaseReason.BINDING_ENDED,
    )
    assert Account.objects.get(pk=allowance.hold_account_id).balance_fen == 0
    assert Account.objects.get(pk=allowance.authorizer.account_id).balance_fen == personal_balance_fen
    change = AllowanceChange.objects.filter(allowance=allowance).order_by("pk").last()
    assert (change.kind, change.user_id, change.amount_after_fen) == (ChangeKind.BINDING_ENDED, None, 0)
    assert Notice.objects.filter(kind="allowance_released", link_id=allowance.binding_id).count() == 2


@pytest.mark.parametrize("side", ["authorizer", "beneficiary"])
def test_either_side_ending_the_binding_releases_the_allowance(family, actor_for, side):
    allowance = set_allowance(family, 30_000, actor_for)

    binding_end(binding=family, ended_by=getattr(family, side).person)

    assert_released(allowance, personal_balance_fen=100_000)


@pytest.mark.parametrize(
    ("side", "change"),
    [
        ("authorizer", {"status": InsureeStatus.TERMINATED}),
        ("authorizer", {"region_code": NANJING}),
        ("beneficiary", {"status": InsureeStatus.SUSPENDED}),
        ("beneficiary", {"region_code": NANJING}),
    ],
    ids=["authorizer-ended", "authorizer-moved", "beneficiary-ended", "beneficiary-moved"],
)
def test_a_status_change_or_a_move_releases_the_allowance(family, actor_for, side, change):
    allowance = set_allowance(family, 30_000, actor_for)

    insuree_change(insuree=getattr(family, side), **change)

    family.refresh_from_db()
    assert family.status == BindingStatus.ENDED
    assert_released(allowance, personal_balance_fen=100_000)


def test_every_allowance_of_an_authorizer_whose_insurance_ends_is_released(family, actor_for):
    second = BindingFactory(authorizer=family.authorizer)
    allowances = [set_allowance(family, 30_000, actor_for), set_allowance(second, 20_000, actor_for)]

    binding_end_all_for_insuree(insuree=family.authorizer, reason=EndReason.AUTHORIZER_NOT_ACTIVE)

    for allowance in allowances:
        assert_released(allowance, personal_balance_fen=100_000)


def test_a_bulk_update_releases_too(family, actor_for):
    allowance = set_allowance(family, 30_000, actor_for)

    Binding.objects.filter(pk=family.pk).update(status=BindingStatus.ENDED, ended_at=allowance.created_at)

    assert_released(allowance, personal_balance_fen=100_000)


def test_a_move_through_the_roster_import_releases_the_allowance(family, actor_for, tmp_path):
    allowance = set_allowance(family, 30_000, actor_for)
    person = family.beneficiary.person
    path = tmp_path / "roster.csv"
    path.write_text(
        "id_number,name,scheme,region_code,status,balance,phone\n"
        f"{person.id_number},{person.name},resident,{NANJING},active,,\n",
        encoding="utf-8",
    )

    call_command("import_insurees", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    family.refresh_from_db()
    assert (family.status, family.end_reason) == (BindingStatus.ENDED, EndReason.BENEFICIARY_MOVED)
    assert_released(allowance, personal_balance_fen=100_000)


def test_an_end_rolled_back_rolls_the_release_back(family, actor_for):
    allowance = set_allowance(family, 30_000, actor_for)

    def end_then_fail():
        with transaction.atomic():
            binding_end(binding=family, ended_by=family.authorizer.person)
            raise RuntimeError("the end fails after the binding's update")

    with pytest.raises(RuntimeError):
        end_then_fail()

    allowance.refresh_from_db()
    assert allowance.status == AllowanceStatus.ACTIVE
    assert Account.objects.get(pk=allowance.hold_account_id).balance_fen == 30_000
    assert Account.objects.get(pk=family.authorizer.account_id).balance_fen == 70_000


def test_other_updates_of_a_binding_release_nothing(family, actor_for):
    allowance = set_allowance(family, 30_000, actor_for)

    Binding.objects.filter(pk=family.pk).update(self_pay_paused=True)

    allowance.refresh_from_db()
    assert allowance.status == AllowanceStatus.ACTIVE
