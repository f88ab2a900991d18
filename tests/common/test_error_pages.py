"""The 403 and 404 pages are the portal's own, in the reader's language, with a way back; a 403 says
the reason a view gave; the API keeps its error shape; and the tests see what production shows
(DEBUG off)."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory, override_settings
from django.urls import include, path

from common.views import page_not_found
from tests.factories import EmployeeFactory, user_for


def _refuses_with_a_reason(request):
    raise PermissionDenied("This page is for auditors only.")


def _refuses(request):
    raise PermissionDenied


urlpatterns = [
    path("refused-with-reason/", _refuses_with_a_reason),
    path("refused/", _refuses),
    path("api/v1/refused/", _refuses),
    path("", include("config.urls")),
]
handler403 = "common.views.permission_denied"
handler404 = "common.views.page_not_found"


def test_the_tests_run_with_debug_off():
    assert settings.DEBUG is False


@pytest.mark.django_db
def test_an_unknown_page_is_the_portals_404_in_chinese_with_a_way_back(client):
    response = client.get("/no-such-page/")

    html = response.content.decode()
    assert response.status_code == 404
    assert '<header class="top">' in html
    assert "页面不存在" in html
    assert 'href="/login/"' in html  # the way back of one signed out
    assert "Page not found" not in html
    assert "urlpatterns" not in html  # the resolver's message stays out
    assert "config.urls" not in html


@pytest.mark.django_db
def test_the_404_is_in_english_for_an_english_reader_signed_in(client):
    client.force_login(user_for(EmployeeFactory().person))
    client.cookies["django_language"] = "en"

    response = client.get("/no-such-page/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html
    assert 'lang="en"' in html
    assert '<a class="btn" href="/">Go to my pages</a>' in html  # signed in: his own pages
    assert 'href="/login/"' not in html


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_403_shows_the_reason_the_view_gave(client):
    response = client.get("/refused-with-reason/")

    assert response.status_code == 403
    assert "This page is for auditors only." in response.content.decode()
    assert "您的账号不能使用此页面" in response.content.decode()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_403_without_a_reason_shows_a_plain_one(client):
    response = client.get("/refused/")

    assert response.status_code == 403
    assert "您的账号无权打开此页面。" in response.content.decode()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_the_api_keeps_its_error_shape_for_403_and_404(client):
    refused = client.get("/api/v1/refused/")

    assert refused.status_code == 403
    assert refused.json() == {"error": {"code": "permission_denied", "message": "您无权进行此操作。"}}
    assert page_not_found(RequestFactory().get("/api/v1/nothing/")).status_code == 404
    assert b'"not_found"' in page_not_found(RequestFactory().get("/api/v1/nothing/")).content


def test_the_real_urlconf_uses_these_handlers():
    from config import urls

    assert urls.handler403 == "common.views.permission_denied"
    assert urls.handler404 == "common.views.page_not_found"


@pytest.mark.django_db
def test_an_unknown_api_path_is_still_json(client):
    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
