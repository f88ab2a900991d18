"""Every payment tells both sides, in the payment's own transaction (payments_settle in pay.sql):
the payer what left his account and what is left, the relative whose account paid his premium."""

import pytest
from django.core import mail

from common.errors import ApplicationError
from mutual_aid.models import Relation
from notices.models import Notice, NoticeKind
from notices.rendering import notice_link
from payments.models import PaymentChannel
from tests.factories import BindingFactory, EmployeeFactory, PersonFactory, ResidentFactory
from tests.notices.reading import notices_of, texts_of
from tests.payments.paying import payment_create_for_relative, payment_create_self, payments_create_for_family


def pay(binding, year, actor, **kwargs):
    return payment_create_for_relative(
        authorizer=binding.authorizer, beneficiary=binding.beneficiary, year=year, actor=actor, **kwargs
    )


def test_an_authorizers_payment_tells_him_and_his_father(family, year, actor_for):
    payment = pay(family, year, actor_for())

    son, father = family.authorizer.person, family.beneficiary.person
    assert [(n.kind, n.link_kind, n.link_id) for n in notices_of(son)] == [("debit", "payment", payment.pk)]
    assert [(n.kind, n.link_kind, n.link_id) for n in notices_of(father)] == [
        ("premium_paid", "payment", payment.pk)
    ]
    assert texts_of(son, "zh-hans") == [
        f"您的个人账户为您的父母张国强缴纳了{year}年度城乡居民医保个人缴费420.00元，账户可用余额580.00元。"
    ]
    assert texts_of(son, "en") == [
        f"Your personal account paid 420.00 yuan for the {year} resident premium of your parent 张国强. "
        "Available balance left: 580.00 yuan."
    ]
    # The father reads the relation from his side: his son is his child.
    assert texts_of(father, "zh-hans") == [
        f"您{year}年度的城乡居民医保个人缴费420.00元已由您的子女张伟的个人账户支付。"
    ]
    assert texts_of(father, "en") == [
        f"Your {year} resident premium of 420.00 yuan was paid from the personal account of your child 张伟."
    ]


def test_each_notice_links_to_the_payment_for_its_reader(family, year, actor_for):
    payment = pay(family, year, actor_for())

    links = {notice_link(n) for n in Notice.objects.all()}

    assert links == {f"/payments/{payment.pk}/"}


def test_a_self_payment_tells_the_relative_whose_account_the_rule_picked(rate, year, actor_for):
    mother = ResidentFactory(person=PersonFactory(name="李秀兰"))
    poor = BindingFactory(
        authorizer=EmployeeFactory(person=PersonFactory(name="王强"), balance_fen=50_000), beneficiary=mother
    )
    rich = BindingFactory(
        authorizer=EmployeeFactory(person=PersonFactory(name="王芳"), balance_fen=90_000), beneficiary=mother
    )

    payment_create_self(beneficiary=mother, year=year, actor=actor_for())

    assert notices_of(poor.authorizer.person) == []
    assert texts_of(rich.authorizer.person, "en") == [
        f"Your parent 李秀兰 paid their {year} resident premium of 420.00 yuan from your personal account "
        "(the bound account with the highest balance pays). Available balance left: 480.00 yuan."
    ]
    # Two children pay for her: she is told which of them did, by name.
    assert texts_of(mother.person, "zh-hans") == [
        f"您已使用您的子女王芳的个人账户缴纳本人{year}年度城乡居民医保个人缴费420.00元。"
    ]
    assert texts_of(mother.person, "en") == [
        f"You paid your {year} resident premium of 420.00 yuan from the personal account of your child 王芳."
    ]


def test_a_counter_payment_says_so_to_both_sides(family, year, actor_for):
    clerk = actor_for().user

    pay(
        family,
        year,
        actor_for(user=clerk, operator=clerk, counter_id="DL-03"),
        channel=PaymentChannel.COUNTER,
    )

    assert texts_of(family.authorizer.person, "en") == [
        f"At the service counter, your personal account paid 420.00 yuan for the {year} resident premium "
        "of your parent 张国强. Available balance left: 580.00 yuan."
    ]
    assert texts_of(family.beneficiary.person, "zh-hans") == [
        f"经办窗口已从您的子女张伟的个人账户缴纳您{year}年度城乡居民医保个人缴费420.00元。"
    ]


@pytest.mark.parametrize(
    ("relation", "payer_reads", "relative_reads"),
    [
        (Relation.PATERNAL_GRANDPARENT, "paternal grandparent", "paternal grandchild"),
        (Relation.MATERNAL_GRANDCHILD, "maternal grandchild", "maternal grandparent"),
        (Relation.SPOUSE, "spouse", "spouse"),
        (Relation.CHILD, "child", "parent"),
    ],
)
def test_the_relation_reads_from_each_readers_side(
    rate, year, actor_for, relation, payer_reads, relative_reads
):
    binding = BindingFactory(relation=relation)

    pay(binding, year, actor_for())

    [payer_text] = texts_of(binding.authorizer.person, "en")
    [relative_text] = texts_of(binding.beneficiary.person, "en")
    assert f"your {payer_reads} {binding.beneficiary.person.name}." in payer_text
    assert f"your {relative_reads} {binding.authorizer.person.name}." in relative_text


def test_paying_for_the_family_tells_each_relative_and_the_payer_once_each(rate, year, actor_for):
    payer = EmployeeFactory(person=PersonFactory(name="刘洋"), balance_fen=100_000)
    mother = BindingFactory(authorizer=payer, beneficiary=ResidentFactory(person=PersonFactory(name="陈静")))
    daughter = BindingFactory(
        authorizer=payer,
        beneficiary=ResidentFactory(person=PersonFactory(name="刘小雨")),
        relation=Relation.CHILD,
    )

    payments_create_for_family(
        authorizer=payer,
        beneficiaries=[mother.beneficiary, daughter.beneficiary],
        year=year,
        actor=actor_for(),
    )

    assert texts_of(payer.person, "en") == [
        f"Your personal account paid 420.00 yuan for the {year} resident premium of your parent 陈静. "
        "Available balance left: 580.00 yuan.",
        f"Your personal account paid 420.00 yuan for the {year} resident premium of your child 刘小雨. "
        "Available balance left: 160.00 yuan.",
    ]
    assert [n.kind for n in notices_of(mother.beneficiary.person)] == [NoticeKind.PREMIUM_PAID]
    assert texts_of(daughter.beneficiary.person, "en") == [
        f"Your {year} resident premium of 420.00 yuan was paid from the personal account of your parent 刘洋."
    ]


def test_a_refused_payment_writes_no_notice(rate, year, actor_for):
    binding = BindingFactory(authorizer=EmployeeFactory(balance_fen=100))

    with pytest.raises(ApplicationError) as refused:
        pay(binding, year, actor_for())

    assert refused.value.code == "insufficient_balance"
    assert Notice.objects.count() == 0


def test_a_payment_rolled_back_after_its_statement_takes_its_notices_with_it(
    family, year, actor_for, django_capture_on_commit_callbacks
):
    """The notices are written by the payment's statement; a counter audit that fails afterwards rolls
    the whole payment back, and its notices with it: nothing was sent either."""
    family.authorizer.person.email = "zhang@example.cn"
    family.authorizer.person.save()

    def audit_fails(payments):
        raise ApplicationError("invalid_input", "the audit trail could not be written")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ApplicationError):
        pay(family, year, actor_for(record=audit_fails))

    assert Notice.objects.count() == 0
    assert mail.outbox == []


def test_a_retry_with_the_same_key_writes_no_second_notice(family, year, actor_for):
    actor = actor_for()
    pay(family, year, actor)

    pay(family, year, actor)

    assert Notice.objects.count() == 2
