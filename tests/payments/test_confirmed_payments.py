"""A payment made at what the payer confirmed (the pages' check step): with the amounts and the paying
account he was shown, the payment moves exactly those or nothing (payment_changed, checked by pay.sql
under the payment's locks), and its key stays free for the confirmation shown again."""

import pytest

from common.errors import ApplicationError
from insurees.models import PremiumRate
from ledger.models import Account
from payments.models import IdempotencyKey, Payment
from payments.services import payment_create_for_self, payments_create_for_relatives
from tests.factories import BindingFactory, EmployeeFactory, PremiumRateFactory, ResidentFactory


def balance(insuree) -> int:
    return Account.objects.get(pk=insuree.account_id).balance_fen


@pytest.fixture
def two_relatives(rate):
    """An employee (¥1,000.00) bound to two residents of the rate's region (¥420.00 each)."""
    authorizer = EmployeeFactory(balance_fen=100_000)
    relatives = [BindingFactory(authorizer=authorizer).beneficiary for _ in range(2)]
    return authorizer, relatives


def pay_relatives(authorizer, relatives, year, actor, expected):
    return payments_create_for_relatives(
        authorizer=authorizer.person,
        relative_id_numbers=[r.person.id_number for r in relatives],
        year=year,
        actor=actor,
        expected_amounts_fen=expected,
    )


def test_the_amounts_confirmed_are_the_amounts_paid(two_relatives, year, actor_for):
    authorizer, relatives = two_relatives

    payments = pay_relatives(authorizer, relatives, year, actor_for(), [42_000, 42_000])

    assert [p.amount_fen for p in payments] == [42_000, 42_000]
    assert balance(authorizer) == 16_000


def test_a_rate_changed_since_the_check_pays_nothing_and_says_from_what_to_what(
    two_relatives, year, actor_for, snapshot
):
    authorizer, relatives = two_relatives
    PremiumRate.objects.filter(year=year).update(amount_fen=45_000)  # re-imported after the check
    actor = actor_for(key="shown-840")
    before = snapshot()

    with pytest.raises(ApplicationError) as raised:
        pay_relatives(authorizer, relatives, year, actor, [42_000, 42_000])

    assert raised.value.code == "payment_changed"
    assert raised.value.status == 409
    assert "¥840.00" in str(raised.value.message)
    assert "¥900.00" in str(raised.value.message)
    before.assert_unchanged()
    assert not IdempotencyKey.objects.exists()  # the same key confirms the new amount

    payments = pay_relatives(authorizer, relatives, year, actor, [45_000, 45_000])

    assert [p.amount_fen for p in payments] == [45_000, 45_000]


def test_each_premium_is_checked_not_only_the_total(year, actor_for, snapshot):
    """Two regions whose rates swapped since the check: the same total, other premiums."""
    PremiumRateFactory(region_code="210200", year=year, amount_fen=42_000)
    PremiumRateFactory(region_code="210300", year=year, amount_fen=48_000)
    authorizer = EmployeeFactory(balance_fen=200_000)
    relatives = [
        BindingFactory(authorizer=authorizer, beneficiary=ResidentFactory(region_code=code)).beneficiary
        for code in ("210200", "210300")
    ]
    before = snapshot()

    with pytest.raises(ApplicationError) as raised:
        pay_relatives(authorizer, relatives, year, actor_for(), [48_000, 42_000])

    assert raised.value.code == "payment_changed"
    assert "¥900.00" in str(raised.value.message)
    before.assert_unchanged()


@pytest.fixture
def parent_of_two(rate):
    """A resident bound by two employees, ¥600.00 and ¥900.00: the richer pays by the rule."""
    parent = ResidentFactory()
    poorer = BindingFactory(authorizer=EmployeeFactory(balance_fen=60_000), beneficiary=parent)
    richer = BindingFactory(authorizer=EmployeeFactory(balance_fen=90_000), beneficiary=parent)
    return parent, poorer, richer


def test_a_self_payment_confirmed_pays_from_the_account_and_at_the_amount_shown(
    parent_of_two, year, actor_for
):
    parent, _poorer, richer = parent_of_two

    payment = payment_create_for_self(
        beneficiary=parent.person,
        year=year,
        actor=actor_for(),
        expected_amount_fen=42_000,
        expected_payer_id=richer.authorizer_id,
    )

    assert (payment.authorizer_id, payment.amount_fen) == (richer.authorizer_id, 42_000)


@pytest.mark.parametrize(
    ("expected_amount_fen", "expected_payer"),
    [(42_000, "poorer"), (45_000, "richer")],
    ids=["another-payer", "another-amount"],
)
def test_a_self_payment_that_would_move_otherwise_than_shown_pays_nothing(
    parent_of_two, year, actor_for, snapshot, expected_amount_fen, expected_payer
):
    parent, poorer, richer = parent_of_two
    shown = {"poorer": poorer, "richer": richer}[expected_payer]
    before = snapshot()

    with pytest.raises(ApplicationError) as raised:
        payment_create_for_self(
            beneficiary=parent.person,
            year=year,
            actor=actor_for(),
            expected_amount_fen=expected_amount_fen,
            expected_payer_id=shown.authorizer_id,
        )

    assert raised.value.code == "payment_changed"
    before.assert_unchanged()
    assert Payment.objects.count() == 0
    assert (balance(poorer.authorizer), balance(richer.authorizer)) == (60_000, 90_000)
