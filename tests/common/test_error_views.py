"""handler500 renders without the database: a lost database is a 503 with Retry-After, never a traceback."""

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


@pytest.mark.parametrize(
    ("path", "error", "status"),
    [
        ("/records/", OperationalError("server closed the connection"), 503),
        ("/records/", ValueError("a bug"), 500),
    ],
)
def test_a_page_gets_a_plain_error_page(path, error, status):
    response = _answer(path, error)

    assert response.status_code == status
    assert "<h1>" in response.content.decode()
    assert str(error) not in response.content.decode()
    assert ("Retry-After" in response) == (status == 503)


def test_the_api_gets_its_error_shape():
    unavailable = _answer("/api/v1/me/", OperationalError("the database system is shutting down"))
    broken = _answer("/api/v1/me/", ValueError("a bug"))

    assert (unavailable.status_code, unavailable["Retry-After"]) == (503, "5")
    assert b'"service_unavailable"' in unavailable.content
    assert broken.status_code == 500
    assert b'"server_error"' in broken.content
    assert b"a bug" not in broken.content
