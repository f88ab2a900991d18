"""handler500 renders without the database: a lost database is a 503 with Retry-After, a bug is a 500,
and neither ever shows a traceback."""

import psycopg
import pytest
from django.db import OperationalError
from django.test import RequestFactory

from common.views import server_error


def _answer(path: str, error: Exception):
    request = RequestFactory().get(path)
    try:
        raise error
    except Exception:
        return server_error(request)


def deadlock_victim() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    return error


def lost_connection() -> OperationalError:
    error = OperationalError("server closed the connection unexpectedly")
    error.__cause__ = psycopg.OperationalError("server closed the connection unexpectedly")
    return error


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (lost_connection(), 503),
        (deadlock_victim(), 503),
        (OperationalError("relation payments_payment does not exist"), 500),
        (ValueError("a bug"), 500),
    ],
)
def test_a_page_gets_a_plain_error_page(error, status):
    response = _answer("/records/", error)

    assert response.status_code == status
    assert "<h1>" in response.content.decode()
    assert str(error) not in response.content.decode()
    assert ("Retry-After" in response) == (status == 503)


def test_the_api_gets_its_error_shape():
    unavailable = _answer("/api/v1/me/", lost_connection())
    broken = _answer("/api/v1/me/", OperationalError("no such column: x"))

    assert (unavailable.status_code, unavailable["Retry-After"]) == (503, "5")
    assert b'"service_unavailable"' in unavailable.content
    assert broken.status_code == 500
    assert b'"server_error"' in broken.content
    assert b"no such column" not in broken.content


@pytest.mark.django_db
def test_an_unknown_page_gets_the_portals_404_in_chinese(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
    assert 'href="/login/"' in response.content.decode()


@pytest.mark.django_db
def test_a_refused_page_gets_the_portals_403_with_its_reason(client, django_user_model):
    user = django_user_model.objects.create_user(username="plain-staff", password="x-Gongji-2026")
    client.force_login(user)

    response = client.get("/staff/review/")

    assert response.status_code == 403
    assert "您的账号不能使用此页面" in response.content.decode()
    assert "403 Forbidden" not in response.content.decode()
