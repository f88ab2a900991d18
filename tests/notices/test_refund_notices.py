"""A refund tells both sides in its transaction: the authorizer that his account was credited, the
relative that this payment covers him no more."""

import pytest

from common.errors import ApplicationError
from notices.models import Notice, NoticeKind
from notices.rendering import notice_link
from payments.services import payment_refund
from tests.factories import UserFactory
from tests.notices.reading import notices_of, texts_of
from tests.payments.paying import payment_create_for_relative


@pytest.fixture
def paid(family, year, actor_for):
    return payment_create_for_relative(
        authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor_for()
    )


def test_a_refund_tells_the_authorizer_and_the_relative(family, paid, year):
    refunded = payment_refund(payment=paid, reason="joined_employee", note="", operator=UserFactory())

    son, father = family.authorizer.person, family.beneficiary.person
    [debit, refund] = notices_of(son)
    [_paid, refunded_notice] = notices_of(father)
    assert (refund.kind, refund.link_id) == (NoticeKind.REFUND, refunded.pk)
    assert (refunded_notice.kind, refunded_notice.link_id) == (NoticeKind.PREMIUM_REFUNDED, refunded.pk)
    assert notice_link(refunded_notice) == f"/payments/{refunded.pk}/"
    assert texts_of(son, "en")[1] == (
        f"The 420.00 yuan your personal account paid for the {year} resident premium of your parent 张国强 "
        "was refunded to it. Reason: The beneficiary joined employee insurance. "
        "Available balance: 1,000.00 yuan."
    )
    assert texts_of(son, "zh-hans")[1] == (
        f"您的个人账户为您的父母张国强缴纳的{year}年度城乡居民医保个人缴费420.00元已退回您的个人账户。"
        "退费原因：共济对象已参加职工医保。账户可用余额1,000.00元。"
    )
    assert texts_of(father, "en")[1] == (
        f"Your {year} resident premium of 420.00 yuan, paid from the personal account of your child 张伟, "
        "was refunded to that account. Reason: The beneficiary joined employee insurance. This payment no "
        f"longer covers you: unless your {year} premium has been paid another way, you are not covered for "
        f"{year} until it is paid again."
    )
    assert texts_of(father, "zh-hans")[1] == (
        f"您{year}年度的城乡居民医保个人缴费420.00元（由您的子女张伟的个人账户支付）已退回该账户。"
        "退费原因：共济对象已参加职工医保。这笔缴费不再为您提供保障：如果您"
        f"{year}年度的保费没有通过其他方式缴纳，在重新缴费之前，您不能享受{year}年度的居民医保待遇。"
    )


def test_a_refused_refund_writes_no_notice(paid):
    payment_refund(payment=paid, reason="paid_twice", note="", operator=UserFactory())
    before = Notice.objects.count()

    with pytest.raises(ApplicationError) as refused:
        payment_refund(payment=paid, reason="paid_twice", note="", operator=UserFactory())

    assert refused.value.code == "refund_not_allowed"
    assert Notice.objects.count() == before


def test_a_refund_rolled_back_by_its_audit_takes_its_notices_with_it(paid):
    def audit_fails(payment):
        raise ApplicationError("invalid_input", "the audit trail could not be written")

    with pytest.raises(ApplicationError):
        payment_refund(payment=paid, reason="paid_twice", note="", operator=UserFactory(), record=audit_fails)

    assert sorted(Notice.objects.values_list("kind", flat=True)) == ["debit", "premium_paid"]
