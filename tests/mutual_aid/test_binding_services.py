import threading

import pytest
from django.db import connection

from common.errors import ApplicationError
from insurees.models import InsureeStatus
from insurees.services import insuree_change
from mutual_aid.models import Binding, BindingStatus, Channel, EndReason, Relation
from mutual_aid.selectors import beneficiary_for, pledge_check
from mutual_aid.services import binding_create, binding_end, binding_set_self_pay_paused
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PersonFactory,
    PledgeFactory,
    RegionPolicyFactory,
    ResidentFactory,
    UserFactory,
)


@pytest.fixture
def pledge(db):
    return PledgeFactory()


def bind(authorizer, beneficiary, pledge, relation=Relation.PARENT, **kwargs):
    return binding_create(
        authorizer=authorizer,
        beneficiary=beneficiary,
        relation=relation,
        pledge=pledge,
        channel=kwargs.pop("channel", Channel.ONLINE),
        signer=authorizer.person,
        **kwargs,
    )


def test_binding_a_parent_keeps_what_was_signed(pledge):
    authorizer, parent = EmployeeFactory(), ResidentFactory()

    binding = bind(authorizer, parent, pledge)

    assert binding.status == BindingStatus.ACTIVE
    assert (binding.pledge_version, binding.pledge_sha256) == (pledge.version, pledge.sha256)
    assert binding.signer == authorizer.person
    assert binding.signed_at is not None
    assert binding.channel == Channel.ONLINE


def test_a_counter_binding_records_the_operator_and_paper_form(pledge):
    clerk = UserFactory()

    binding = bind(
        EmployeeFactory(),
        ResidentFactory(),
        pledge,
        channel=Channel.COUNTER,
        operator=clerk,
        counter_id="DL-01",
        paper_pledge_ref="PL-2026-0001",
    )

    assert (binding.operator, binding.counter_id, binding.paper_pledge_ref) == (
        clerk,
        "DL-01",
        "PL-2026-0001",
    )


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        (lambda a, b: {"beneficiary": EmployeeFactory()}, "wrong_scheme"),
        (lambda a, b: {"authorizer": ResidentFactory()}, "wrong_scheme"),
        (lambda a, b: {"authorizer": EmployeeFactory(status=InsureeStatus.SUSPENDED)}, "not_active"),
        (lambda a, b: {"beneficiary": ResidentFactory(status=InsureeStatus.TERMINATED)}, "not_active"),
        (lambda a, b: {"beneficiary": ResidentFactory(person=a.person)}, "self_binding"),
        (lambda a, b: {"relation": "cousin"}, "relation_not_allowed"),
        (lambda a, b: {"beneficiary": ResidentFactory(region_code="210300")}, "region_mismatch"),
    ],
    ids=[
        "employee-beneficiary",
        "resident-authorizer",
        "authorizer-suspended",
        "beneficiary-terminated",
        "self",
        "cousin",
        "other-city",
    ],
)
def test_binding_rules_refuse_with_their_code_and_bind_nothing(pledge, setup, code):
    authorizer, beneficiary = EmployeeFactory(), ResidentFactory()
    args = {"authorizer": authorizer, "beneficiary": beneficiary, "relation": Relation.PARENT}
    args.update(setup(authorizer, beneficiary))

    with pytest.raises(ApplicationError) as raised:
        bind(args["authorizer"], args["beneficiary"], pledge, relation=args["relation"])

    assert raised.value.code == code
    assert Binding.objects.count() == 0


@pytest.mark.parametrize("relation", Relation.values)
def test_each_of_the_eight_near_relatives_can_be_bound(pledge, relation):
    assert bind(EmployeeFactory(), ResidentFactory(), pledge, relation=relation).relation == relation


def test_province_scope_reaches_other_cities_of_the_province_only(pledge):
    RegionPolicyFactory(region_code="320000", scope="province", exclusive_family=False)
    nanjing = EmployeeFactory(region_code="320100")

    assert bind(nanjing, ResidentFactory(region_code="320500"), pledge)
    with pytest.raises(ApplicationError) as raised:
        bind(nanjing, ResidentFactory(region_code="210200"), pledge)
    assert raised.value.code == "region_mismatch"


def test_a_pair_can_be_bound_once_while_active(pledge):
    authorizer, parent = EmployeeFactory(), ResidentFactory()
    bind(authorizer, parent, pledge)

    with pytest.raises(ApplicationError) as raised:
        bind(authorizer, parent, pledge)

    assert raised.value.code == "already_bound"
    assert Binding.objects.count() == 1


def test_many_to_many_where_the_region_is_not_exclusive(pledge):
    father, mother = ResidentFactory(), ResidentFactory()
    son, daughter = EmployeeFactory(), EmployeeFactory()

    for authorizer in (son, daughter):
        for parent in (father, mother):
            bind(authorizer, parent, pledge)

    assert Binding.objects.filter(status=BindingStatus.ACTIVE).count() == 4


def test_an_exclusive_family_region_lets_a_person_join_one_family_only(pledge):
    RegionPolicyFactory(region_code="320000", scope="province", exclusive_family=True)
    parent = ResidentFactory(region_code="320500")
    first = bind(EmployeeFactory(region_code="320100"), parent, pledge)

    with pytest.raises(ApplicationError) as raised:
        bind(EmployeeFactory(region_code="320500"), parent, pledge)
    assert raised.value.code == "family_exclusive"

    binding_end(binding=first, ended_by=first.authorizer.person)
    assert bind(EmployeeFactory(region_code="320500"), parent, pledge).status == BindingStatus.ACTIVE


@pytest.mark.parametrize(("version", "accepted"), [(1, False), (2, True), (None, True)])
def test_the_current_pledge_must_be_accepted(pledge, version, accepted):
    with pytest.raises(ApplicationError) as raised:
        pledge_check(version=version, accepted=accepted)

    assert raised.value.code == "pledge_required"


def test_the_beneficiary_name_must_match_the_roster(db):
    parent = ResidentFactory(person=PersonFactory(name="张建国"))

    assert beneficiary_for(id_number=parent.person.id_number, name=" 张建国 ") == parent
    with pytest.raises(ApplicationError) as raised:
        beneficiary_for(id_number=parent.person.id_number, name="张建军")
    assert raised.value.code == "name_mismatch"


def test_an_unknown_person_is_not_insured(db):
    with pytest.raises(ApplicationError) as raised:
        beneficiary_for(id_number="11010519491231002X", name="无名")

    assert raised.value.code == "not_insured"


def test_either_side_may_end_a_binding_and_its_history_stays(pledge):
    binding = bind(EmployeeFactory(), ResidentFactory(), pledge)

    ended = binding_end(binding=binding, ended_by=binding.beneficiary.person)

    assert (ended.status, ended.end_reason) == (BindingStatus.ENDED, EndReason.BENEFICIARY_UNBOUND)
    assert ended.ended_at is not None
    assert Binding.objects.filter(pk=binding.pk).exists()


def test_a_stranger_cannot_end_or_pause_a_binding(pledge):
    binding = bind(EmployeeFactory(), ResidentFactory(), pledge)
    stranger = PersonFactory()

    for action in (
        lambda: binding_end(binding=binding, ended_by=stranger),
        lambda: binding_set_self_pay_paused(binding=binding, paused=True, by=stranger),
        lambda: binding_set_self_pay_paused(binding=binding, paused=True, by=binding.beneficiary.person),
    ):
        with pytest.raises(ApplicationError) as raised:
            action()
        assert raised.value.code == "binding_not_found"
    binding.refresh_from_db()
    assert (binding.status, binding.self_pay_paused) == (BindingStatus.ACTIVE, False)


def test_the_authorizer_pauses_and_resumes_self_payment(pledge):
    binding = bind(EmployeeFactory(), ResidentFactory(), pledge)

    assert binding_set_self_pay_paused(
        binding=binding, paused=True, by=binding.authorizer.person
    ).self_pay_paused
    assert not binding_set_self_pay_paused(
        binding=binding, paused=False, by=binding.authorizer.person
    ).self_pay_paused


@pytest.mark.parametrize(
    ("side", "change", "reason"),
    [
        ("authorizer", {"status": InsureeStatus.TERMINATED}, EndReason.AUTHORIZER_NOT_ACTIVE),
        ("authorizer", {"status": InsureeStatus.SUSPENDED}, EndReason.AUTHORIZER_NOT_ACTIVE),
        ("authorizer", {"region_code": "210300"}, EndReason.AUTHORIZER_MOVED),
        ("beneficiary", {"status": InsureeStatus.TERMINATED}, EndReason.BENEFICIARY_NOT_ACTIVE),
        ("beneficiary", {"region_code": "210300"}, EndReason.BENEFICIARY_MOVED),
    ],
)
def test_a_status_change_or_move_ends_every_binding_at_once(pledge, side, change, reason):
    authorizer = EmployeeFactory()
    parents = [ResidentFactory(), ResidentFactory()]
    bindings = [bind(authorizer, parent, pledge) for parent in parents]
    insuree = authorizer if side == "authorizer" else parents[0]

    insuree_change(insuree=insuree, **change)

    ended = Binding.objects.filter(status=BindingStatus.ENDED)
    expected = len(bindings) if side == "authorizer" else 1
    assert ended.count() == expected
    assert set(ended.values_list("end_reason", flat=True)) == {reason}


def test_rebinding_works_after_the_insurance_comes_back(pledge):
    authorizer, parent = EmployeeFactory(), ResidentFactory()
    bind(authorizer, parent, pledge)
    insuree_change(insuree=authorizer, status=InsureeStatus.SUSPENDED)
    insuree_change(insuree=authorizer, status=InsureeStatus.ACTIVE)

    again = bind(authorizer, parent, pledge)

    assert again.status == BindingStatus.ACTIVE
    assert Binding.objects.count() == 2


def test_a_binding_built_directly_is_valid(db):
    assert BindingFactory().status == BindingStatus.ACTIVE


def test_concurrent_binding_of_the_same_pair_yields_one_active_binding(transactional_db):
    pledge = PledgeFactory()
    authorizer, parent = EmployeeFactory(), ResidentFactory()
    outcomes: list[str] = []
    barrier = threading.Barrier(10)

    def attempt():
        barrier.wait()
        try:
            bind(authorizer, parent, pledge)
            outcomes.append("ok")
        except ApplicationError as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["already_bound"] * 9 + ["ok"]
    assert Binding.objects.filter(status=BindingStatus.ACTIVE).count() == 1
