"""Both sides hear of what an allowance pays (settlements.sql writes the notices with the movement):
each settlement paying more than the allowance's notify_over_fen (0: every one), its reversal and its
refunds as they heard of it, and always of money reaching the authorizer's personal account. They name
the institution, the category and the amount, in the reader's language, never what was bought."""

import pytest
from django.utils import translation

from medical.models import Settlement
from notices.models import Notice, NoticeKind
from notices.rendering import notice_subject, notice_text
from notices.services import notices_deliver_pending
from tests.factories import DALIAN
from tests.medical.settling import allowance_for, clinic_make, code_for, refused
from tests.medical.test_settlement_services import release


@pytest.fixture
def clinic(db):
    return clinic_make("H001", DALIAN, name="大连市第三人民医院")


def told(kind):
    return list(Notice.objects.filter(kind=kind).select_related("person").order_by("pk"))


def test_every_settlement_is_told_to_both_sides_by_default(family, clinic):
    allowance = allowance_for(family, 50_000)
    assert allowance.notify_over_fen == 0

    clinic.settle(code_for(family.beneficiary), 12_345, category="drugs")

    to_authorizer, to_beneficiary = told(NoticeKind.SETTLEMENT_PAID)
    assert (to_authorizer.person, to_beneficiary.person) == (
        family.authorizer.person,
        family.beneficiary.person,
    )
    for notice in (to_authorizer, to_beneficiary):
        assert (notice.facts["institution_name"], notice.facts["category"]) == ("大连市第三人民医院", "drugs")
        assert (notice.facts["amount_fen"], notice.facts["remaining_fen"]) == (12_345, 50_000 - 12_345)
        assert (notice.link_kind, notice.link_id) == ("binding", family.pk)
    with translation.override("en"):
        text = notice_text(to_authorizer)
        assert "123.45" in text
        assert "大连市第三人民医院" in text
        assert "Drugs" in text
        assert family.beneficiary.person.name in text
        assert "376.55" in text  # what is left
        assert family.authorizer.person.name in notice_text(to_beneficiary)
        assert notice_text(to_beneficiary).startswith("You paid 123.45 yuan")
        assert notice_subject(to_authorizer) == "Allowance spent at an institution"
    with translation.override("zh-hans"):
        assert "123.45" in notice_text(to_beneficiary)
        assert "药品" in notice_text(to_beneficiary)


def test_the_notices_go_out_with_the_relays_next_round(family, clinic, django_capture_on_commit_callbacks):
    allowance_for(family, 50_000)
    code = code_for(family.beneficiary)

    with django_capture_on_commit_callbacks(execute=True):
        clinic.settle(code, 1_000)
    assert notices_deliver_pending() == 4  # the allowance's two, then the settlement's

    assert all(notice.delivered_at is not None for notice in told(NoticeKind.SETTLEMENT_PAID))


def test_the_authorizer_is_told_the_institution_category_and_amount_and_nothing_of_the_bill(family, clinic):
    allowance_for(family, 10_000)

    clinic.settle(code_for(family.beneficiary), 25_000, category="inpatient", allow_partial=True)

    to_authorizer, to_beneficiary = told(NoticeKind.SETTLEMENT_PAID)
    with translation.override("en"):
        assert "cash" not in notice_text(to_authorizer)
        assert "150.00 yuan of the bill was left to pay in cash" in notice_text(to_beneficiary)
        assert "100.00" in notice_text(to_authorizer)
    # No facts about items exist to tell: only these.
    assert set(to_authorizer.facts) == {
        "settlement_id", "allowance_id", "binding_id", "relation", "institution_name", "category",
        "amount_fen", "remaining_fen", "cash_due_fen", "reader_is_authorizer", "relative_name",
    }  # fmt: skip


def test_only_settlements_paying_more_than_the_threshold_are_told(family, clinic):
    allowance_for(family, 50_000, notify_over_fen=10_000)

    clinic.settle(code_for(family.beneficiary), 10_000)  # not more than ¥100
    assert told(NoticeKind.SETTLEMENT_PAID) == []
    clinic.settle(code_for(family.beneficiary), 10_001)

    assert len(told(NoticeKind.SETTLEMENT_PAID)) == 2


def test_a_partial_settlement_is_judged_by_what_the_allowance_paid(family, clinic):
    allowance_for(family, 5_000, notify_over_fen=8_000)

    clinic.settle(code_for(family.beneficiary), 20_000, allow_partial=True)  # ¥50 paid of ¥200

    assert told(NoticeKind.SETTLEMENT_PAID) == []


def test_a_refusal_or_a_replay_tells_no_one(family, clinic):
    allowance_for(family, 5_000)
    code = code_for(family.beneficiary)
    refused("insufficient_allowance", lambda: clinic.settle(code, 5_001))
    assert not Notice.objects.filter(kind__startswith="settlement").exists()

    code = code_for(family.beneficiary)
    clinic.settle(code, 1_000, settlement_id="INV-1", key="k-1")
    clinic.settle(code, 1_000, settlement_id="INV-1", key="k-1")
    clinic.settle(code, 1_000, settlement_id="INV-1", key="k-2")

    assert len(told(NoticeKind.SETTLEMENT_PAID)) == 2


def test_a_reversal_is_told_to_both_with_where_the_money_went(family, clinic):
    allowance_for(family, 50_000)
    clinic.settle(code_for(family.beneficiary), 12_000, settlement_id="INV-1")

    clinic.reverse("INV-1", key="rev-1")
    clinic.reverse("INV-1", key="rev-1")  # a replay tells no one again

    to_authorizer, to_beneficiary = told(NoticeKind.SETTLEMENT_REVERSED)
    assert (to_authorizer.person, to_beneficiary.person) == (
        family.authorizer.person,
        family.beneficiary.person,
    )
    assert (to_authorizer.facts["amount_fen"], to_authorizer.facts["to_allowance"]) == (12_000, True)
    with translation.override("en"):
        text = notice_text(to_authorizer)
        assert "cancelled the payment of 120.00 yuan" in text
        assert "back in the allowance, which has 500.00 yuan left" in text
    with translation.override("zh-hans"):
        assert "120.00" in notice_text(to_beneficiary)


def test_a_refund_is_told_to_both(family, clinic):
    allowance_for(family, 50_000)
    clinic.settle(code_for(family.beneficiary), 12_000, settlement_id="INV-1")

    clinic.refund("INV-1", 2_000)

    to_authorizer, to_beneficiary = told(NoticeKind.SETTLEMENT_REFUNDED)
    assert to_beneficiary.facts["amount_fen"] == 2_000
    with translation.override("en"):
        assert "refunded 20.00 yuan of a payment (Outpatient care)" in notice_text(to_authorizer)
        assert "refunded 20.00 yuan of your payment" in notice_text(to_beneficiary)
        assert "which has 400.00 yuan left" in notice_text(to_beneficiary)


def test_returns_of_a_settlement_below_the_threshold_are_not_told_while_they_go_back_to_the_allowance(
    family, clinic
):
    allowance_for(family, 50_000, notify_over_fen=20_000)
    clinic.settle(code_for(family.beneficiary), 12_000, settlement_id="INV-1")
    clinic.settle(code_for(family.beneficiary), 3_000, settlement_id="INV-2")

    clinic.refund("INV-1", 2_000)
    clinic.reverse("INV-2")

    assert not Notice.objects.filter(kind__startswith="settlement").exists()


def test_money_back_in_the_authorizers_personal_account_is_always_told(family, clinic):
    allowance_for(family, 50_000, notify_over_fen=20_000)
    clinic.settle(code_for(family.beneficiary), 12_000, settlement_id="INV-1")
    clinic.settle(code_for(family.beneficiary), 3_000, settlement_id="INV-2")
    release(family)

    clinic.refund("INV-1", 2_000)
    clinic.reverse("INV-2")

    [refund_to_authorizer, refund_to_beneficiary] = told(NoticeKind.SETTLEMENT_REFUNDED)
    [reversal_to_authorizer, _reversal_to_beneficiary] = told(NoticeKind.SETTLEMENT_REVERSED)
    assert (refund_to_authorizer.facts["to_allowance"], refund_to_authorizer.facts["remaining_fen"]) == (
        False,
        0,
    )
    with translation.override("en"):
        assert "back in your personal account" in notice_text(refund_to_authorizer)
        assert "back in your personal account" in notice_text(reversal_to_authorizer)
        # The father reads of his child (the binding's relation seen from his side), by name.
        name = family.authorizer.person.name
        assert f"went back to the personal account of your child {name}" in notice_text(refund_to_beneficiary)
    assert Settlement.objects.get(settlement_id="INV-2").status == "reversed"
