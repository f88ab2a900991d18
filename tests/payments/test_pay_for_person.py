"""Payments as the signed-in person asks for them (payments_create_for_relatives,
payment_create_for_self): the lookups and refusals of authorizer_for and insuree_get_by_id_number,
in their order, then the payment, all of it one call of payments_pay."""

import pytest
from django.db import connection

from common.errors import ApplicationError
from insurees.models import Enrollment, InsureeStatus
from payments.models import IdempotencyKey, Payment
from payments.services import payment_create_for_self, payments_create_for_relatives
from tests.factories import BindingFactory, EmployeeFactory, PersonFactory, ResidentFactory, id_number_for
from tests.payments.invariants import Snapshot, assert_money_invariants
from tests.payments.paying import (
    fund_account_ensure,
    payment_create_for_relative,
    payment_create_self,
    payments_create_for_family,
)


def refused_code(call) -> tuple[str, str | None]:
    snapshot = Snapshot()
    with pytest.raises(ApplicationError) as raised:
        call()
    snapshot.assert_unchanged()
    return raised.value.code, raised.value.field


def test_the_person_pays_a_bound_relative_named_by_id_number(family, year, actor_for):
    number = family.beneficiary.person.id_number.lower()  # as typed, with a small x

    [payment] = payments_create_for_relatives(
        authorizer=family.authorizer.person, relative_id_numbers=[number], year=year, actor=actor_for()
    )

    stored = Payment.objects.select_related("beneficiary__person", "authorizer__person").get()
    assert (payment.pk, payment.beneficiary_id, payment.authorizer_id) == (
        stored.pk,
        family.beneficiary_id,
        family.authorizer_id,
    )
    assert payment.beneficiary.person.name == stored.beneficiary.person.name
    assert payment.authorizer.person.id_number == stored.authorizer.person.id_number
    assert (payment.channel, payment.reference) == ("authorizer", stored.reference)


def test_the_person_pays_his_own_premium(family, year, actor_for):
    payment = payment_create_for_self(beneficiary=family.beneficiary.person, year=year, actor=actor_for())

    assert (payment.channel, payment.beneficiary_id, payment.authorizer_id) == (
        "self",
        family.beneficiary_id,
        family.authorizer_id,
    )
    assert payment.beneficiary.person.id_number == family.beneficiary.person.id_number


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("payer_not_insured", ("not_insured", None)),
        ("payer_only_resident", ("wrong_scheme", None)),
        ("payer_suspended", ("not_active", None)),
        ("unknown_relative", ("not_insured", "id_number")),
        ("unknown_before_repeated", ("not_insured", "id_number")),
        ("repeated_relative", ("invalid_input", "beneficiary_id_numbers")),
        ("relative_not_bound", ("binding_not_found", None)),
    ],
)
def test_refusals_come_in_the_lookups_order_and_change_nothing(rate, year, actor_for, case, code):
    binding = BindingFactory()
    person, numbers = binding.authorizer.person, [binding.beneficiary.person.id_number]
    unknown = id_number_for(987, region="320102")
    if case == "payer_not_insured":
        person = PersonFactory()
    elif case == "payer_only_resident":
        person = ResidentFactory().person
    elif case == "payer_suspended":
        binding.authorizer.status = InsureeStatus.SUSPENDED
        binding.authorizer.save()
    elif case == "unknown_relative":
        numbers = [numbers[0], unknown]
    elif case == "unknown_before_repeated":
        numbers = [numbers[0], numbers[0], unknown]
    elif case == "repeated_relative":
        numbers = [numbers[0], numbers[0]]
    elif case == "relative_not_bound":
        numbers = [ResidentFactory().person.id_number]

    assert (
        refused_code(
            lambda: payments_create_for_relatives(
                authorizer=person, relative_id_numbers=numbers, year=year, actor=actor_for()
            )
        )
        == code
    )


def test_a_person_without_a_resident_registration_cannot_pay_his_own_premium(rate, year, actor_for):
    employee = EmployeeFactory()

    code = refused_code(
        lambda: payment_create_for_self(beneficiary=employee.person, year=year, actor=actor_for())
    )

    assert code == ("not_insured", "id_number")


def test_a_key_replays_whatever_the_order_and_whichever_door(rate, year, actor_for):
    """A request's fingerprint is its people and year: the relatives in another order, or the same
    payment made through the tests' insuree shorthand, replay the first payments."""
    first, second = BindingFactory(), BindingFactory()
    relatives = [BindingFactory(authorizer=first.authorizer).beneficiary, first.beneficiary]
    actor = actor_for()
    paid = payments_create_for_relatives(
        authorizer=first.authorizer.person,
        relative_id_numbers=[r.person.id_number for r in relatives],
        year=year,
        actor=actor,
    )

    again = payments_create_for_family(
        authorizer=first.authorizer, beneficiaries=list(reversed(relatives)), year=year, actor=actor
    )

    assert sorted(p.pk for p in again) == sorted(p.pk for p in paid)
    other = actor_for()
    paid_self = payment_create_self(beneficiary=second.beneficiary, year=year, actor=other)
    assert payment_create_for_self(beneficiary=second.beneficiary.person, year=year, actor=other).pk == (
        paid_self.pk
    )
    third = BindingFactory()
    one = actor_for()
    made = payment_create_for_relative(
        authorizer=third.authorizer, beneficiary=third.beneficiary, year=year, actor=one
    )
    [replayed] = payments_create_for_relatives(
        authorizer=third.authorizer.person,
        relative_id_numbers=[third.beneficiary.person.id_number],
        year=year,
        actor=one,
    )
    assert replayed.pk == made.pk
    assert Payment.objects.count() == 4


def test_the_whole_request_is_one_statement(
    rate, year, actor_for, django_assert_num_queries, django_capture_on_commit_callbacks
):
    binding = BindingFactory()
    with django_capture_on_commit_callbacks(execute=True):
        fund_account_ensure(region_code=rate.region_code)  # as after the region's first payment
    person, number, actor = binding.authorizer.person, binding.beneficiary.person.id_number, actor_for()
    # SAVEPOINT, the call, RELEASE (inside the test's transaction).
    with django_assert_num_queries(3):
        payments_create_for_relatives(authorizer=person, relative_id_numbers=[number], year=year, actor=actor)


def test_outside_a_transaction_the_call_is_the_payments_own_transaction(
    transactional_db, family, year, actor_for
):
    """No BEGIN and COMMIT around it: the function's one statement commits the payment as it returns,
    and the after-commit work (the outbox's drain) follows at once."""
    seen, actor = [], actor_for()

    def watch(execute, sql, params, many, context):
        seen.append((sql.split("(")[0], context["connection"].in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        [payment] = payments_create_for_relatives(
            authorizer=family.authorizer.person,
            relative_id_numbers=[family.beneficiary.person.id_number],
            year=year,
            actor=actor,
        )

    assert seen[0] == ("SELECT * FROM payments_pay", False)
    assert seen[1][0] == "SELECT * FROM payments_sync_enrollments"  # the drain, run eagerly here
    assert Payment.objects.get().pk == payment.pk
    assert_money_invariants()


def test_outside_a_transaction_a_refusal_leaves_nothing_behind(transactional_db, rate, year, actor_for):
    """The enrollment the function creates before it finds the balance short goes with the refused
    statement, and the connection serves the next request."""
    binding = BindingFactory(authorizer=EmployeeFactory(balance_fen=100))
    key_owner = actor_for()

    code, _ = refused_code(
        lambda: payment_create_for_self(beneficiary=binding.beneficiary.person, year=year, actor=key_owner)
    )

    assert code == "insufficient_balance"
    assert not Enrollment.objects.filter(insuree=binding.beneficiary, year=year).exists()
    assert not IdempotencyKey.objects.filter(user=key_owner.user).exists()
    assert Payment.objects.count() == 0


def test_outside_a_transaction_a_key_replays_its_payment(transactional_db, family, year, actor_for):
    actor, number = actor_for(), family.beneficiary.person.id_number

    [first] = payments_create_for_relatives(
        authorizer=family.authorizer.person, relative_id_numbers=[number], year=year, actor=actor
    )
    [again] = payments_create_for_relatives(
        authorizer=family.authorizer.person, relative_id_numbers=[number], year=year, actor=actor
    )

    assert (again.pk, again.reference) == (first.pk, first.reference)
    assert Payment.objects.count() == 1
    assert_money_invariants()


def test_a_retry_returns_the_first_payment_after_the_payer_left(family, year, actor_for):
    """The roster ends the authorizer's insurance between a payment and its retry: the retry still
    answers the first payment (and moves nothing); a new request is refused."""
    actor = actor_for()
    number = family.beneficiary.person.id_number
    [first] = payments_create_for_relatives(
        authorizer=family.authorizer.person, relative_id_numbers=[number], year=year, actor=actor
    )
    family.authorizer.status = InsureeStatus.TERMINATED
    family.authorizer.save()
    snapshot = Snapshot()

    [again] = payments_create_for_relatives(
        authorizer=family.authorizer.person, relative_id_numbers=[number], year=year, actor=actor
    )

    assert again.pk == first.pk
    snapshot.assert_unchanged()
    code = refused_code(
        lambda: payments_create_for_relatives(
            authorizer=family.authorizer.person, relative_id_numbers=[number], year=year, actor=actor_for()
        )
    )
    assert code == ("not_active", None)
