"""Settling a bill from an allowance, reversing it the same day, refunding part of it later
(medical.services over settlements.sql): every rule and refusal of API.md "Institutions", each refusal
leaving the money, the records and (when refused before the code was used) the code as they were; every
movement one balanced transaction between the right accounts (the invariants, after each test, check
all of them again)."""

import datetime

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from insurees.models import InsureeStatus
from insurees.services import insuree_change
from medical.errors import MAX_SETTLEMENT_FEN
from medical.models import (
    COVERED_CATEGORIES,
    Allowance,
    AllowanceStatus,
    Settlement,
    SettlementRefund,
    SettlementStatus,
    Voucher,
)
from medical.services import Actor, allowance_release, allowance_set, settlement_create
from mutual_aid.models import Binding
from mutual_aid.services import binding_end
from tests.factories import (
    DALIAN,
    NANJING,
    SUZHOU,
    BindingFactory,
    EmployeeFactory,
    RegionPolicyFactory,
    ResidentFactory,
    user_for,
)
from tests.medical.settling import (
    Clinic,
    allowance_for,
    balance,
    clinic_make,
    code_for,
    institution_import,
    legs,
    refused,
    remaining,
    terminal_user,
    transactions_with,
)


@pytest.fixture
def allowance(family) -> Allowance:
    """¥500 of the employee's ¥1,000 set aside for his father."""
    return allowance_for(family, 50_000)


@pytest.fixture
def clinic(db) -> Clinic:
    return clinic_make("H001", DALIAN)


@pytest.fixture
def code(family, allowance) -> str:
    return code_for(family.beneficiary)


def release(binding: Binding) -> None:
    person = binding.authorizer.person
    allowance_release(authorizer=person, binding_id=binding.pk, actor=Actor(user=user_for(person)))


# --- settling -----------------------------------------------------------------------------------------


def test_a_settlement_pays_the_institution_from_the_allowances_hold(family, allowance, clinic, code):
    settlement = clinic.settle(code, 12_000, settlement_id="INV-1", category="drugs")

    assert (settlement.settlement_id, settlement.category, settlement.status) == (
        "INV-1", "drugs", SettlementStatus.SETTLED,
    )  # fmt: skip
    assert (settlement.amount_fen, settlement.paid_fen, settlement.cash_due_fen, settlement.refunded_fen) == (
        12_000, 12_000, 0, 0,
    )  # fmt: skip
    assert (settlement.allowance_id, settlement.authorizer_id, settlement.beneficiary_id) == (
        allowance.pk, family.authorizer_id, family.beneficiary_id,
    )  # fmt: skip
    assert (settlement.institution_id, settlement.user_id) == (clinic.institution.pk, clinic.user.pk)
    assert settlement.business_date == timezone.localdate()
    assert legs(settlement.ledger_transaction_id) == sorted(
        [(allowance.hold_account_id, -12_000), (clinic.institution.account_id, 12_000)]
    )
    assert transactions_with("settlement") == 1
    allowance.refresh_from_db()
    assert (allowance.spent_fen, allowance.remaining_fen) == (12_000, 38_000)
    assert balance(allowance.hold_account_id) == 38_000
    assert balance(clinic.institution.account_id) == 12_000
    assert balance(family.authorizer.account_id) == 50_000  # the personal account is not touched
    voucher = Voucher.objects.get()
    assert (voucher.used_by_id, voucher.used_for, voucher.refusal) == (clinic.institution.pk, "INV-1", "")


def field_values(settlement: Settlement) -> dict:
    return {field.attname: getattr(settlement, field.attname) for field in Settlement._meta.concrete_fields}


def statements_sent(queries: CaptureQueriesContext) -> list[str]:
    # The test's transaction puts a savepoint around each call (medical/services/calls.py).
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def test_a_settlement_and_its_reversal_are_answered_by_the_statement_that_makes_them(
    family, allowance, clinic, code
):
    with CaptureQueriesContext(connection) as queries:
        settled = clinic.settle(code, 12_000, settlement_id="INV-1", category="drugs")
    assert len(statements_sent(queries)) == 1
    assert field_values(settled) == field_values(Settlement.objects.get(pk=settled.pk))
    assert settled.beneficiary.person == family.beneficiary.person
    assert settled.institution == clinic.institution

    with CaptureQueriesContext(connection) as queries:
        reversed_ = clinic.reverse("INV-1")
    assert len(statements_sent(queries)) == 1
    assert field_values(reversed_) == field_values(Settlement.objects.get(pk=settled.pk))
    assert reversed_.status == SettlementStatus.REVERSED

    again = clinic.settle(code, 12_000, settlement_id="INV-1", category="drugs", key=None)
    assert field_values(again) == field_values(reversed_)  # replayed by its own id: as it is now


def test_the_answers_read_is_planned_for_one_row():
    # PostgreSQL's guess for a set-returning function is 1,000 rows, for which it would join the
    # answer to the insurees and persons by reading both tables whole.
    with connection.cursor() as cursor:
        cursor.execute("SELECT prorows FROM pg_proc WHERE proname = 'medical_settlement_fresh'")
        assert cursor.fetchone() == (1,)


@pytest.mark.parametrize("category", COVERED_CATEGORIES)
def test_every_covered_category_settles(family, allowance, clinic, code, category):
    assert clinic.settle(code, 1_000, category=category).category == category


def test_all_that_is_left_may_be_paid(family, allowance, clinic, code):
    settlement = clinic.settle(code, 50_000)

    assert (settlement.paid_fen, settlement.cash_due_fen, remaining(allowance)) == (50_000, 0, 0)


def test_more_than_is_left_is_refused_and_moves_nothing(family, allowance, clinic, code, snapshot):
    before = snapshot()

    error = refused("insufficient_allowance", lambda: clinic.settle(code, 50_001, settlement_id="BIG"))

    with translation.override("en"):
        assert "500.00" in str(error.message)
    assert error.field == "amount"
    before.assert_unchanged()
    voucher = Voucher.objects.get()  # the code is used: a code works once, whatever its answer
    assert (voucher.used_for, voucher.refusal, voucher.refusal_detail) == (
        "BIG",
        "insufficient_allowance",
        "50000",
    )
    # The same settlement asked again gets the same answer, and still moves nothing.
    refused("insufficient_allowance", lambda: clinic.settle(code, 50_001, settlement_id="BIG"))
    before.assert_unchanged()


def test_with_allow_partial_the_allowance_pays_what_is_left_and_the_rest_is_cash(
    family, allowance, clinic, code
):
    clinic.settle(code, 30_000)

    settlement = clinic.settle(code_for(family.beneficiary), 35_000, allow_partial=True)

    assert (settlement.amount_fen, settlement.paid_fen, settlement.cash_due_fen) == (35_000, 20_000, 15_000)
    assert remaining(allowance) == 0
    assert balance(allowance.hold_account_id) == 0
    assert legs(settlement.ledger_transaction_id) == sorted(
        [(allowance.hold_account_id, -20_000), (clinic.institution.account_id, 20_000)]
    )
    refused("no_allowance", lambda: code_for(family.beneficiary))  # nothing left to spend


def test_allow_partial_with_enough_left_pays_it_all(family, allowance, clinic, code):
    settlement = clinic.settle(code, 10_000, allow_partial=True)

    assert (settlement.paid_fen, settlement.cash_due_fen) == (10_000, 0)


@pytest.mark.parametrize("amount_fen", [0, -1, -50_000, MAX_SETTLEMENT_FEN + 1])
def test_an_amount_not_above_zero_or_past_the_cap_is_refused_before_the_code_is_used(
    family, allowance, clinic, code, snapshot, amount_fen
):
    before = snapshot()

    error = refused("invalid_input", lambda: clinic.settle(code, amount_fen))

    assert error.field == "amount"
    before.assert_unchanged(codes_too=True)
    assert clinic.settle(code, 1_000).paid_fen == 1_000  # the code still works


@pytest.mark.parametrize("amount_fen", [True, False, 12.5, 100.0, "1000", None])
def test_an_amount_that_is_not_a_whole_number_of_fen_is_refused(
    family, allowance, clinic, code, snapshot, amount_fen
):
    before = snapshot()

    error = refused("invalid_input", lambda: clinic.settle(code, amount_fen))

    assert error.field == "amount"
    before.assert_unchanged(codes_too=True)


def test_the_cap_itself_is_a_bill_an_allowance_may_pay(db, clinic):
    binding = BindingFactory(authorizer=EmployeeFactory(balance_fen=MAX_SETTLEMENT_FEN))
    allowance_for(binding, MAX_SETTLEMENT_FEN)

    settlement = clinic.settle(code_for(binding.beneficiary), MAX_SETTLEMENT_FEN, category="inpatient")

    assert settlement.paid_fen == MAX_SETTLEMENT_FEN


@pytest.mark.parametrize("category", ["wellness", "public_health"])
def test_wellness_and_public_health_are_not_covered(family, allowance, clinic, code, snapshot, category):
    before = snapshot()

    error = refused("category_not_covered", lambda: clinic.settle(code, 1_000, category=category))

    assert error.field == "category"
    before.assert_unchanged(codes_too=True)


@pytest.mark.parametrize("category", ["spa", "", "OUTPATIENT", None, 3])
def test_an_unknown_category_is_invalid_input(family, allowance, clinic, code, snapshot, category):
    before = snapshot()

    error = refused("invalid_input", lambda: clinic.settle(code, 1_000, category=category))

    assert error.field == "category"
    before.assert_unchanged(codes_too=True)


@pytest.mark.parametrize("settlement_id", ["", "x" * 65, "has space", "斜/杠", None, 42])
def test_a_settlement_id_of_the_wrong_form_is_invalid_input(
    family, allowance, clinic, code, snapshot, settlement_id
):
    before = snapshot()

    error = refused(
        "invalid_input",
        lambda: settlement_create(
            terminal=clinic.terminal(), voucher_code=code, settlement_id=settlement_id, amount_fen=1_000,
            category="drugs",
        ),
    )  # fmt: skip

    assert error.field == "settlement_id"
    before.assert_unchanged(codes_too=True)


def test_an_inactive_institution_may_not_settle(family, allowance, code, snapshot):
    closed = clinic_make("H009", DALIAN, status="inactive")
    before = snapshot()

    refused("institution_not_active", lambda: closed.settle(code, 1_000))

    before.assert_unchanged(codes_too=True)


def test_an_institution_taken_off_the_register_stops_settling_at_once(family, allowance, clinic, code):
    clinic.settle(code, 1_000)
    institution_import("H001", DALIAN, status="inactive")

    refused("institution_not_active", lambda: clinic.settle(code_for(family.beneficiary), 1_000))


def test_no_allowance_left_after_the_code_was_issued_is_no_allowance(family, allowance, clinic, snapshot):
    """The allowance lowered to what is spent (or released) between the code and the bill."""
    clinic.settle(code_for(family.beneficiary), 20_000)
    code = code_for(family.beneficiary)
    allowance_set(
        authorizer=family.authorizer.person, binding_id=family.pk, amount_fen=20_000,
        actor=Actor(user=user_for(family.authorizer.person)),
    )  # fmt: skip
    before = snapshot()

    refused("no_allowance", lambda: clinic.settle(code, 1_000))

    before.assert_unchanged()
    assert Voucher.objects.get(used_for__isnull=False, refusal="no_allowance")


def test_a_code_whose_allowance_was_released_meanwhile_is_no_allowance(
    family, allowance, clinic, code, snapshot
):
    release(family)
    before = snapshot()

    refused("no_allowance", lambda: clinic.settle(code, 1_000))

    before.assert_unchanged()


# --- region scope -------------------------------------------------------------------------------------


def test_by_default_an_allowance_is_spent_in_its_authorizers_city_only(family, allowance, code, snapshot):
    elsewhere = clinic_make("N001", NANJING)
    before = snapshot()

    refused("region_mismatch", lambda: elsewhere.settle(code, 1_000))

    before.assert_unchanged()
    assert Voucher.objects.get().refusal == "region_mismatch"


@pytest.fixture
def jiangsu_family(db):
    """Jiangsu: province scope. A Nanjing employee's allowance of ¥300 for his Nanjing mother."""
    RegionPolicyFactory(region_code="320000", scope="province", exclusive_family=True)
    binding = BindingFactory(
        authorizer=EmployeeFactory(region_code=NANJING), beneficiary=ResidentFactory(region_code=NANJING)
    )
    allowance_for(binding, 30_000)
    return binding


def test_a_province_scope_takes_every_city_of_the_province(jiangsu_family, snapshot):
    suzhou = clinic_make("S001", SUZHOU)
    dalian = clinic_make("D001", DALIAN)

    assert suzhou.settle(code_for(jiangsu_family.beneficiary), 1_000).paid_fen == 1_000
    before = snapshot()
    refused("region_mismatch", lambda: dalian.settle(code_for(jiangsu_family.beneficiary), 1_000))
    before.assert_unchanged()


def test_a_citys_own_policy_comes_before_its_provinces(jiangsu_family, snapshot):
    RegionPolicyFactory(region_code=NANJING, scope="city", exclusive_family=False)
    suzhou = clinic_make("S001", SUZHOU)
    nanjing = clinic_make("N001", NANJING)
    before = snapshot()

    refused("region_mismatch", lambda: suzhou.settle(code_for(jiangsu_family.beneficiary), 1_000))

    before.assert_unchanged()
    assert nanjing.settle(code_for(jiangsu_family.beneficiary), 1_000).paid_fen == 1_000


# --- which allowance pays -----------------------------------------------------------------------------


def _three_authorizers(father, amounts):
    return [
        allowance_for(
            BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000), beneficiary=father), fen
        )
        for fen in amounts
    ]


def test_the_allowance_with_the_most_left_pays(db, clinic):
    father = ResidentFactory()
    small, large, middle = _three_authorizers(father, [20_000, 50_000, 30_000])

    first = clinic.settle(code_for(father), 25_000)
    second = clinic.settle(code_for(father), 10_000)  # now: 200, 250, 300 left

    assert first.allowance_id == large.pk
    assert second.allowance_id == middle.pk
    assert [remaining(a) for a in (small, large, middle)] == [20_000, 25_000, 20_000]


def test_a_tie_goes_to_the_oldest_binding(db, clinic):
    father = ResidentFactory()
    first_set, second_set = _three_authorizers(father, [30_000, 30_000])
    # The binding of the allowance set second is the older one.
    now = timezone.now()
    Binding.objects.filter(pk=second_set.binding_id).update(created_at=now - datetime.timedelta(days=30))
    Binding.objects.filter(pk=first_set.binding_id).update(created_at=now - datetime.timedelta(days=1))

    settlement = clinic.settle(code_for(father), 5_000)

    assert settlement.allowance_id == second_set.pk


def test_with_allow_partial_the_largest_pays_what_it_has_and_no_other_joins_in(db, clinic):
    father = ResidentFactory()
    small, large = _three_authorizers(father, [10_000, 20_000])

    settlement = clinic.settle(code_for(father), 25_000, allow_partial=True)

    assert (settlement.allowance_id, settlement.paid_fen, settlement.cash_due_fen) == (
        large.pk,
        20_000,
        5_000,
    )
    assert remaining(small) == 10_000  # one settlement, one allowance


def test_an_allowance_out_of_the_institutions_scope_is_passed_over(db):
    """A Suzhou employee's ¥500 and a Nanjing employee's ¥300 for a Nanjing mother: at a Nanjing
    hospital the ¥500 pays while Jiangsu's scope is the province, the ¥300 once Suzhou's is its city."""
    RegionPolicyFactory(region_code="320000", scope="province", exclusive_family=False)
    mother = ResidentFactory(region_code=NANJING)
    suzhou_son = allowance_for(
        BindingFactory(authorizer=EmployeeFactory(region_code=SUZHOU), beneficiary=mother), 50_000
    )
    nanjing_son = allowance_for(
        BindingFactory(authorizer=EmployeeFactory(region_code=NANJING), beneficiary=mother), 30_000
    )
    nanjing = clinic_make("N001", NANJING)

    assert nanjing.settle(code_for(mother), 1_000).allowance_id == suzhou_son.pk
    RegionPolicyFactory(region_code=SUZHOU, scope="city", exclusive_family=False)
    assert nanjing.settle(code_for(mother), 1_000).allowance_id == nanjing_son.pk


# --- replays and keys ---------------------------------------------------------------------------------


def test_the_same_settlement_asked_again_under_its_key_answers_the_first_and_moves_nothing(
    family, allowance, clinic, code
):
    first = clinic.settle(code, 12_000, settlement_id="INV-1", key="k-1")

    again = clinic.settle(code, 12_000, settlement_id="INV-1", key="k-1")

    assert again.pk == first.pk
    assert (Settlement.objects.count(), transactions_with("settlement"), remaining(allowance)) == (
        1,
        1,
        38_000,
    )


def test_the_same_settlement_id_under_another_key_answers_the_first_too(family, allowance, clinic, code):
    first = clinic.settle(code, 12_000, settlement_id="INV-1", key="k-1")
    till_2 = Clinic(institution=clinic.institution, user=terminal_user(clinic.institution))

    again = clinic.settle(code, 12_000, settlement_id="INV-1", key="k-2")
    from_another_till = till_2.settle(code, 12_000, settlement_id="INV-1")

    assert again.pk == from_another_till.pk == first.pk
    assert (Settlement.objects.count(), transactions_with("settlement"), remaining(allowance)) == (
        1,
        1,
        38_000,
    )


def test_the_same_settlement_id_at_another_institution_is_another_settlement(family, allowance, clinic, code):
    pharmacy = clinic_make("P001", DALIAN)
    first = clinic.settle(code, 12_000, settlement_id="INV-1")

    second = pharmacy.settle(code_for(family.beneficiary), 8_000, settlement_id="INV-1")

    assert second.pk != first.pk
    assert (second.institution_id, second.paid_fen) == (pharmacy.institution.pk, 8_000)
    assert remaining(allowance) == 30_000
    assert balance(pharmacy.institution.account_id) == 8_000


def test_the_same_key_refusing_the_partial_payment_it_made_is_a_conflict(family, allowance, clinic, code):
    first = clinic.settle(code, 60_000, settlement_id="INV-1", key="k-1", allow_partial=True)
    assert first.cash_due_fen == 10_000

    refused("idempotency_conflict", lambda: clinic.settle(code, 60_000, settlement_id="INV-1", key="k-1"))
    again = clinic.settle(code, 60_000, settlement_id="INV-1", key="k-1", allow_partial=True)

    assert again.pk == first.pk
    assert (Settlement.objects.count(), remaining(allowance)) == (1, 0)


def test_the_code_keeps_what_the_request_that_used_it_asked(family, allowance, clinic, code):
    clinic.settle(code, 12_000, settlement_id="INV-1", category="drugs", allow_partial=True)

    voucher = Voucher.objects.get()
    assert (voucher.used_amount_fen, voucher.used_category, voucher.used_allow_partial) == (
        12_000,
        "drugs",
        True,
    )


@pytest.mark.parametrize(
    "changes", [{"amount_fen": 40_000}, {"category": "drugs"}, {"allow_partial": True}], ids=str
)
def test_a_refusal_is_replayed_to_the_same_request_only(family, allowance, clinic, code, snapshot, changes):
    asked = {"amount_fen": 60_000, "category": "outpatient", "allow_partial": False}
    refused("insufficient_allowance", lambda: clinic.settle(code, settlement_id="INV-1", key="k-1", **asked))
    before = snapshot()  # the code used, its refusal recorded

    replayed = refused(
        "insufficient_allowance", lambda: clinic.settle(code, settlement_id="INV-1", key="k-1", **asked)
    )
    otherwise = refused(
        "idempotency_conflict",
        lambda: clinic.settle(code, settlement_id="INV-1", key="k-1", **{**asked, **changes}),
    )

    assert "500.00" in str(replayed.message)
    assert otherwise.code == "idempotency_conflict"
    before.assert_unchanged(codes_too=True)  # the code's recorded refusal too
    assert not Settlement.objects.exists()


def test_a_refusal_recorded_before_the_code_kept_its_request_is_replayed_to_its_retry(
    family, allowance, clinic, code
):
    asked = {"amount_fen": 60_000, "category": "outpatient", "settlement_id": "INV-1", "key": "k-1"}
    refused("insufficient_allowance", lambda: clinic.settle(code, **asked))
    # As migration 0008 leaves a code refused before it: what was asked unknown.
    Voucher.objects.update(used_amount_fen=None, used_category=None, used_allow_partial=None)

    refused("insufficient_allowance", lambda: clinic.settle(code, **asked))


def test_a_replay_answers_the_first_result_whatever_changed_since(family, allowance, clinic, code):
    first = clinic.settle(code, 12_000, settlement_id="INV-1", key="k-1")
    clinic.reverse("INV-1")

    again = clinic.settle(code, 12_000, settlement_id="INV-1", key="k-1")

    assert (again.pk, again.status) == (first.pk, SettlementStatus.REVERSED)
    assert transactions_with("settlement") == 1


@pytest.mark.parametrize(
    "change",
    [
        {"settlement_id": "INV-2"},  # the key, for another bill
        {"amount_fen": 12_001},  # the bill's id, for another amount
        {"category": "drugs"},
        {"key": "k-other", "amount_fen": 100},
    ],
)
def test_the_same_key_or_settlement_id_for_another_request_is_a_conflict(
    family, allowance, clinic, code, snapshot, change
):
    clinic.settle(code, 12_000, settlement_id="INV-1", category="outpatient", key="k-1")
    request = {
        "settlement_id": "INV-1",
        "amount_fen": 12_000,
        "category": "outpatient",
        "key": "k-1",
        **change,
    }
    fresh = code_for(family.beneficiary)
    before = snapshot()

    error = refused(
        "idempotency_conflict",
        lambda: clinic.settle(fresh, request.pop("amount_fen"), **request),
    )

    assert error.field == "Idempotency-Key"
    before.assert_unchanged(codes_too=True)  # refused before the new code was used


def test_the_same_settlement_id_with_another_code_is_a_conflict(family, allowance, clinic, code, snapshot):
    clinic.settle(code, 12_000, settlement_id="INV-1")
    fresh = code_for(family.beneficiary)
    before = snapshot()

    refused("idempotency_conflict", lambda: clinic.settle(fresh, 12_000, settlement_id="INV-1"))

    before.assert_unchanged(codes_too=True)


def test_a_key_used_for_a_settlement_is_a_conflict_for_a_refund_or_a_reversal_and_back(
    family, allowance, clinic, code, snapshot
):
    clinic.settle(code, 12_000, settlement_id="INV-1", key="k-settle")
    clinic.settle(code_for(family.beneficiary), 5_000, settlement_id="INV-2")
    clinic.refund("INV-1", 1_000, key="k-refund")
    fresh = code_for(family.beneficiary)
    before = snapshot()

    refused("idempotency_conflict", lambda: clinic.refund("INV-1", 500, key="k-settle"))
    refused("idempotency_conflict", lambda: clinic.reverse("INV-2", key="k-settle"))
    refused("idempotency_conflict", lambda: clinic.reverse("INV-2", key="k-refund"))
    refused(
        "idempotency_conflict", lambda: clinic.settle(fresh, 1_000, settlement_id="INV-3", key="k-refund")
    )

    before.assert_unchanged(codes_too=True)
    clinic.reverse("INV-2", key="k-reverse")
    refused(
        "idempotency_conflict", lambda: clinic.settle(fresh, 1_000, settlement_id="INV-4", key="k-reverse")
    )
    refused("idempotency_conflict", lambda: clinic.refund("INV-1", 500, key="k-reverse"))


def test_a_key_belongs_to_its_terminal(family, allowance, clinic, code):
    pharmacy = clinic_make("P001", DALIAN)
    first = clinic.settle(code, 1_000, settlement_id="A-1", key="shared")

    other = pharmacy.settle(code_for(family.beneficiary), 2_000, settlement_id="B-1", key="shared")
    same_till_other_user = Clinic(institution=clinic.institution, user=terminal_user(clinic.institution))
    third = same_till_other_user.settle(
        code_for(family.beneficiary), 3_000, settlement_id="A-2", key="shared"
    )

    assert len({first.pk, other.pk, third.pk}) == 3


# --- reversal (冲正) -----------------------------------------------------------------------------------


def test_a_reversal_the_same_day_puts_it_all_back_into_the_allowance(family, allowance, clinic, code):
    settled = clinic.settle(code, 12_000, settlement_id="INV-1", allow_partial=True)

    reversed_ = clinic.reverse("INV-1")

    assert reversed_.pk == settled.pk
    assert (reversed_.status, reversed_.reversed_on, reversed_.reversal_user_id) == (
        SettlementStatus.REVERSED, timezone.localdate(), clinic.user.pk,
    )  # fmt: skip
    assert legs(reversed_.reversal_transaction_id) == sorted(
        [(clinic.institution.account_id, -12_000), (allowance.hold_account_id, 12_000)]
    )
    assert transactions_with("settlement reversal") == 1
    allowance.refresh_from_db()
    assert (allowance.spent_fen, allowance.remaining_fen, balance(allowance.hold_account_id)) == (
        0,
        50_000,
        50_000,
    )
    assert balance(clinic.institution.account_id) == 0


def test_a_reversal_asked_again_under_its_key_answers_the_same(family, allowance, clinic, code, snapshot):
    clinic.settle(code, 12_000, settlement_id="INV-1")
    first = clinic.reverse("INV-1", key="rev-1")
    before = snapshot()

    again = clinic.reverse("INV-1", key="rev-1")

    assert (again.pk, again.status, again.reversed_at) == (first.pk, first.status, first.reversed_at)
    before.assert_unchanged(codes_too=True)


def test_a_second_reversal_under_another_key_is_refused(family, allowance, clinic, code, snapshot):
    clinic.settle(code, 12_000, settlement_id="INV-1")
    clinic.reverse("INV-1", key="rev-1")
    before = snapshot()

    error = refused("reversal_not_allowed", lambda: clinic.reverse("INV-1", key="rev-2"))

    with translation.override("en"):
        assert "already reversed" in str(error.message)
    before.assert_unchanged(codes_too=True)


def test_a_reversal_on_a_later_day_is_refused(family, allowance, clinic, code, snapshot):
    settled = clinic.settle(code, 12_000, settlement_id="INV-1")
    Settlement.objects.filter(pk=settled.pk).update(
        business_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    before = snapshot()

    error = refused("reversal_not_allowed", lambda: clinic.reverse("INV-1"))

    with translation.override("en"):
        assert "refund it instead" in str(error.message)
    before.assert_unchanged(codes_too=True)
    assert clinic.refund("INV-1", 12_000).amount_fen == 12_000  # what is left to do


def test_the_business_day_is_the_sql_s_today(family, allowance, clinic, code):
    """Reversal compares the settlement's business date with the caller's today (Asia/Shanghai)."""
    settled = clinic.settle(code, 12_000, settlement_id="INV-1")
    tomorrow = settled.business_date + datetime.timedelta(days=1)
    sql = "SELECT * FROM medical_settlement_reverse(%s, %s, %s, %s, %s, %s, %s)"
    args = [clinic.user.pk, "rev-sql", "5000ms", clinic.institution.pk, "INV-1"]

    with pytest.raises(DatabaseError, match="reversal_not_allowed"), transaction.atomic():
        connection.cursor().execute(sql, [*args, tomorrow, timezone.now()])
    with connection.cursor() as cursor:
        cursor.execute(sql, [*args, settled.business_date, timezone.now()])
        assert cursor.fetchone()[1] == settled.pk


def test_a_reversal_after_a_refund_is_refused(family, allowance, clinic, code, snapshot):
    clinic.settle(code, 12_000, settlement_id="INV-1")
    clinic.refund("INV-1", 2_000)
    before = snapshot()

    error = refused("reversal_not_allowed", lambda: clinic.reverse("INV-1"))

    with translation.override("en"):
        assert "refunded" in str(error.message)
    before.assert_unchanged(codes_too=True)


def test_another_institutions_or_an_unknown_settlement_is_not_found(
    family, allowance, clinic, code, snapshot
):
    clinic.settle(code, 12_000, settlement_id="INV-1")
    pharmacy = clinic_make("P001", DALIAN)
    before = snapshot()

    refused("settlement_not_found", lambda: pharmacy.reverse("INV-1"))
    refused("settlement_not_found", lambda: pharmacy.refund("INV-1", 1_000))
    refused("settlement_not_found", lambda: clinic.reverse("INV-404"))
    refused("settlement_not_found", lambda: clinic.refund("INV-404", 1_000))

    before.assert_unchanged(codes_too=True)


def test_a_reversal_after_the_release_goes_to_the_authorizers_personal_account(
    family, allowance, clinic, code
):
    clinic.settle(code, 12_000, settlement_id="INV-1")
    release(family)
    assert balance(family.authorizer.account_id) == 50_000 + 38_000

    reversed_ = clinic.reverse("INV-1")

    assert legs(reversed_.reversal_transaction_id) == sorted(
        [(clinic.institution.account_id, -12_000), (family.authorizer.account_id, 12_000)]
    )
    assert balance(family.authorizer.account_id) == 100_000
    allowance.refresh_from_db()
    assert (allowance.status, allowance.spent_fen, balance(allowance.hold_account_id)) == (
        AllowanceStatus.RELEASED, 0, 0,
    )  # fmt: skip


# --- refunds ------------------------------------------------------------------------------------------


def test_a_refund_goes_back_into_the_allowance_while_it_is_active(family, allowance, clinic, code):
    clinic.settle(code, 12_000, settlement_id="INV-1")

    refund = clinic.refund("INV-1", 2_500, refund_id="RET-1")

    assert (refund.refund_id, refund.amount_fen, refund.to_allowance) == ("RET-1", 2_500, True)
    assert (refund.settlement.refunded_fen, refund.business_date) == (2_500, timezone.localdate())
    assert legs(refund.ledger_transaction_id) == sorted(
        [(clinic.institution.account_id, -2_500), (allowance.hold_account_id, 2_500)]
    )
    assert remaining(allowance) == 50_000 - 12_000 + 2_500
    assert balance(clinic.institution.account_id) == 9_500


def test_refunds_add_up_to_at_most_what_the_allowance_paid(family, allowance, clinic, snapshot):
    clinic.settle(code_for(family.beneficiary), 40_000)
    clinic.settle(code_for(family.beneficiary), 20_000, settlement_id="INV-1", allow_partial=True)  # 100 paid
    clinic.refund("INV-1", 6_000)
    before = snapshot()

    error = refused("refund_exceeds_settlement", lambda: clinic.refund("INV-1", 4_001))

    with translation.override("en"):
        assert "40.00" in str(error.message)
    before.assert_unchanged(codes_too=True)
    clinic.refund("INV-1", 4_000)  # the rest, exactly
    refused("refund_exceeds_settlement", lambda: clinic.refund("INV-1", 1))
    assert Settlement.objects.get(settlement_id="INV-1").refunded_fen == 10_000


def test_a_reversed_settlement_has_nothing_left_to_refund(family, allowance, clinic, code, snapshot):
    clinic.settle(code, 12_000, settlement_id="INV-1")
    clinic.reverse("INV-1")
    before = snapshot()

    refused("refund_exceeds_settlement", lambda: clinic.refund("INV-1", 1))

    before.assert_unchanged(codes_too=True)


@pytest.mark.parametrize("amount_fen", [0, -100, MAX_SETTLEMENT_FEN + 1, True, 1.5, "100"])
def test_a_refund_of_a_bad_amount_is_invalid_input(family, allowance, clinic, code, snapshot, amount_fen):
    clinic.settle(code, 12_000, settlement_id="INV-1")
    before = snapshot()

    error = refused("invalid_input", lambda: clinic.refund("INV-1", amount_fen))

    assert error.field == "amount"
    before.assert_unchanged(codes_too=True)


def test_a_refund_asked_again_by_its_id_or_key_answers_the_first(family, allowance, clinic, code, snapshot):
    clinic.settle(code, 12_000, settlement_id="INV-1")
    first = clinic.refund("INV-1", 2_000, refund_id="RET-1", key="r-1")
    before = snapshot()

    by_key = clinic.refund("INV-1", 2_000, refund_id="RET-1", key="r-1")
    by_id = clinic.refund("INV-1", 2_000, refund_id="RET-1", key="r-2")

    assert by_key.pk == by_id.pk == first.pk
    before.assert_unchanged(codes_too=True)
    assert SettlementRefund.objects.count() == 1


@pytest.mark.parametrize(
    "change", [{"amount_fen": 2_001}, {"refund_id": "RET-2"}, {"settlement_id": "INV-2", "key": "r-9"}]
)
def test_a_refund_id_or_key_for_another_refund_is_a_conflict(
    family, allowance, clinic, code, snapshot, change
):
    clinic.settle(code, 12_000, settlement_id="INV-1")
    clinic.settle(code_for(family.beneficiary), 12_000, settlement_id="INV-2")
    clinic.refund("INV-1", 2_000, refund_id="RET-1", key="r-1")
    request = {"settlement_id": "INV-1", "amount_fen": 2_000, "refund_id": "RET-1", "key": "r-1", **change}
    before = snapshot()

    refused(
        "idempotency_conflict",
        lambda: clinic.refund(request.pop("settlement_id"), request.pop("amount_fen"), **request),
    )

    before.assert_unchanged(codes_too=True)


@pytest.mark.parametrize("how", ["released", "binding_ended", "insurance_ended"])
def test_after_the_allowance_ends_a_refund_goes_to_the_authorizers_personal_account(
    family, allowance, clinic, code, how
):
    clinic.settle(code, 12_000, settlement_id="INV-1")
    if how == "released":
        release(family)
    elif how == "binding_ended":
        binding_end(binding=family, ended_by=family.beneficiary.person)
    else:
        insuree_change(insuree=family.beneficiary, status=InsureeStatus.TERMINATED)
    before = balance(family.authorizer.account_id)
    assert before == 50_000 + 38_000  # the unspent part came back with the release

    refund = clinic.refund("INV-1", 3_000)

    assert refund.to_allowance is False
    assert legs(refund.ledger_transaction_id) == sorted(
        [(clinic.institution.account_id, -3_000), (family.authorizer.account_id, 3_000)]
    )
    assert balance(family.authorizer.account_id) == before + 3_000
    allowance.refresh_from_db()
    assert allowance.status == AllowanceStatus.RELEASED
    assert balance(allowance.hold_account_id) == 0  # a released allowance's hold stays empty
    assert allowance.spent_fen == 9_000  # what its settlements cost, net


def test_a_refund_of_a_partial_settlement_is_within_what_the_allowance_paid_not_the_bill(family, clinic):
    allowance_for(family, 10_000)
    clinic.settle(code_for(family.beneficiary), 25_000, settlement_id="INV-1", allow_partial=True)

    refused("refund_exceeds_settlement", lambda: clinic.refund("INV-1", 10_001))
    assert clinic.refund("INV-1", 10_000).amount_fen == 10_000


# --- the database itself ------------------------------------------------------------------------------


def test_the_database_keeps_one_settlement_per_institution_id_code_and_key(family, allowance, clinic, code):
    """Past the SQL functions (any path that writes), the unique constraints hold the rules."""
    first = clinic.settle(code, 1_000, settlement_id="INV-1", key="k-1")
    clinic.reverse("INV-1", key="rev-1")
    other = clinic.settle(code_for(family.beneficiary), 1_000, settlement_id="INV-2")
    clinic.reverse("INV-2", key="rev-2")
    breaches = {
        "one_settlement_per_institution_id": {"settlement_id": "INV-1"},
        "medical_settlement_voucher_id_key": {"voucher_id": first.voucher_id},
        "one_settlement_per_key": {"idempotency_key": "k-1"},
        "one_reversal_per_key": {"reversal_key": "rev-1"},
    }
    for constraint, change in breaches.items():
        with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
            Settlement.objects.filter(pk=other.pk).update(**change)


def test_the_database_keeps_refunds_within_what_was_paid_and_reversals_whole_and_same_day(
    family, allowance, clinic, code
):
    settled = clinic.settle(code, 1_000, settlement_id="INV-1")
    clinic.refund("INV-1", 400)
    changes = [
        {"refunded_fen": 1_001},
        {"paid_fen": 0, "cash_due_fen": 1_000},
        {"cash_due_fen": 5},  # paid + cash due is the amount
        {
            "status": SettlementStatus.REVERSED,
            "reversed_at": timezone.now(),
            "reversed_on": settled.business_date,
        },
    ]
    for change in changes:
        with pytest.raises(IntegrityError), transaction.atomic():
            Settlement.objects.filter(pk=settled.pk).update(**change)
