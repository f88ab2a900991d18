"""The token's user and person come from the cache after the first call, and never outlive a change:
a deleted token, a deactivated user or an edited person is seen on the very next call."""

import pickle

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token

from accounts.authentication import token_cache_key
from tests.api.conftest import client_for
from tests.factories import EmployeeFactory


@pytest.fixture
def person(db):
    cache.clear()
    return EmployeeFactory().person


def token_of(person) -> Token:
    return Token.objects.get(user=person.user)


def test_a_second_call_reads_no_token_and_no_person(person, django_assert_num_queries):
    client = client_for(person)
    assert client.get("/api/v1/me/").status_code == 200

    # /me/ itself reads the caller's insurances and roles: 2 queries, with nothing for the sign-in.
    with django_assert_num_queries(2):
        assert client.get("/api/v1/me/").status_code == 200


def test_the_cache_holds_a_digest_of_the_token_never_the_token(person):
    client = client_for(person)
    client.get("/api/v1/me/")
    key = token_of(person).key

    assert cache.get(token_cache_key(key)) is not None
    assert key not in token_cache_key(key)


def test_a_deleted_token_is_refused_on_the_next_call(person):
    client = client_for(person)
    assert client.get("/api/v1/me/").status_code == 200

    token_of(person).delete()

    response = client.get("/api/v1/me/")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated")


def test_a_deactivated_user_is_refused_on_the_next_call(person):
    client = client_for(person)
    assert client.get("/api/v1/me/").status_code == 200

    person.user.is_active = False
    person.user.save()

    assert client.get("/api/v1/me/").status_code == 401


def test_an_edited_person_is_seen_on_the_next_call(person):
    client = client_for(person)
    assert client.get("/api/v1/me/").json()["name"] == person.name

    person.name = "张新名"
    person.save()

    assert client.get("/api/v1/me/").json()["name"] == "张新名"


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
    token_of(person).delete()  # the signal cannot reach the cache either; the delete stands
    assert client.get("/api/v1/me/").status_code == 401


def test_an_entry_cached_while_the_change_was_uncommitted_goes_at_the_commit(
    person, django_capture_on_commit_callbacks
):
    client = client_for(person)
    client.get("/api/v1/me/")
    key = token_cache_key(token_of(person).key)
    stale = cache.get(key)

    with django_capture_on_commit_callbacks(execute=True):
        person.user.is_active = False
        person.user.save()
        cache.set(key, stale)  # a request that read the row before the commit caches it again

    assert cache.get(key) is None
    assert client.get("/api/v1/me/").status_code == 401
