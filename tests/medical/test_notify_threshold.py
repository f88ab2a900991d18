"""allowance_notify_threshold_set: the authorizer's active allowance only, 0 or more, nothing else moved."""

import pytest

from common.errors import ApplicationError
from ledger.models import Account
from medical.models import Allowance
from medical.services import allowance_notify_threshold_set, allowance_release, allowance_set
from tests.factories import BindingFactory, EmployeeFactory


@pytest.fixture
def allowance(family, actor_for):
    person = family.authorizer.person
    return allowance_set(authorizer=person, binding_id=family.pk, amount_fen=30_000, actor=actor_for(person))


def test_the_authorizer_sets_and_clears_the_threshold(family, allowance):
    person = family.authorizer.person

    changed = allowance_notify_threshold_set(authorizer=person, binding_id=family.pk, amount_fen=5_000)

    assert changed.pk == allowance.pk
    assert changed.notify_over_fen == 5_000
    assert Allowance.objects.get().notify_over_fen == 5_000
    assert (
        allowance_notify_threshold_set(authorizer=person, binding_id=family.pk, amount_fen=0).notify_over_fen
        == 0
    )


@pytest.mark.parametrize("amount_fen", [-1, 1_000_000_001, "100", 12.5, True, None])
def test_a_bad_threshold_is_refused(family, allowance, amount_fen):
    with pytest.raises(ApplicationError) as refused:
        allowance_notify_threshold_set(
            authorizer=family.authorizer.person, binding_id=family.pk, amount_fen=amount_fen
        )

    assert (refused.value.code, refused.value.field) == ("invalid_input", "notify_over")
    assert Allowance.objects.get().notify_over_fen == 0


def test_only_the_authorizer_of_the_binding_may_set_it(family, allowance):
    for person in (family.beneficiary.person, EmployeeFactory().person):
        with pytest.raises(ApplicationError) as refused:
            allowance_notify_threshold_set(authorizer=person, binding_id=family.pk, amount_fen=100)
        assert refused.value.code == "binding_not_found"
    assert Allowance.objects.get().notify_over_fen == 0


def test_a_binding_without_an_active_allowance_has_no_threshold(family, allowance, actor_for):
    bare = BindingFactory(authorizer=family.authorizer)
    person = family.authorizer.person
    allowance_release(authorizer=person, binding_id=family.pk, actor=actor_for(person))

    for binding in (bare, family):
        with pytest.raises(ApplicationError) as refused:
            allowance_notify_threshold_set(authorizer=person, binding_id=binding.pk, amount_fen=100)
        assert refused.value.code == "not_found"
    assert Allowance.objects.get().notify_over_fen == 0


def test_an_ended_binding_is_not_found(family, allowance):
    from mutual_aid.services import binding_end

    binding_end(binding=family, ended_by=family.authorizer.person)

    with pytest.raises(ApplicationError) as refused:
        allowance_notify_threshold_set(
            authorizer=family.authorizer.person, binding_id=family.pk, amount_fen=100
        )
    assert refused.value.code == "binding_not_found"


def test_no_money_moves(family, allowance):
    before = list(Account.objects.order_by("pk").values_list("pk", "balance_fen"))

    allowance_notify_threshold_set(authorizer=family.authorizer.person, binding_id=family.pk, amount_fen=100)

    assert list(Account.objects.order_by("pk").values_list("pk", "balance_fen")) == before
    assert Allowance.objects.get().amount_fen == 30_000


def test_an_allowance_set_again_after_a_release_keeps_the_threshold(family, allowance, actor_for):
    person = family.authorizer.person
    allowance_notify_threshold_set(authorizer=person, binding_id=family.pk, amount_fen=8_000)
    allowance_release(authorizer=person, binding_id=family.pk, actor=actor_for(person))

    again = allowance_set(authorizer=person, binding_id=family.pk, amount_fen=10_000, actor=actor_for(person))

    assert again.pk != allowance.pk
    assert again.notify_over_fen == 8_000
