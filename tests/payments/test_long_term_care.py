"""The long-term-care premium (长期护理保险), a second premium kind where a region sets a rate: paid
under the resident premium's rules, each kind once per beneficiary and year, into its own fund, with
its own enrollment, refund and notices; every refusal moves nothing."""

import datetime

import pytest
from django.utils import timezone, translation

from common.errors import ApplicationError
from insurees.models import Enrollment, PremiumKind
from ledger.models import Account
from payments.models import Payment, PaymentStatus
from payments.selectors import (
    payment_list_for_review,
    payment_preview_for_relatives,
    payment_preview_for_self,
    payment_stats,
    premium_due_for,
    premium_overview_for_many,
)
from payments.services import enrollments_sync_pending, payment_refund, payment_sync_enrollment
from tests.factories import (
    SUZHOU,
    BindingFactory,
    EmployeeFactory,
    LongTermCareRateFactory,
    PremiumRateFactory,
    ResidentFactory,
    UserFactory,
)
from tests.notices.reading import texts_of
from tests.payments.paying import payment_create_for_relative, payment_create_self, payments_create_for_family

LTC = PremiumKind.LONG_TERM_CARE
RESIDENT = PremiumKind.RESIDENT_MEDICAL


@pytest.fixture
def ltc_rate(rate, year):
    """Beside the resident premium (¥420.00), the region's long-term-care premium: ¥120.00."""
    return LongTermCareRateFactory(year=year, amount_fen=12_000)


def balance(insuree) -> int:
    return Account.objects.get(pk=insuree.account_id).balance_fen


def fund_balance(code: str) -> int:
    fund = Account.objects.filter(code=code).first()
    return fund.balance_fen if fund else 0


def pay(binding, year, actor, kind=LTC):
    return payment_create_for_relative(
        authorizer=binding.authorizer, beneficiary=binding.beneficiary, year=year, actor=actor, kind=kind
    )


def refused(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as raised:
        call()
    return raised.value


# --- paying ------------------------------------------------------------------------------------------


def test_the_authorizer_pays_the_long_term_care_premium_into_its_own_fund(family, ltc_rate, year, actor_for):
    payment = pay(family, year, actor_for())

    payment.refresh_from_db()
    assert (payment.kind, payment.amount_fen, payment.status) == (LTC, 12_000, PaymentStatus.SETTLED)
    assert balance(family.authorizer) == 100_000 - 12_000
    assert fund_balance("fund:ltc_premium:210200") == 12_000
    assert fund_balance("fund:resident_premium:210200") == 0
    assert payment.ledger_transaction.memo == f"long-term-care premium {year} 210200"


def test_each_kind_is_paid_once_a_year_and_one_does_not_pay_the_other(
    family, ltc_rate, year, actor_for, snapshot
):
    resident = pay(family, year, actor_for(), kind=RESIDENT)
    ltc = pay(family, year, actor_for())
    before = snapshot()

    with translation.override("en"):
        again = refused(lambda: pay(family, year, actor_for()))
        assert str(again.message) == f"The long-term-care insurance premium for {year} has already been paid."
    with translation.override("zh-hans"):
        assert (
            str(refused(lambda: pay(family, year, actor_for())).message)
            == f"{year}年度的长期护理保险保费已缴纳。"
        )

    assert (again.code, again.field) == ("already_paid", "year")
    before.assert_unchanged()
    settled = Payment.objects.filter(beneficiary=family.beneficiary, year=year, status=PaymentStatus.SETTLED)
    assert sorted(settled.values_list("kind", "amount_fen")) == [(LTC, 12_000), (RESIDENT, 42_000)]
    assert balance(family.authorizer) == 100_000 - 42_000 - 12_000
    assert {resident.pk, ltc.pk} == set(settled.values_list("pk", flat=True))


def test_the_resident_premium_paid_first_is_no_reason_to_refuse_the_other_kind(
    family, ltc_rate, year, actor_for
):
    pay(family, year, actor_for())

    resident = pay(family, year, actor_for(), kind=RESIDENT)

    assert (resident.kind, resident.amount_fen) == (RESIDENT, 42_000)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "本地区本年度尚未设定长期护理保险保费。"),
        ("en", "No long-term-care insurance premium has been set for this region and year."),
    ],
)
def test_a_region_without_a_long_term_care_rate_refuses_it_in_the_callers_language(
    family, year, actor_for, snapshot, language, message
):
    before = snapshot()

    with translation.override(language):
        error = refused(lambda: pay(family, year, actor_for()))
        assert str(error.message) == message

    assert (error.code, error.status, error.field) == ("no_premium_rate", 422, "kind")
    before.assert_unchanged()
    # The resident premium of the same region and year is still payable.
    assert pay(family, year, actor_for(), kind=RESIDENT).kind == RESIDENT


def test_the_long_term_care_rate_has_its_own_collection_period(family, year, actor_for, snapshot):
    today = timezone.localdate()
    LongTermCareRateFactory(
        year=year,
        collection_start=today + datetime.timedelta(days=10),
        collection_end=today + datetime.timedelta(days=40),
    )
    before = snapshot()

    error = refused(lambda: pay(family, year, actor_for()))

    assert error.code == "outside_collection_period"
    assert str(today + datetime.timedelta(days=10)) in str(error.message)
    before.assert_unchanged()


def test_one_account_pays_the_whole_long_term_care_premium_or_nothing_moves(
    ltc_rate, year, actor_for, snapshot
):
    binding = BindingFactory(authorizer=EmployeeFactory(balance_fen=11_999))
    before = snapshot()

    error = refused(lambda: pay(binding, year, actor_for()))

    assert error.code == "insufficient_balance"
    assert "120.00" in str(error.message)
    before.assert_unchanged()


def test_a_family_pays_the_long_term_care_premium_all_together(ltc_rate, year, actor_for):
    son = EmployeeFactory(balance_fen=100_000)
    father, mother = BindingFactory(authorizer=son), BindingFactory(authorizer=son)

    payments = payments_create_for_family(
        authorizer=son,
        beneficiaries=[father.beneficiary, mother.beneficiary],
        year=year,
        actor=actor_for(),
        kind=LTC,
    )

    assert [(p.kind, p.amount_fen) for p in payments] == [(LTC, 12_000), (LTC, 12_000)]
    assert balance(son) == 100_000 - 24_000


def test_self_payment_of_the_long_term_care_premium_debits_the_richest_bound_authorizer(
    ltc_rate, year, actor_for
):
    parent = ResidentFactory()
    poorer = BindingFactory(authorizer=EmployeeFactory(balance_fen=50_000), beneficiary=parent)
    richer = BindingFactory(authorizer=EmployeeFactory(balance_fen=80_000), beneficiary=parent)

    payment = payment_create_self(beneficiary=parent, year=year, actor=actor_for(), kind=LTC)

    assert (payment.kind, payment.authorizer_id, payment.channel) == (LTC, richer.authorizer_id, "self")
    assert (balance(richer.authorizer), balance(poorer.authorizer)) == (80_000 - 12_000, 50_000)


def test_self_payment_refuses_when_no_bound_account_covers_the_long_term_care_premium(
    ltc_rate, year, actor_for, snapshot
):
    parent = ResidentFactory()
    BindingFactory(authorizer=EmployeeFactory(balance_fen=11_000), beneficiary=parent)
    before = snapshot()

    error = refused(lambda: payment_create_self(beneficiary=parent, year=year, actor=actor_for(), kind=LTC))

    assert error.code == "insufficient_balance"
    before.assert_unchanged()


def test_an_unknown_kind_is_invalid_input_and_moves_nothing(family, ltc_rate, year, actor_for, snapshot):
    before = snapshot()

    error = refused(lambda: pay(family, year, actor_for(), kind="dental"))

    assert (error.code, error.field) == ("invalid_input", "kind")
    before.assert_unchanged()


# --- idempotency --------------------------------------------------------------------------------------


def test_a_retry_of_a_long_term_care_payment_returns_it_and_moves_no_money(family, ltc_rate, year, actor_for):
    actor = actor_for(key="ltc-once")
    first = pay(family, year, actor)

    again = pay(family, year, actor)

    assert (again.pk, again.kind) == (first.pk, LTC)
    assert Payment.objects.count() == 1
    assert balance(family.authorizer) == 100_000 - 12_000


def test_the_same_key_for_the_other_kind_is_a_conflict(family, ltc_rate, year, actor_for, snapshot):
    user = UserFactory()
    pay(family, year, actor_for(user=user, key="one-key"), kind=RESIDENT)
    before = snapshot()

    error = refused(lambda: pay(family, year, actor_for(user=user, key="one-key")))

    assert error.code == "idempotency_conflict"
    before.assert_unchanged()


# --- the enrollment, the refund -----------------------------------------------------------------------


def test_each_payment_marks_the_enrollment_of_its_own_kind(family, ltc_rate, year, actor_for):
    resident = pay(family, year, actor_for(), kind=RESIDENT)
    ltc = pay(family, year, actor_for())

    assert enrollments_sync_pending() == 2

    enrollments = Enrollment.objects.filter(insuree=family.beneficiary, year=year)
    assert sorted(enrollments.values_list("kind", "paid", "payment_id")) == [
        (LTC, True, ltc.pk),
        (RESIDENT, True, resident.pk),
    ]


def test_refunding_the_long_term_care_premium_leaves_the_resident_one_paid(family, ltc_rate, year, actor_for):
    resident = pay(family, year, actor_for(), kind=RESIDENT)
    ltc = pay(family, year, actor_for())
    for payment in (resident, ltc):
        payment_sync_enrollment(payment_id=payment.pk)

    refunded = payment_refund(payment=ltc, reason="paid_twice", note="", operator=UserFactory())

    assert refunded.status == PaymentStatus.REFUNDED
    assert balance(family.authorizer) == 100_000 - 42_000
    assert fund_balance("fund:ltc_premium:210200") == 0
    assert Payment.objects.get(pk=resident.pk).status == PaymentStatus.SETTLED
    paid = dict(Enrollment.objects.filter(insuree=family.beneficiary, year=year).values_list("kind", "paid"))
    assert paid == {RESIDENT: True, LTC: False}
    # Paid again after its refund: the kind is payable once more.
    assert pay(family, year, actor_for()).status == PaymentStatus.SETTLED


def test_a_long_term_care_refund_after_the_coverage_year_started_is_refused(db, actor_for, snapshot):
    this_year = timezone.localdate().year
    LongTermCareRateFactory(year=this_year)
    binding = BindingFactory()
    payment = pay(binding, this_year, actor_for())
    before = snapshot()

    error = refused(
        lambda: payment_refund(payment=payment, reason="deceased", note="", operator=UserFactory())
    )

    assert error.code == "refund_not_allowed"
    before.assert_unchanged()


# --- the notices ---------------------------------------------------------------------------------------


def test_the_notices_name_the_long_term_care_premium_on_both_sides(family, ltc_rate, year, actor_for):
    payment = pay(family, year, actor_for())
    payment_refund(payment=payment, reason="deceased", note="", operator=UserFactory())

    payer, relative = texts_of(family.authorizer.person, "en"), texts_of(family.beneficiary.person, "en")
    assert "long-term-care insurance premium" in payer[0]
    assert "long-term-care insurance premium" in payer[1]
    assert "long-term-care insurance premium" in relative[0]
    assert "long-term-care insurance premium" in relative[1]
    assert all("resident premium" not in text for text in payer + relative)
    assert all("长期护理保险" in text for text in texts_of(family.authorizer.person, "zh-hans"))


# --- what the pages and the API read ------------------------------------------------------------------


def test_the_previews_show_the_long_term_care_amount_before_paying(family, ltc_rate, year, snapshot):
    before = snapshot()

    relatives = payment_preview_for_relatives(
        authorizer=family.authorizer.person, beneficiaries=[family.beneficiary], year=year, kind=LTC
    )
    own = payment_preview_for_self(beneficiary=family.beneficiary.person, year=year, kind=LTC)

    assert [(line.kind, line.amount_fen) for line in relatives.lines] == [(LTC, 12_000)]
    assert (relatives.total_fen, relatives.balance_after_fen) == (12_000, 100_000 - 12_000)
    assert (own.line.kind, own.total_fen) == (LTC, 12_000)
    with translation.override("zh-hans"):
        assert own.line.kind_label == "长期护理保险"
    before.assert_unchanged()


def test_a_preview_refuses_as_the_payment_would(family, year):
    error = refused(
        lambda: payment_preview_for_relatives(
            authorizer=family.authorizer.person, beneficiaries=[family.beneficiary], year=year, kind=LTC
        )
    )

    assert (error.code, error.field) == ("no_premium_rate", "kind")


def test_the_premium_due_and_the_overview_are_per_kind(family, ltc_rate, year, actor_for):
    pay(family, year, actor_for())

    [resident_due] = premium_due_for(beneficiary=family.beneficiary, years=[year])
    [ltc_due] = premium_due_for(beneficiary=family.beneficiary, years=[year], kind=LTC)
    overview = premium_overview_for_many(beneficiaries=[family.beneficiary], today=timezone.localdate())

    assert (resident_due.kind, resident_due.rate.amount_fen, resident_due.paid) == (RESIDENT, 42_000, False)
    assert (ltc_due.kind, ltc_due.rate.amount_fen, ltc_due.paid) == (LTC, 12_000, True)
    open_dues = overview[family.beneficiary.pk].open
    assert [(due.kind, due.paid) for due in open_dues] == [(RESIDENT, False), (LTC, True)]


def test_a_region_without_a_long_term_care_rate_shows_only_the_resident_premium(rate, year):
    resident = ResidentFactory(region_code=SUZHOU)
    PremiumRateFactory(region_code=SUZHOU, year=year)
    LongTermCareRateFactory(year=year)  # Dalian's, not Suzhou's

    overview = premium_overview_for_many(beneficiaries=[resident], today=timezone.localdate())

    assert [due.kind for due in overview[resident.pk].open] == [RESIDENT]


def test_the_review_filters_and_counts_each_kind(family, ltc_rate, year, actor_for):
    resident = pay(family, year, actor_for(), kind=RESIDENT)
    ltc = pay(family, year, actor_for())

    assert [p.pk for p in payment_list_for_review(kind=LTC)] == [ltc.pk]
    assert [p.pk for p in payment_list_for_review(kind=RESIDENT)] == [resident.pk]
    stats = payment_stats(year=year)
    assert (stats["beneficiaries_paid"], stats["amount_fen"]) == (1, 54_000)
    assert stats["by_kind"] == [
        {"kind": LTC, "beneficiaries_paid": 1, "amount_fen": 12_000},
        {"kind": RESIDENT, "beneficiaries_paid": 1, "amount_fen": 42_000},
    ]
