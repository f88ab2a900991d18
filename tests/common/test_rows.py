"""The hand-written lookups on every request (common/rows.py) build the instances the ORM builds:
same values, same types, same relations."""

import pytest
from django.forms.models import model_to_dict
from rest_framework.authtoken.models import Token

from accounts.authentication import _user_of_token
from insurees.models import Insuree, Person, Scheme
from insurees.selectors import insuree_get_by_id_number
from mutual_aid.selectors import authorizer_for
from tests.factories import EmployeeFactory, ResidentFactory, UserFactory, user_for


def fields_of(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def assert_same(built, loaded) -> None:
    assert type(built) is type(loaded)
    assert fields_of(built) == fields_of(loaded)
    assert {k: type(v) for k, v in fields_of(built).items()} == {
        k: type(v) for k, v in fields_of(loaded).items()
    }


@pytest.mark.parametrize("make", [EmployeeFactory, ResidentFactory])
def test_an_insuree_by_id_number_comes_as_the_orm_loads_it(db, make):
    insuree = make()

    found = insuree_get_by_id_number(id_number=insuree.person.id_number, scheme=insuree.scheme)

    assert_same(found, Insuree.objects.get(pk=insuree.pk))
    assert_same(found.person, Person.objects.get(pk=insuree.person_id))


def test_the_authorizer_comes_with_his_person_and_nothing_else_is_read(db, django_assert_num_queries):
    employee = EmployeeFactory()
    person = Person.objects.get(pk=employee.person_id)

    with django_assert_num_queries(1):
        found = authorizer_for(person=person)
        assert found.person is person

    assert_same(found, Insuree.objects.get(pk=employee.pk))
    assert found.scheme == Scheme.EMPLOYEE


def test_a_tokens_user_comes_with_his_person(db, django_assert_num_queries):
    person = EmployeeFactory().person
    user = user_for(person)
    token = Token.objects.create(user=user)

    with django_assert_num_queries(1):
        found = _user_of_token(token.key)
        assert found.person.user is found

    assert_same(found, type(user).objects.get(pk=user.pk))
    assert_same(found.person, Person.objects.get(pk=person.pk))
    assert model_to_dict(found) == model_to_dict(type(user).objects.get(pk=user.pk))


def test_a_staff_tokens_user_has_no_person_and_an_unknown_token_has_no_user(db, django_assert_num_queries):
    staff = UserFactory()
    token = Token.objects.create(user=staff)

    # The user with his person, then (medical's sign-in loader) whether a login without one is a terminal.
    with django_assert_num_queries(2):
        found = _user_of_token(token.key)
        assert getattr(found, "person", None) is None
        assert found.__dict__["_medical_terminal"] is None

    assert_same(found, type(staff).objects.get(pk=staff.pk))
    assert _user_of_token("0" * 40) is None
