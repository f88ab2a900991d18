"""A terminal's institution is kept with its token's user in the sign-in cache: its calls after the
first ask the database nothing about who it is, and a change of the register or of the terminal is
seen on the very next call."""

import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.authentication import token_cache_key
from accounts.services import terminal_user_create
from medical.models import InstitutionTerminal
from medical.services.institutions import institution_terminal_create, institutions_file_import

PASSWORD = "a-long-terminal-password"


def register(code: str = "P1", *, name: str = "滨海药房", status: str = "active") -> None:
    report = institutions_file_import(
        file=io.StringIO(f"code,name,kind,region_code,status\n{code},{name},pharmacy,210200,{status}\n")
    )
    assert not report.bad, report.bad


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def statement(client):
    return client.get(f"/api/v1/institution/statements/{timezone.localdate().isoformat()}/")


@pytest.fixture
def terminal(db):
    cache.clear()
    register()
    return institution_terminal_create(institution_code="P1", username="terminal-p1", password=PASSWORD)


def test_a_terminals_second_call_does_not_ask_who_it_is(terminal):
    client = token_client(terminal.user)
    assert statement(client).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        assert statement(client).status_code == 200

    asked = [q["sql"] for q in queries if InstitutionTerminal._meta.db_table in q["sql"]]
    assert asked == []


def test_the_register_changing_the_institution_drops_its_terminals_sign_in(terminal):
    client = token_client(terminal.user)
    assert statement(client).status_code == 200
    cache_key = token_cache_key(Token.objects.get(user=terminal.user).key)
    assert cache.get(cache_key).__dict__["_medical_terminal"].institution.name == "滨海药房"

    register(name="滨海大药房", status="inactive")

    assert cache.get(cache_key) is None
    assert statement(client).status_code == 200
    assert cache.get(cache_key).__dict__["_medical_terminal"].institution.status == "inactive"


def test_the_register_unchanged_keeps_the_sign_in(terminal):
    client = token_client(terminal.user)
    assert statement(client).status_code == 200

    register()

    assert cache.get(token_cache_key(Token.objects.get(user=terminal.user).key)) is not None


def test_a_login_made_a_terminal_is_one_on_the_next_call(db):
    cache.clear()
    register()
    user = terminal_user_create(username="terminal-new", password=PASSWORD)
    client = token_client(user)
    assert statement(client).status_code == 403  # a login of the group, no terminal yet: cached so

    institution_terminal_create(institution_code="P1", username="terminal-new", password=PASSWORD)

    assert statement(client).status_code == 200
