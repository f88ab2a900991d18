"""A binding, and its end for whatever reason, tells both sides in the same transaction; each reads the
other by full name, with the relation from his own side."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from common.errors import ApplicationError
from insurees.models import InsureeStatus
from insurees.services import insuree_change
from mutual_aid.models import Binding, Channel, EndReason, Relation
from mutual_aid.services import binding_create, binding_end
from notices.models import Notice, NoticeKind
from notices.rendering import notice_link
from tests.factories import BindingFactory, EmployeeFactory, PersonFactory, ResidentFactory, UserFactory
from tests.notices.reading import notices_of, texts_of


@pytest.fixture
def son(db):
    return EmployeeFactory(person=PersonFactory(name="张伟"))


@pytest.fixture
def father(db):
    return ResidentFactory(person=PersonFactory(name="张国强"))


def bind(authorizer, beneficiary, pledge, **kwargs):
    return binding_create(
        authorizer=authorizer,
        beneficiary=beneficiary,
        relation=kwargs.pop("relation", Relation.PARENT),
        pledge=pledge,
        channel=kwargs.pop("channel", Channel.ONLINE),
        signer=authorizer.person,
        **kwargs,
    )


def test_a_new_binding_tells_both_sides(son, father, pledge):
    binding = bind(son, father, pledge)

    assert [(n.kind, n.link_id) for n in notices_of(son.person)] == [(NoticeKind.BINDING_CREATED, binding.pk)]
    assert [notice_link(n) for n in notices_of(father.person)] == [f"/bindings/{binding.pk}/"]
    assert texts_of(son.person, "en") == [
        "You bound your parent 张国强 for family mutual aid: your personal account can now pay their "
        "resident premium."
    ]
    assert texts_of(son.person, "zh-hans") == [
        "您已与您的父母张国强绑定家庭共济关系，您的个人账户现在可以为其缴纳城乡居民医保个人缴费。"
    ]
    assert texts_of(father.person, "en") == [
        "Your child 张伟 bound you for family mutual aid: their personal account can now pay your resident "
        "premium. If you did not know of this, you can end the binding."
    ]
    assert texts_of(father.person, "zh-hans") == [
        "您的子女张伟已与您绑定家庭共济关系，其职工医保个人账户现在可以为您缴纳城乡居民医保个人缴费。"
        "如您不知情，可以解除绑定。"
    ]


def test_a_counter_binding_says_where_it_was_made(son, father, pledge):
    bind(son, father, pledge, channel=Channel.COUNTER, operator=UserFactory(), counter_id="DL-01")

    assert texts_of(son.person, "en")[0].startswith("At the service counter, you bound your parent 张国强")
    assert texts_of(father.person, "zh-hans")[0].startswith("您的子女张伟已在经办窗口与您绑定家庭共济关系")


def test_a_refused_binding_writes_no_notice(son, father, pledge):
    bind(son, father, pledge)

    with pytest.raises(ApplicationError) as refused:
        bind(son, father, pledge)

    assert refused.value.code == "already_bound"

    assert Notice.objects.count() == 2


@pytest.mark.parametrize(
    ("ended_by", "son_reads", "father_reads"),
    [
        (
            "authorizer",
            "You ended the mutual-aid binding with your parent 张国强. Your personal account no longer pays "
            "their premium.",
            "Your child 张伟 ended the mutual-aid binding with you. Their personal account no longer pays "
            "your premium.",
        ),
        (
            "beneficiary",
            "Your parent 张国强 ended the mutual-aid binding with you. Your personal account no longer pays "
            "their premium.",
            "You ended the mutual-aid binding with your child 张伟. Their personal account no longer pays "
            "your premium.",
        ),
    ],
)
def test_ending_a_binding_tells_both_sides_who_ended_it(
    son, father, pledge, ended_by, son_reads, father_reads
):
    binding = BindingFactory(authorizer=son, beneficiary=father, pledge=pledge)
    person = son.person if ended_by == "authorizer" else father.person

    binding_end(binding=binding, ended_by=person)

    assert texts_of(son.person, "en") == [son_reads]
    assert texts_of(father.person, "en") == [father_reads]
    assert {n.facts["reason"] for n in Notice.objects.all()} == {f"{ended_by}_unbound"}


def test_the_end_of_a_binding_reads_in_chinese(son, father, pledge):
    binding_end(binding=BindingFactory(authorizer=son, beneficiary=father), ended_by=son.person)

    assert texts_of(father.person, "zh-hans") == [
        "您的子女张伟已解除与您的家庭共济关系，其个人账户不再为您缴费。"
    ]


def test_an_authorizer_leaving_insurance_ends_every_binding_and_tells_everyone(son, pledge):
    mother = ResidentFactory(person=PersonFactory(name="李秀兰"))
    daughter = ResidentFactory(person=PersonFactory(name="张小雨"))
    BindingFactory(authorizer=son, beneficiary=mother, pledge=pledge)
    BindingFactory(authorizer=son, beneficiary=daughter, pledge=pledge, relation=Relation.CHILD)

    with CaptureQueriesContext(connection) as queries:
        insuree_change(insuree=son, status=InsureeStatus.SUSPENDED)

    assert Binding.objects.filter(authorizer=son, end_reason=EndReason.AUTHORIZER_NOT_ACTIVE).count() == 2
    assert texts_of(son.person, "en") == [
        "Your employee insurance is no longer active, so your mutual-aid binding with your parent 李秀兰 has "
        "ended.",
        "Your employee insurance is no longer active, so your mutual-aid binding with your child 张小雨 has "
        "ended.",
    ]
    assert texts_of(mother.person, "en") == [
        "The employee insurance of your child 张伟 is no longer active, so the mutual-aid binding has ended: "
        "their personal account no longer pays your premium."
    ]
    assert texts_of(daughter.person, "zh-hans") == [
        "您的父母张伟的职工医保已不在正常参保状态，家庭共济关系已解除，其个人账户不再为您缴费。"
    ]
    # The roster import ends bindings by the thousand: all their notices go in one statement.
    assert sum("notices_post_many" in query["sql"] for query in queries.captured_queries) == 1


def test_a_relative_moving_away_ends_his_bindings_and_tells_both_sides(son, father, pledge):
    BindingFactory(authorizer=son, beneficiary=father, pledge=pledge)

    insuree_change(insuree=father, region_code="210100")

    assert texts_of(son.person, "en") == [
        "The resident insurance of your parent 张国强 moved to another pooling region, so your mutual-aid "
        "binding with them has ended."
    ]
    assert texts_of(father.person, "en") == [
        "Your resident insurance moved to another pooling region, so the mutual-aid binding with your child "
        "张伟 has ended."
    ]


def test_an_insuree_with_no_binding_changes_without_a_notice(son):
    insuree_change(insuree=son, status=InsureeStatus.TERMINATED)

    assert Notice.objects.count() == 0


def test_an_end_rolled_back_takes_its_notices_with_it(son, father, pledge):
    binding = BindingFactory(authorizer=son, beneficiary=father, pledge=pledge)

    def end_then_fail():
        with transaction.atomic():
            binding_end(binding=binding, ended_by=son.person)
            raise RuntimeError("the caller's transaction fails afterwards")

    with pytest.raises(RuntimeError):
        end_then_fail()

    assert Notice.objects.count() == 0
