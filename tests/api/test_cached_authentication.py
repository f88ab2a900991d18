"""The token's user and person come from the cache after the first call, and never outlive a change:
a deleted or moved token, a changed or deleted user, an edited or deleted person is seen on the very
next call. There are no signals: each way of making such a change (a service, an admin page) drops the
entries itself, and each has its test here."""

import pickle

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.authentication import token_cache_key
from accounts.services import staff_user_create, tokens_delete
from tests.api.conftest import client_for
from tests.factories import EmployeeFactory, PersonFactory, user_for

ME = "/api/v1/me/"


@pytest.fixture
def person(db):
    cache.clear()
    return EmployeeFactory().person


def token_of(person) -> Token:
    return Token.objects.get(user=person.user)


def signed_in(person):
    """A client whose token, user and person are in the cache."""
    client = client_for(person)
    assert client.get(ME).status_code == 200
    assert cache.get(token_cache_key(token_of(person).key)) is not None
    return client


def refused(response) -> bool:
    return (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated")


def admin_user_form(user, **changes) -> dict:
    """What the admin's user change page posts, as the page shows the user (active unless changed)."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "08:00:00",
        **changes,
    }
    return {name: value for name, value in data.items() if value is not None}


def test_a_second_call_reads_no_token_and_no_person(person, django_assert_num_queries):
    client = client_for(person)
    assert client.get("/api/v1/me/").status_code == 200

    # /me/ itself reads the caller's insurances, roles and holds: 3 queries, nothing for the sign-in.
    with django_assert_num_queries(3):
        assert client.get("/api/v1/me/").status_code == 200


def test_the_cache_holds_a_digest_of_the_token_never_the_token(person):
    client = client_for(person)
    client.get("/api/v1/me/")
    key = token_of(person).key

    assert cache.get(token_cache_key(key)) is not None
    assert key not in token_cache_key(key)


# --- tokens ------------------------------------------------------------------------------------------


def test_a_revoked_token_is_refused_on_the_next_call(person):
    client = signed_in(person)

    assert tokens_delete(keys=[token_of(person).key]) == 1

    assert refused(client.get(ME))


def test_a_token_deleted_in_the_admin_is_refused_on_the_next_call(person, admin_client):
    client = signed_in(person)

    response = admin_client.post(f"/admin/authtoken/tokenproxy/{person.user.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Token.objects.filter(user=person.user).exists()
    assert refused(client.get(ME))


def test_a_token_moved_to_another_user_in_the_admin_signs_in_that_user(person, admin_client):
    client = signed_in(person)
    other = PersonFactory(name="李新")
    user_for(other)

    response = admin_client.post(
        f"/admin/authtoken/tokenproxy/{person.user.pk}/change/", {"user": other.user.pk}
    )

    assert response.status_code == 302
    assert client.get(ME).json()["name"] == "李新"


# --- users -------------------------------------------------------------------------------------------


def test_a_user_deactivated_in_the_admin_is_refused_on_the_next_call(person, admin_client):
    client = signed_in(person)

    response = admin_client.post(
        f"/admin/auth/user/{person.user.pk}/change/", admin_user_form(person.user, is_active=None)
    )

    assert response.status_code == 302
    person.user.refresh_from_db()
    assert not person.user.is_active
    assert client.get(ME).status_code == 401


def test_a_user_deleted_in_the_admin_is_refused_on_the_next_call(person, admin_client):
    client = signed_in(person)

    response = admin_client.post(f"/admin/auth/user/{person.user.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert refused(client.get(ME))
    person.refresh_from_db()
    assert person.user is None  # the person stays on the roster, without a login


def test_users_deleted_from_the_admin_list_are_refused_on_the_next_call(person, admin_client):
    client = signed_in(person)
    second = EmployeeFactory().person
    second_client = signed_in(second)

    response = admin_client.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [person.user.pk, second.user.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert refused(client.get(ME))
    assert refused(second_client.get(ME))


def test_a_staff_login_given_another_role_is_read_afresh(db):
    clerk = staff_user_create(username="clerk", role="counter_staff", password="Gongji-test-2026")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=clerk).key}")
    assert client.get(ME).status_code == 200
    key = token_cache_key(Token.objects.get(user=clerk).key)
    assert cache.get(key).is_staff is False

    staff_user_create(username="clerk", role="auditor", password="Gongji-test-2026")

    assert cache.get(key) is None
    assert client.get(ME).json()["roles"] == ["auditor", "counter_staff"]
    assert cache.get(key).is_staff is True


# --- persons -----------------------------------------------------------------------------------------


def test_a_person_edited_in_the_admin_is_seen_on_the_next_call(person, admin_client):
    client = signed_in(person)

    response = admin_client.post(
        f"/admin/insurees/person/{person.pk}/change/",
        {"name": "张新名", "phone": person.phone, "email": person.email},
    )

    assert response.status_code == 302
    assert client.get(ME).json()["name"] == "张新名"


def test_a_person_deleted_in_the_admin_is_gone_on_the_next_call(admin_client, db):
    person = PersonFactory()  # on no scheme yet, so nothing protects it
    client = signed_in(person)

    response = admin_client.post(f"/admin/insurees/person/{person.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert client.get(ME).json()["id_number_masked"] is None  # the login is left, without a person


def test_persons_deleted_from_the_admin_list_are_gone_on_the_next_call(admin_client, db):
    first, second = PersonFactory(), PersonFactory()
    clients = [signed_in(first), signed_in(second)]

    response = admin_client.post(
        "/admin/insurees/person/",
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert [client.get(ME).json()["id_number_masked"] for client in clients] == [None, None]


# --- the cache itself ---------------------------------------------------------------------------------


def test_an_unknown_token_is_refused_and_nothing_is_cached_for_it(person):
    client = client_for(person)
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert cache.get(token_cache_key("0" * 40)) is None


def test_the_cache_holds_no_password_hash_and_saving_the_cached_user_keeps_the_password(person):
    client = client_for(person)
    client.get("/api/v1/me/")
    user = person.user
    user.refresh_from_db()
    stored_hash = user.password

    cached = cache.get(token_cache_key(token_of(person).key))

    assert "password" in cached.get_deferred_fields()
    assert stored_hash.encode() not in pickle.dumps(cached)
    cached.first_name = "新"
    cached.save()
    user.refresh_from_db()
    assert (user.first_name, user.password) == ("新", stored_hash)


def test_with_the_cache_away_sign_in_reads_the_database(person, monkeypatch):
    client = client_for(person)

    def away(*args, **kwargs):
        raise ConnectionError("redis is away")

    for method in ("get", "set", "delete_many"):
        monkeypatch.setattr(cache, method, away)

    assert client.get("/api/v1/me/").status_code == 200
    tokens_delete(keys=[token_of(person).key])  # the cache cannot be told either; the delete stands
    assert client.get("/api/v1/me/").status_code == 401


def test_an_entry_cached_while_the_change_was_uncommitted_goes_at_the_commit(
    person, django_capture_on_commit_callbacks
):
    client = client_for(person)
    client.get("/api/v1/me/")
    key = token_cache_key(token_of(person).key)
    stale = cache.get(key)

    with django_capture_on_commit_callbacks(execute=True):
        tokens_delete(keys=[token_of(person).key])
        cache.set(key, stale)  # a request that read the row before the commit caches it again

    assert cache.get(key) is None
    assert client.get("/api/v1/me/").status_code == 401
