"""An ID number typed as people type it (spaces or hyphens between the groups, full-width digits, a
lower-case x) is taken as the plain number by every form and serializer, and a wrong one is still
refused with the reason."""

import pytest
from django.urls import reverse
from rest_framework import serializers

from accounts.forms import LoginForm, RegisterForm
from common.api_fields import IdNumberField
from common.forms import IdNumberFormField
from tests.api.conftest import client_for
from tests.factories import EmployeeFactory, PledgeFactory, ResidentFactory

PLAIN = "11010519491231002X"
TYPED = [
    "11010519491231002x",
    "110105 19491231 002X",
    "110105-19491231-002x",
    "１１０１０５１９４９１２３１００２Ｘ",
    "１１０１０５\u3000１９４９１２３１\u3000００２ｘ",
    " 1101 0519 4912 3100 2X ",
]


def full_width(number: str) -> str:
    return "".join(chr(0xFF10 + int(c)) if c.isdigit() else "Ｘ" for c in number)


@pytest.mark.parametrize("typed", TYPED)
def test_the_form_field_cleans_a_typed_number_to_the_plain_one(typed):
    assert IdNumberFormField().clean(typed) == PLAIN


@pytest.mark.parametrize("typed", TYPED)
def test_the_serializer_field_takes_a_typed_number_as_the_plain_one(typed):
    assert IdNumberField().run_validation(typed) == PLAIN


@pytest.mark.parametrize(
    "wrong", ["110105 19491231 0021", "１１０１０５１９４９１２３１００２", "110105.19491231.002X"]
)
def test_a_wrong_number_is_refused_however_it_is_typed(wrong):
    form = RegisterForm({"id_number": wrong, "name": "张三", "phone": "13900000000", "password": "a"})

    assert not form.is_valid()
    assert form.errors["id_number"]
    with pytest.raises(serializers.ValidationError) as raised:
        IdNumberField().run_validation(wrong)
    assert raised.value.get_codes() == ["invalid_id_number"]


def test_the_box_leaves_room_for_separators_but_the_number_must_have_18_characters():
    field = IdNumberFormField()

    assert field.widget_attrs(field.widget)["maxlength"] == "32"
    with pytest.raises(serializers.ValidationError):
        IdNumberField().run_validation(PLAIN + "0")


def test_sign_in_takes_a_typed_number_and_leaves_a_username_alone():
    def cleaned(identifier):
        form = LoginForm({"identifier": identifier, "password": "x"})
        assert form.is_valid(), form.errors
        return form.cleaned_data["identifier"]

    assert cleaned("110105 1949 1231 002x") == PLAIN
    assert cleaned(" clerk-01 ") == "clerk-01"


@pytest.mark.django_db
def test_registering_on_the_page_with_a_full_width_number_finds_the_person(client):
    person = ResidentFactory().person

    response = client.post(
        reverse("register"),
        {
            "id_number": full_width(person.id_number),
            "name": person.name,
            "phone": "13900000001",
            "password": "Gongji-test-2026",
            "password_again": "Gongji-test-2026",
        },
    )

    assert response.status_code == 302, response.content.decode()[:500]
    person.refresh_from_db()
    assert person.user.username == person.id_number


@pytest.mark.django_db
def test_binding_through_the_api_with_a_spaced_number_binds_the_relative():
    authorizer, relative, pledge = EmployeeFactory(), ResidentFactory(), PledgeFactory()
    number = relative.person.id_number
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}"

    response = client_for(authorizer.person).post(
        "/api/v1/bindings/",
        {
            "beneficiary_id_number": spaced,
            "beneficiary_name": relative.person.name,
            "relation": "parent",
            "pledge_version": pledge.version,
            "pledge_accepted": True,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert relative.bindings_received.count() == 1
