"""The settlement selectors the pages and the REST API read: each side's, and an institution's day."""

import datetime

import pytest
from django.utils import timezone

from medical.settlement_selectors import (
    settlement_get_for_institution,
    settlement_list_for_beneficiary,
    settlement_list_for_binding,
    settlement_list_for_institution_day,
    settlement_list_for_person,
)
from tests.factories import BindingFactory, EmployeeFactory, ResidentFactory
from tests.pages.cashiers import allowance, institution, settle, terminal_user


@pytest.fixture
def world(db):
    """A son and a daughter each with an allowance for the same father; a stranger family apart."""
    father = ResidentFactory()
    son = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000), beneficiary=father)
    daughter = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000), beneficiary=father)
    stranger = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000), beneficiary=ResidentFactory())
    allowance(son, 30_000)
    allowance(daughter, 10_000)
    allowance(stranger, 10_000)
    pharmacy = terminal_user(institution("PH0001", "康民大药房"), "kangmin")
    hospital = terminal_user(institution("HO0001", "中心医院", kind="hospital"), "zhongxin")
    return son, daughter, stranger, pharmacy, hospital


def test_each_side_reads_its_own_settlements_newest_first(world):
    son, daughter, stranger, pharmacy, hospital = world
    first = settle(pharmacy, son.beneficiary, 25_000)  # the son's: 300 left against 100
    second = settle(hospital, son.beneficiary, 8_000)  # the daughter's now: 100 left against 50
    theirs = settle(pharmacy, stranger.beneficiary, 1_000)
    assert (first.allowance.binding_id, second.allowance.binding_id) == (son.pk, daughter.pk)

    assert list(settlement_list_for_person(person=son.beneficiary.person)) == [second, first]
    assert list(settlement_list_for_person(person=son.authorizer.person)) == [first]
    assert list(settlement_list_for_person(person=daughter.authorizer.person)) == [second]
    assert list(settlement_list_for_person(person=stranger.authorizer.person)) == [theirs]
    assert list(settlement_list_for_beneficiary(person=son.beneficiary.person)) == [second, first]
    assert list(settlement_list_for_beneficiary(person=son.authorizer.person)) == []
    assert list(settlement_list_for_binding(authorizer=son.authorizer.person, binding_id=son.pk)) == [first]
    assert list(settlement_list_for_binding(authorizer=son.authorizer.person, binding_id=daughter.pk)) == []


def test_a_list_reads_institution_and_both_sides_in_one_query(world, django_assert_num_queries):
    son, _daughter, _stranger, pharmacy, hospital = world
    for terminal in (pharmacy, hospital, pharmacy):
        settle(terminal, son.beneficiary, 1_000)

    with django_assert_num_queries(1):
        shown = [
            (s.institution.name, s.authorizer.person.name, s.beneficiary.person.name)
            for s in settlement_list_for_person(person=son.beneficiary.person)
        ]

    assert len(shown) == 3


def test_an_institutions_day_holds_its_own_settlements_of_that_day(world):
    son, _daughter, stranger, pharmacy, hospital = world
    today = timezone.localdate()
    mine = [settle(pharmacy, son.beneficiary, 1_000), settle(pharmacy, stranger.beneficiary, 2_000)]
    settle(hospital, son.beneficiary, 3_000)
    place = pharmacy.terminal.institution

    assert list(settlement_list_for_institution_day(institution=place, date=today)) == mine[::-1]
    yesterday = today - datetime.timedelta(days=1)
    assert list(settlement_list_for_institution_day(institution=place, date=yesterday)) == []
    assert settlement_get_for_institution(institution=place, settlement_id=mine[0].settlement_id) == mine[0]
    other = hospital.terminal.institution
    assert settlement_get_for_institution(institution=other, settlement_id=mine[0].settlement_id) is None
