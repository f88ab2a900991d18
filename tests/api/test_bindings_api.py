import pytest

from mutual_aid.models import Binding, BindingStatus
from tests.api.conftest import client_for
from tests.factories import EmployeeFactory, PersonFactory, ResidentFactory


def code_of(response):
    return response.json()["error"]["code"]


def bind_body(beneficiary, pledge, **changes):
    return {
        "beneficiary_id_number": beneficiary.person.id_number,
        "beneficiary_name": beneficiary.person.name,
        "relation": "parent",
        "pledge_version": pledge.version,
        "pledge_accepted": True,
        **changes,
    }


def test_the_pledge_is_served_in_the_request_language(as_authorizer, pledge):
    assert as_authorizer.get("/api/v1/pledge/").json()["text"] == pledge.text_zh
    assert as_authorizer.get("/api/v1/pledge/", HTTP_ACCEPT_LANGUAGE="en").json()["text"] == pledge.text_en


def test_an_authorizer_binds_a_parent(as_authorizer, authorizer, pledge):
    parent = ResidentFactory()

    response = as_authorizer.post("/api/v1/bindings/", bind_body(parent, pledge), format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["relation"], body["status"]) == ("parent", "active")
    assert body["beneficiary"]["id_number_masked"].count("*") == 10
    assert parent.person.id_number not in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"relation": "cousin"}, 422, "relation_not_allowed"),
        ({"pledge_accepted": False}, 422, "pledge_required"),
        ({"pledge_version": 99}, 422, "pledge_required"),
        ({"beneficiary_name": "别人"}, 422, "name_mismatch"),
        ({"beneficiary_id_number": "210202197805120233"}, 400, "invalid_id_number"),
        ({"beneficiary_id_number": "11010519491231002X"}, 422, "not_insured"),
        ({"relation": 5}, 422, "relation_not_allowed"),
        ({"pledge_accepted": "maybe"}, 400, "invalid_input"),
        # A pledge is signed with JSON's true alone, never guessed from a string or a number.
        ({"pledge_accepted": "yes"}, 400, "invalid_input"),
        ({"pledge_accepted": "true"}, 400, "invalid_input"),
        ({"pledge_accepted": 1}, 400, "invalid_input"),
        ({"beneficiary_name": "x" * 10_000}, 400, "invalid_input"),
    ],
)
def test_binding_refusals_answer_in_the_error_shape_and_bind_nothing(
    as_authorizer, pledge, changes, status, code
):
    response = as_authorizer.post(
        "/api/v1/bindings/", bind_body(ResidentFactory(), pledge, **changes), format="json"
    )

    assert (response.status_code, code_of(response)) == (status, code)
    assert set(response.json()["error"]) >= {"code", "message"}
    assert not Binding.objects.exists()


def test_binding_an_already_bound_relative_is_a_conflict(as_authorizer, binding, pledge):
    response = as_authorizer.post("/api/v1/bindings/", bind_body(binding.beneficiary, pledge), format="json")

    assert (response.status_code, code_of(response)) == (409, "already_bound")


def test_a_resident_without_employee_insurance_cannot_bind(pledge):
    resident = ResidentFactory()

    response = client_for(resident.person).post(
        "/api/v1/bindings/", bind_body(ResidentFactory(), pledge), format="json"
    )

    assert (response.status_code, code_of(response)) == (422, "wrong_scheme")


def test_both_sides_see_the_binding_and_strangers_do_not(as_authorizer, as_beneficiary, binding):
    stranger = client_for(EmployeeFactory().person)

    assert [b["id"] for b in as_authorizer.get("/api/v1/bindings/").json()] == [binding.pk]
    assert [b["id"] for b in as_beneficiary.get("/api/v1/bindings/").json()] == [binding.pk]
    assert stranger.get("/api/v1/bindings/").json() == []
    for method in ("get", "delete"):
        response = getattr(stranger, method)(f"/api/v1/bindings/{binding.pk}/")
        assert (response.status_code, code_of(response)) == (404, "binding_not_found")
    response = stranger.patch(f"/api/v1/bindings/{binding.pk}/", {"self_pay_paused": True}, format="json")
    assert response.status_code == 404
    binding.refresh_from_db()
    assert (binding.status, binding.self_pay_paused) == (BindingStatus.ACTIVE, False)


def test_the_authorizer_pauses_self_payment_and_the_beneficiary_cannot(
    as_authorizer, as_beneficiary, binding
):
    refused = as_beneficiary.patch(
        f"/api/v1/bindings/{binding.pk}/", {"self_pay_paused": True}, format="json"
    )
    paused = as_authorizer.patch(f"/api/v1/bindings/{binding.pk}/", {"self_pay_paused": True}, format="json")

    assert refused.status_code == 404
    assert (paused.status_code, paused.json()["self_pay_paused"]) == (200, True)


def test_either_side_ends_the_binding(as_beneficiary, binding):
    response = as_beneficiary.delete(f"/api/v1/bindings/{binding.pk}/")

    assert response.status_code == 204
    binding.refresh_from_db()
    assert (binding.status, binding.end_reason) == ("ended", "beneficiary_unbound")
    assert as_beneficiary.delete(f"/api/v1/bindings/{binding.pk}/").status_code == 404


def test_staff_without_a_person_are_refused_the_insuree_endpoints(api_client, db):
    from tests.factories import UserFactory

    api_client.force_authenticate(UserFactory(username="clerk"))

    response = api_client.get("/api/v1/bindings/")

    assert (response.status_code, code_of(response)) == (403, "permission_denied")


def test_a_person_without_any_insurance_is_not_insured(pledge):
    response = client_for(PersonFactory()).post(
        "/api/v1/bindings/", bind_body(ResidentFactory(), pledge), format="json"
    )

    assert (response.status_code, code_of(response)) == (422, "not_insured")
