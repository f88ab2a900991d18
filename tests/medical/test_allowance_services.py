"""Setting, changing and releasing allowances (medical.services over allowances.sql): every rule and
refusal, with what a refusal leaves alone."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from common.errors import ApplicationError
from insurees.models import Insuree
from ledger.models import Account, AccountKind, Entry, Transaction
from medical.models import Allowance, AllowanceChange, AllowanceStatus, ChangeKind, ReleaseReason
from medical.selectors import account_figures_for, allowance_list_for_person
from medical.services import allowance_release, allowance_set
from mutual_aid.models import BindingStatus
from notices.models import Notice
from notices.rendering import notice_text
from tests.factories import BindingFactory, EmployeeFactory, ResidentFactory


def balance(insuree: Insuree) -> int:
    return Account.objects.get(pk=insuree.account_id).balance_fen


def held(allowance: Allowance) -> int:
    return Account.objects.get(pk=allowance.hold_account_id).balance_fen


def set_for(binding, amount_fen, actor_for, key=None):
    person = binding.authorizer.person
    return allowance_set(
        authorizer=person, binding_id=binding.pk, amount_fen=amount_fen, actor=actor_for(person, key)
    )


def refused(code, call):
    with pytest.raises(ApplicationError) as error:
        call()
    assert error.value.code == code
    return error.value


def test_setting_an_allowance_holds_it_in_its_own_account(family, actor_for):
    allowance = set_for(family, 30_000, actor_for)

    assert (allowance.status, allowance.amount_fen, allowance.spent_fen) == (
        AllowanceStatus.ACTIVE,
        30_000,
        0,
    )
    assert (allowance.authorizer_id, allowance.beneficiary_id) == (
        family.authorizer_id,
        family.beneficiary_id,
    )
    assert allowance.hold_account.kind == AccountKind.HOLD
    assert (balance(family.authorizer), held(allowance)) == (70_000, 30_000)
    [txn] = Transaction.objects.filter(memo="allowance hold")
    assert sorted(Entry.objects.filter(transaction=txn).values_list("account_id", "amount_fen")) == sorted(
        [(family.authorizer.account_id, -30_000), (allowance.hold_account_id, 30_000)]
    )
    [change] = AllowanceChange.objects.all()
    assert (change.kind, change.amount_before_fen, change.amount_after_fen, change.ledger_transaction_id) == (
        ChangeKind.SET, 0, 30_000, txn.pk,
    )  # fmt: skip
    figures = account_figures_for(account_id=family.authorizer.account_id, balance_fen=70_000)
    assert (figures.available_fen, figures.held_fen, figures.balance_fen) == (70_000, 30_000, 100_000)


def test_raising_and_lowering_move_only_the_difference(family, actor_for):
    first = set_for(family, 30_000, actor_for)
    raised = set_for(family, 50_000, actor_for)
    lowered = set_for(family, 20_000, actor_for)

    assert first.pk == raised.pk == lowered.pk
    assert (lowered.amount_fen, held(lowered), balance(family.authorizer)) == (20_000, 20_000, 80_000)
    assert list(Transaction.objects.order_by("pk").values_list("memo", flat=True)[1:]) == [
        "allowance hold",
        "allowance hold",
        "allowance release",
    ]  # fmt: skip (after the opening balance)
    changes = AllowanceChange.objects.order_by("pk")
    assert list(changes.values_list("amount_before_fen", "amount_after_fen")) == [
        (0, 30_000), (30_000, 50_000), (50_000, 20_000),
    ]  # fmt: skip


def test_the_same_amount_again_moves_nothing_and_tells_no_one(family, actor_for):
    set_for(family, 30_000, actor_for)
    notices = Notice.objects.count()

    set_for(family, 30_000, actor_for)

    assert Transaction.objects.filter(memo__startswith="allowance").count() == 1
    assert AllowanceChange.objects.order_by("pk").last().ledger_transaction_id is None
    assert Notice.objects.count() == notices


def test_both_sides_are_told_with_the_relation_from_their_side(family, actor_for):
    set_for(family, 30_000, actor_for)  # the beneficiary is the authorizer's parent (the factory's relation)

    to_authorizer = Notice.objects.get(person=family.authorizer.person, kind="allowance_set")
    to_relative = Notice.objects.get(person=family.beneficiary.person, kind="allowance_set")
    with translation.override("en"):
        assert family.beneficiary.person.name in notice_text(to_authorizer)
        assert "300.00" in notice_text(to_authorizer)
        assert family.authorizer.person.name in notice_text(to_relative)
        assert notice_text(to_relative).startswith("Your ")
    with translation.override("zh-hans"):
        assert "300.00" in notice_text(to_relative)


@pytest.mark.parametrize("amount_fen", [0, -1, 1_000_000_001])
def test_an_amount_not_above_zero_or_past_the_cap_is_refused(family, actor_for, snapshot, amount_fen):
    before = snapshot()

    error = refused("invalid_input", lambda: set_for(family, amount_fen, actor_for))

    assert error.field == "amount"
    before.assert_unchanged()


def test_more_than_the_available_balance_is_refused_with_it(family, actor_for, snapshot):
    set_for(family, 60_000, actor_for)
    before = snapshot()

    error = refused("insufficient_balance", lambda: set_for(family, 100_001, actor_for))

    with translation.override("en"):
        assert "400.00" in str(error.message)  # the available balance, 1,000 − 600
    before.assert_unchanged()


def test_all_of_the_available_balance_may_be_held(family, actor_for):
    allowance = set_for(family, 100_000, actor_for)

    assert (balance(family.authorizer), held(allowance)) == (0, 100_000)


def test_another_persons_binding_is_refused_as_if_it_did_not_exist(family, actor_for, snapshot):
    stranger = EmployeeFactory().person
    before = snapshot()

    for person in (stranger, family.beneficiary.person):
        refused(
            "binding_not_found",
            lambda person=person: allowance_set(
                authorizer=person, binding_id=family.pk, amount_fen=1_000, actor=actor_for(person)
            ),
        )
    refused(
        "binding_not_found",
        lambda: allowance_set(
            authorizer=family.authorizer.person,
            binding_id=987_654,
            amount_fen=1_000,
            actor=actor_for(stranger),
        ),
    )
    before.assert_unchanged()


def test_an_ended_binding_takes_no_allowance(family, actor_for, snapshot):
    family.status, family.ended_at, family.end_reason = (
        BindingStatus.ENDED,
        timezone.now(),
        "authorizer_unbound",
    )
    family.save()
    before = snapshot()

    refused("binding_not_found", lambda: set_for(family, 1_000, actor_for))

    before.assert_unchanged()


def spend(allowance: Allowance, amount_fen: int) -> None:
    """A settlement of amount_fen from the allowance (its beneficiary's only one with money left) at a
    hospital of the authorizer's region: the hold pays the institution, and spent grows."""
    from tests.medical.settling import clinic_make, code_for

    region_code = allowance.authorizer.region_code
    clinic = clinic_make(f"SPEND{region_code}", region_code)
    settlement = clinic.settle(code_for(allowance.beneficiary), amount_fen)
    assert settlement.allowance_id == allowance.pk


def test_an_allowance_below_what_is_spent_is_refused(family, actor_for, snapshot):
    allowance = set_for(family, 30_000, actor_for)
    spend(allowance, 12_000)
    before = snapshot()

    error = refused("allowance_below_spent", lambda: set_for(family, 11_999, actor_for))

    with translation.override("en"):
        assert "120.00" in str(error.message)
    before.assert_unchanged()
    lowered = set_for(family, 12_000, actor_for)  # down to what is spent: nothing left to spend
    assert (lowered.remaining_fen, held(lowered), balance(family.authorizer)) == (0, 0, 88_000)


def test_releasing_brings_back_the_unspent_part_at_once(family, actor_for):
    allowance = set_for(family, 30_000, actor_for)
    spend(allowance, 5_000)

    released = allowance_release(
        authorizer=family.authorizer.person, binding_id=family.pk, actor=actor_for(family.authorizer.person)
    )

    assert (released.pk, released.status, released.release_reason) == (
        allowance.pk, AllowanceStatus.RELEASED, ReleaseReason.AUTHORIZER_RELEASED,
    )  # fmt: skip
    assert released.released_at is not None
    assert (held(released), balance(family.authorizer)) == (0, 95_000)
    change = AllowanceChange.objects.order_by("pk").last()
    assert (change.kind, change.amount_before_fen, change.amount_after_fen) == (
        ChangeKind.RELEASE,
        30_000,
        5_000,
    )
    assert Notice.objects.filter(kind="allowance_released").count() == 2


def test_a_new_allowance_after_a_release_is_a_new_row_with_its_own_hold(family, actor_for):
    first = set_for(family, 30_000, actor_for)
    allowance_release(
        authorizer=family.authorizer.person, binding_id=family.pk, actor=actor_for(family.authorizer.person)
    )

    second = set_for(family, 10_000, actor_for)

    assert second.pk != first.pk
    assert second.hold_account_id != first.hold_account_id
    assert [a.status for a in allowance_list_for_person(person=family.beneficiary.person)] == [
        AllowanceStatus.ACTIVE, AllowanceStatus.RELEASED,
    ]  # fmt: skip


def test_releasing_without_an_allowance_is_not_found(family, actor_for, snapshot):
    before = snapshot()

    refused(
        "not_found",
        lambda: allowance_release(
            authorizer=family.authorizer.person,
            binding_id=family.pk,
            actor=actor_for(family.authorizer.person),
        ),
    )

    before.assert_unchanged()


def test_only_the_authorizer_releases(family, actor_for, snapshot):
    set_for(family, 30_000, actor_for)
    before = snapshot()

    refused(
        "binding_not_found",
        lambda: allowance_release(
            authorizer=family.beneficiary.person,
            binding_id=family.pk,
            actor=actor_for(family.beneficiary.person),
        ),
    )

    before.assert_unchanged()


# --- idempotency --------------------------------------------------------------------------------------


def test_the_same_key_and_request_replay_the_first_result(family, actor_for):
    first = set_for(family, 30_000, actor_for, key="same")
    set_for(family, 50_000, actor_for)  # changed since, under another key

    again = set_for(family, 30_000, actor_for, key="same")

    assert again.pk == first.pk
    assert again.amount_fen == 50_000  # the allowance as it is now; nothing moved for the replay
    assert balance(family.authorizer) == 50_000


def test_the_same_key_for_another_request_is_a_conflict(family, actor_for, snapshot):
    set_for(family, 30_000, actor_for, key="same")
    other = BindingFactory(authorizer=family.authorizer)
    before = snapshot()

    refused("idempotency_conflict", lambda: set_for(family, 40_000, actor_for, key="same"))
    refused("idempotency_conflict", lambda: set_for(other, 30_000, actor_for, key="same"))
    refused(
        "idempotency_conflict",
        lambda: allowance_release(
            authorizer=family.authorizer.person,
            binding_id=family.pk,
            actor=actor_for(family.authorizer.person, "same"),
        ),
    )

    before.assert_unchanged()


def test_a_key_belongs_to_its_user(family, actor_for):
    set_for(family, 30_000, actor_for, key="shared")
    other = BindingFactory(authorizer=EmployeeFactory(balance_fen=50_000))

    allowance = set_for(other, 20_000, actor_for, key="shared")

    assert allowance.binding_id == other.pk


def test_a_release_replays_under_its_key(family, actor_for):
    set_for(family, 30_000, actor_for)
    actor = actor_for(family.authorizer.person, "release-1")
    first = allowance_release(authorizer=family.authorizer.person, binding_id=family.pk, actor=actor)

    again = allowance_release(authorizer=family.authorizer.person, binding_id=family.pk, actor=actor)

    assert again.pk == first.pk
    assert Transaction.objects.filter(memo="allowance release").count() == 1


# --- the database itself ------------------------------------------------------------------------------


def test_the_database_refuses_a_hold_past_the_available_balance_whatever_path_writes(family, actor_for):
    allowance = set_for(family, 30_000, actor_for)

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT ledger_post('allowance hold', '', NULL, %s, %s, now())",
            [[family.authorizer.account_id, allowance.hold_account_id], [-70_001, 70_001]],
        )

    assert balance(family.authorizer) == 70_000


def test_the_database_keeps_spent_within_the_amount(family, actor_for):
    allowance = set_for(family, 30_000, actor_for)

    with pytest.raises(IntegrityError), transaction.atomic():
        Allowance.objects.filter(pk=allowance.pk).update(spent_fen=30_001)


def test_the_database_allows_one_active_allowance_per_binding(family, actor_for):
    allowance = set_for(family, 30_000, actor_for)
    hold = Account.objects.create(code="hold:test", kind=AccountKind.HOLD)

    with pytest.raises(IntegrityError), transaction.atomic():
        Allowance.objects.create(
            binding=family, authorizer=family.authorizer, beneficiary=family.beneficiary, hold_account=hold,
            amount_fen=0, created_at=allowance.created_at,
        )  # fmt: skip
    # An unused hold account breaks "every hold account is one allowance's": give it one, released.
    Allowance.objects.create(
        binding=family, authorizer=family.authorizer, beneficiary=family.beneficiary, hold_account=hold,
        amount_fen=0, status=AllowanceStatus.RELEASED, created_at=allowance.created_at,
        released_at=allowance.created_at, release_reason=ReleaseReason.AUTHORIZER_RELEASED,
    )  # fmt: skip


def test_a_resident_without_a_personal_account_is_no_authorizer(db, actor_for):
    binding = BindingFactory(beneficiary=ResidentFactory())
    person = binding.beneficiary.person

    refused(
        "binding_not_found",
        lambda: allowance_set(
            authorizer=person, binding_id=binding.pk, amount_fen=1_000, actor=actor_for(person)
        ),
    )
