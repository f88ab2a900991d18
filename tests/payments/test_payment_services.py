import datetime

import pytest
from django.core import mail
from django.utils import timezone

from common.errors import ApplicationError
from insurees.models import Enrollment, InsureeStatus
from ledger.models import Account, Entry, Transaction
from mutual_aid.models import BindingStatus
from payments.models import (
    IdempotencyKey,
    Notification,
    OutboxMessage,
    Payment,
    PaymentChannel,
    PaymentStatus,
)
from payments.services import (
    payment_create_for_relative,
    payment_create_self,
    payment_refund,
    payment_sync_enrollment,
    payments_create_for_family,
)
from tests.factories import BindingFactory, EmployeeFactory, PremiumRateFactory, ResidentFactory, UserFactory
from tests.payments.invariants import assert_money_invariants


def balance(insuree) -> int:
    return Account.objects.get(pk=insuree.account_id).balance_fen


class Snapshot:
    """What a refused payment must leave untouched."""

    def __init__(self):
        self.counts = self._counts()
        self.balances = dict(Account.objects.values_list("pk", "balance_fen"))

    @staticmethod
    def _counts():
        return [
            m.objects.count()
            for m in (Payment, Transaction, Entry, OutboxMessage, Notification, IdempotencyKey)
        ]

    def assert_unchanged(self):
        assert self._counts() == self.counts
        assert dict(Account.objects.values_list("pk", "balance_fen")) == self.balances


def test_the_authorizer_pays_a_relatives_premium(family, year, actor_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_create_for_relative(
            authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor_for()
        )

    payment.refresh_from_db()
    assert (payment.status, payment.amount_fen, payment.channel) == (
        PaymentStatus.SETTLED,
        42_000,
        "authorizer",
    )
    assert balance(family.authorizer) == 100_000 - 42_000
    assert (
        Account.objects.get(code=f"fund:resident_premium:{family.beneficiary.region_code}").balance_fen
        == 42_000
    )
    enrollment = Enrollment.objects.get(insuree=family.beneficiary, year=year)
    assert (enrollment.paid, enrollment.payment_id) == (True, payment.pk)
    assert payment.enrollment_synced
    notice = Notification.objects.get(payment=payment)
    assert (notice.person, notice.balance_after_fen) == (family.authorizer.person, 58_000)
    assert_money_invariants()


def test_a_debit_notice_is_emailed_after_commit_where_an_address_is_known(
    family, year, actor_for, django_capture_on_commit_callbacks
):
    family.authorizer.person.email = "zhang@example.cn"
    family.authorizer.person.save()

    with django_capture_on_commit_callbacks(execute=True):
        payment_create_for_relative(
            authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor_for()
        )

    assert len(mail.outbox) == 1
    assert "420.00" in mail.outbox[0].body
    assert "580.00" in mail.outbox[0].body


def test_a_retry_with_the_same_key_returns_the_first_payment_and_moves_no_money(family, year, actor_for):
    actor = actor_for(key="same")
    first = payment_create_for_relative(
        authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor
    )

    again = payment_create_for_relative(
        authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor
    )

    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    assert balance(family.authorizer) == 58_000


def test_the_same_key_for_another_request_is_a_conflict(family, year, actor_for):
    actor = actor_for(key="same")
    payment_create_for_relative(
        authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor
    )
    other = BindingFactory(authorizer=family.authorizer)
    before = Snapshot()

    with pytest.raises(ApplicationError) as raised:
        payment_create_for_relative(
            authorizer=family.authorizer, beneficiary=other.beneficiary, year=year, actor=actor
        )

    assert raised.value.code == "idempotency_conflict"
    before.assert_unchanged()


def test_keys_are_scoped_to_the_caller(family, year, actor_for):
    payment_create_for_relative(
        authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor_for(key="k")
    )
    other = BindingFactory()

    payment = payment_create_for_relative(
        authorizer=other.authorizer, beneficiary=other.beneficiary, year=year, actor=actor_for(key="k")
    )

    assert Payment.objects.count() == 2
    assert payment.beneficiary == other.beneficiary


def paying_for(family, year, actor_for, **changes):
    return lambda: payment_create_for_relative(
        authorizer=changes.get("authorizer", family.authorizer),
        beneficiary=changes.get("beneficiary", family.beneficiary),
        year=changes.get("pay_year", year),
        actor=actor_for(),
    )


def test_a_premium_is_paid_once_per_beneficiary_and_year(family, year, actor_for):
    paying_for(family, year, actor_for)()
    before = Snapshot()

    with pytest.raises(ApplicationError) as raised:
        paying_for(family, year, actor_for)()

    assert raised.value.code == "already_paid"
    before.assert_unchanged()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda f, y: {"pay_year": y + 1}, "no_premium_rate"),
        (lambda f, y: {"pay_year": 1999}, "invalid_input"),
        (lambda f, y: {"beneficiary": ResidentFactory()}, "binding_not_found"),
        (lambda f, y: {"beneficiary": EmployeeFactory()}, "wrong_scheme"),
    ],
    ids=["no-rate", "absurd-year", "not-bound", "not-resident"],
)
def test_payment_rules_refuse_with_their_code_and_move_nothing(family, year, actor_for, change, code):
    pay = paying_for(family, year, actor_for, **change(family, year))
    before = Snapshot()

    with pytest.raises(ApplicationError) as raised:
        pay()

    assert raised.value.code == code
    before.assert_unchanged()


def test_outside_the_collection_period_is_refused(family, year, actor_for, rate):
    rate.collection_end = timezone.localdate() - datetime.timedelta(days=1)
    rate.collection_start = rate.collection_end - datetime.timedelta(days=90)
    rate.save()
    before = Snapshot()

    with pytest.raises(ApplicationError) as raised:
        paying_for(family, year, actor_for)()

    assert raised.value.code == "outside_collection_period"
    before.assert_unchanged()


def test_an_ended_binding_cannot_pay(family, year, actor_for):
    family.status, family.ended_at = BindingStatus.ENDED, timezone.now()
    family.save()

    with pytest.raises(ApplicationError) as raised:
        paying_for(family, year, actor_for)()

    assert raised.value.code == "binding_not_found"


def test_an_inactive_beneficiary_cannot_be_paid_for(family, year, actor_for):
    family.beneficiary.status = InsureeStatus.SUSPENDED
    family.beneficiary.save()

    with pytest.raises(ApplicationError) as raised:
        paying_for(family, year, actor_for)()

    assert raised.value.code == "not_active"


def test_a_balance_short_of_the_whole_premium_moves_nothing(rate, year, actor_for):
    binding = BindingFactory(authorizer=EmployeeFactory(balance_fen=41_999))
    before = Snapshot()

    with pytest.raises(ApplicationError) as raised:
        payment_create_for_relative(
            authorizer=binding.authorizer, beneficiary=binding.beneficiary, year=year, actor=actor_for()
        )

    assert raised.value.code == "insufficient_balance"
    before.assert_unchanged()


def test_self_payment_debits_the_richest_bound_authorizer(rate, year, actor_for):
    parent = ResidentFactory()
    BindingFactory(authorizer=EmployeeFactory(balance_fen=50_000), beneficiary=parent)
    rich = BindingFactory(authorizer=EmployeeFactory(balance_fen=90_000), beneficiary=parent)

    payment = payment_create_self(beneficiary=parent, year=year, actor=actor_for())

    assert (payment.authorizer, payment.channel) == (rich.authorizer, PaymentChannel.SELF)
    assert balance(rich.authorizer) == 48_000
    assert_money_invariants()


def test_self_payment_ties_go_to_the_oldest_binding(rate, year, actor_for):
    parent = ResidentFactory()
    oldest = BindingFactory(authorizer=EmployeeFactory(balance_fen=60_000), beneficiary=parent)
    BindingFactory(authorizer=EmployeeFactory(balance_fen=60_000), beneficiary=parent)

    assert (
        payment_create_self(beneficiary=parent, year=year, actor=actor_for()).authorizer == oldest.authorizer
    )


def test_a_paused_binding_is_passed_over_for_self_payment(rate, year, actor_for):
    parent = ResidentFactory()
    available = BindingFactory(authorizer=EmployeeFactory(balance_fen=50_000), beneficiary=parent)
    BindingFactory(authorizer=EmployeeFactory(balance_fen=90_000), beneficiary=parent, self_pay_paused=True)

    assert (
        payment_create_self(beneficiary=parent, year=year, actor=actor_for()).authorizer
        == available.authorizer
    )


def test_self_payment_refuses_when_even_the_richest_cannot_cover_it(rate, year, actor_for):
    parent = ResidentFactory()
    BindingFactory(authorizer=EmployeeFactory(balance_fen=40_000), beneficiary=parent)
    BindingFactory(authorizer=EmployeeFactory(balance_fen=30_000), beneficiary=parent)
    before = Snapshot()

    with pytest.raises(ApplicationError) as raised:
        payment_create_self(beneficiary=parent, year=year, actor=actor_for())

    assert raised.value.code == "insufficient_balance"
    assert "420.00" in str(raised.value.message)
    before.assert_unchanged()


def test_self_payment_without_a_binding_is_refused(rate, year, actor_for):
    with pytest.raises(ApplicationError) as raised:
        payment_create_self(beneficiary=ResidentFactory(), year=year, actor=actor_for())

    assert raised.value.code == "binding_not_found"


def test_paying_for_the_family_is_all_or_nothing(rate, year, actor_for):
    authorizer = EmployeeFactory(balance_fen=80_000)
    father, mother = (BindingFactory(authorizer=authorizer).beneficiary for _ in range(2))
    before = Snapshot()

    with pytest.raises(ApplicationError) as raised:
        payments_create_for_family(
            authorizer=authorizer, beneficiaries=[father, mother], year=year, actor=actor_for()
        )

    assert raised.value.code == "insufficient_balance"
    before.assert_unchanged()


def test_paying_for_the_family_pays_everyone_in_one_go(rate, year, actor_for):
    authorizer = EmployeeFactory(balance_fen=100_000)
    relatives = [BindingFactory(authorizer=authorizer).beneficiary for _ in range(2)]

    payments = payments_create_for_family(
        authorizer=authorizer, beneficiaries=relatives, year=year, actor=actor_for()
    )

    assert [p.beneficiary for p in payments] == relatives
    assert balance(authorizer) == 100_000 - 2 * 42_000
    assert_money_invariants()


def test_one_relative_already_paid_stops_the_whole_family_payment(rate, year, actor_for):
    authorizer = EmployeeFactory(balance_fen=200_000)
    paid, unpaid = (BindingFactory(authorizer=authorizer).beneficiary for _ in range(2))
    payment_create_for_relative(authorizer=authorizer, beneficiary=paid, year=year, actor=actor_for())
    before = Snapshot()

    with pytest.raises(ApplicationError) as raised:
        payments_create_for_family(
            authorizer=authorizer, beneficiaries=[unpaid, paid], year=year, actor=actor_for()
        )

    assert raised.value.code == "already_paid"
    before.assert_unchanged()


def test_a_refund_before_the_coverage_year_credits_back_and_reverses_the_enrollment(family, year, actor_for):
    payment = paying_for(family, year, actor_for)()
    supervisor = UserFactory()

    refunded = payment_refund(
        payment=payment, reason="paid_twice", note="paid at the bank", operator=supervisor
    )

    assert (refunded.status, refunded.refund_reason, refunded.refunded_by) == (
        "refunded",
        "paid_twice",
        supervisor,
    )
    assert balance(family.authorizer) == 100_000
    enrollment = Enrollment.objects.get(insuree=family.beneficiary, year=year)
    assert (enrollment.paid, enrollment.payment_id) == (False, None)
    assert Transaction.objects.filter(pk=payment.ledger_transaction_id).exists()
    assert Notification.objects.filter(payment=payment, kind="refund").exists()
    assert_money_invariants()


def test_a_refunded_premium_can_be_paid_again_and_a_late_sync_never_marks_it_paid(family, year, actor_for):
    payment = paying_for(family, year, actor_for)()
    payment_refund(payment=payment, reason="deceased", note="", operator=UserFactory())

    payment_sync_enrollment(payment_id=payment.pk)  # a sync task delivered late
    assert not Enrollment.objects.get(insuree=family.beneficiary, year=year).paid

    again = paying_for(family, year, actor_for)()
    assert again.status == PaymentStatus.SETTLED
    assert_money_invariants()


def test_a_refund_twice_is_refused(family, year, actor_for):
    payment = paying_for(family, year, actor_for)()
    payment_refund(payment=payment, reason="paid_twice", note="", operator=UserFactory())
    before = Snapshot()

    with pytest.raises(ApplicationError) as raised:
        payment_refund(payment=payment, reason="paid_twice", note="", operator=UserFactory())

    assert raised.value.code == "refund_not_allowed"
    before.assert_unchanged()


def test_a_refund_after_the_coverage_year_started_is_refused(db, actor_for):
    this_year = timezone.localdate().year
    PremiumRateFactory(year=this_year)
    binding = BindingFactory()
    payment = payment_create_for_relative(
        authorizer=binding.authorizer, beneficiary=binding.beneficiary, year=this_year, actor=actor_for()
    )
    before = Snapshot()

    with pytest.raises(ApplicationError) as raised:
        payment_refund(payment=payment, reason="paid_twice", note="", operator=UserFactory())

    assert raised.value.code == "refund_not_allowed"
    before.assert_unchanged()


def test_a_refund_needs_a_recorded_reason(family, year, actor_for):
    payment = paying_for(family, year, actor_for)()

    with pytest.raises(ApplicationError) as raised:
        payment_refund(payment=payment, reason="changed_mind", note="", operator=UserFactory())

    assert raised.value.code == "invalid_input"
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SETTLED


def test_the_sync_is_idempotent(family, year, actor_for):
    payment = paying_for(family, year, actor_for)()

    for _ in range(3):
        payment_sync_enrollment(payment_id=payment.pk)

    enrollment = Enrollment.objects.get(insuree=family.beneficiary, year=year)
    assert (enrollment.paid, enrollment.payment_id) == (True, payment.pk)
