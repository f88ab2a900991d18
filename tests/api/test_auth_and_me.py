import datetime

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.models import LoginFailure
from accounts.services import LOCKOUT, MAX_FAILURES, login_lockout_clear
from tests.factories import EmployeeFactory, PersonFactory, ResidentFactory, UserFactory

PASSWORD = "Gongji-test-2026"


def error_code(response):
    return response.json()["error"]["code"]


def test_registration_checks_the_real_name_against_the_roster(api_client, db):
    person = EmployeeFactory().person
    body = {"id_number": person.id_number, "name": person.name, "phone": "13904110000", "password": PASSWORD}

    wrong_name = api_client.post("/api/v1/auth/register/", {**body, "name": "冒名"}, format="json")
    assert (wrong_name.status_code, error_code(wrong_name)) == (422, "not_insured")
    assert not User.objects.exists()

    registered = api_client.post("/api/v1/auth/register/", body, format="json")
    assert registered.status_code == 201
    assert registered.json()["id_number_masked"] == person.id_number[:4] + "*" * 10 + person.id_number[-4:]
    person.refresh_from_db()
    assert person.user.username == person.id_number

    again = api_client.post("/api/v1/auth/register/", body, format="json")
    assert (again.status_code, error_code(again)) == (400, "invalid_input")


def test_registration_refuses_a_weak_password_and_creates_nothing(api_client, db):
    person = ResidentFactory().person
    body = {"id_number": person.id_number, "name": person.name, "phone": "13904110000", "password": "123"}

    response = api_client.post("/api/v1/auth/register/", body, format="json")

    assert (response.status_code, error_code(response), response.json()["error"]["field"]) == (
        400,
        "invalid_input",
        "password",
    )
    assert not User.objects.exists()


def test_an_invalid_id_number_is_refused_with_its_own_code(api_client, db):
    body = {"id_number": "210202197805120233", "name": "张伟", "phone": "13904110000", "password": PASSWORD}

    response = api_client.post("/api/v1/auth/register/", body, format="json")

    assert (response.status_code, error_code(response)) == (400, "invalid_id_number")
    assert response.json()["error"]["field"] == "id_number"


def test_token_login_for_insurees_and_staff(api_client, db):
    person = PersonFactory()
    UserFactory(username=person.id_number)
    UserFactory(username="counter1")

    insuree = api_client.post("/api/v1/auth/token/", {"id_number": person.id_number, "password": PASSWORD})
    staff = api_client.post("/api/v1/auth/token/", {"username": "counter1", "password": PASSWORD})

    assert insuree.status_code == staff.status_code == 200
    assert insuree.json()["token"] != staff.json()["token"]


def test_repeated_failures_lock_the_id_number_until_an_admin_clears_it(api_client, db):
    person = PersonFactory()
    UserFactory(username=person.id_number)
    for _ in range(MAX_FAILURES):
        failed = api_client.post("/api/v1/auth/token/", {"id_number": person.id_number, "password": "wrong"})
        assert (failed.status_code, error_code(failed)) == (401, "not_authenticated")

    locked = api_client.post("/api/v1/auth/token/", {"id_number": person.id_number, "password": PASSWORD})
    assert (locked.status_code, error_code(locked)) == (429, "rate_limited")
    assert 14 * 60 < int(locked["Retry-After"]) <= LOCKOUT.total_seconds()

    login_lockout_clear(identifier=person.id_number)
    assert (
        api_client.post(
            "/api/v1/auth/token/", {"id_number": person.id_number, "password": PASSWORD}
        ).status_code
        == 200
    )
    assert not LoginFailure.objects.exists()


@pytest.fixture
def three_sign_ins_a_minute(settings):
    from rest_framework.throttling import SimpleRateThrottle

    # DRF reads the rates into a class attribute at import: set it, and put the original back after.
    original = SimpleRateThrottle.THROTTLE_RATES
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login_ip": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    SimpleRateThrottle.THROTTLE_RATES = rates
    yield settings
    SimpleRateThrottle.THROTTLE_RATES = original


def sign_ins(client, forwarded_for=lambda i: None) -> list[int]:
    codes = []
    for i in range(5):
        headers = {"HTTP_X_FORWARDED_FOR": forwarded_for(i)} if forwarded_for(i) else {}
        response = client.post("/api/v1/auth/token/", {"username": f"u{i}", "password": "x"}, **headers)
        codes.append(response.status_code)
    return codes


def test_login_is_throttled_per_address(api_client, db, three_sign_ins_a_minute):
    assert sign_ins(api_client) == [401, 401, 401, 429, 429]


def test_an_address_a_client_writes_in_x_forwarded_for_is_not_the_one_counted(
    api_client, db, three_sign_ins_a_minute
):
    assert sign_ins(api_client, lambda i: f"10.0.{i}.1") == [401, 401, 401, 429, 429]


def test_behind_a_proxy_the_address_it_appended_is_counted(api_client, db, three_sign_ins_a_minute):
    """nginx appends the client's address to whatever the client wrote: with NUM_PROXIES=1 that last
    one is counted, so a made-up prefix changes nothing, and two clients behind the proxy are two."""
    settings = three_sign_ins_a_minute
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    assert sign_ins(api_client, lambda i: f"10.0.{i}.1, 203.0.113.7") == [401, 401, 401, 429, 429]
    assert sign_ins(api_client, lambda i: "198.51.100.9")[0] == 401


def test_me_shows_masked_id_and_the_balance_only_for_the_employee_scheme(as_authorizer, authorizer):
    ResidentFactory(person=authorizer.person, region_code="210200")

    body = as_authorizer.get("/api/v1/me/").json()

    assert body["id_number_masked"].count("*") == 10
    assert authorizer.person.id_number not in str(body)
    by_scheme = {i["scheme"]: i for i in body["insurances"]}
    assert by_scheme["employee"]["balance"] == "1000.00"
    assert "balance" not in by_scheme["resident"]
    assert body["roles"] == ["insuree"]


@pytest.mark.parametrize(
    "path", ["/api/v1/me/", "/api/v1/bindings/", "/api/v1/payments/", "/api/v1/expenditures/"]
)
def test_anonymous_callers_are_refused(api_client, db, path):
    response = api_client.get(path)

    assert (response.status_code, error_code(response)) == (401, "not_authenticated")


def test_messages_follow_the_request_language(api_client, db):
    chinese = api_client.get("/api/v1/me/")
    english = api_client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")

    assert english.json()["error"]["message"] == "Please sign in first."
    assert chinese.json()["error"]["message"] != english.json()["error"]["message"]


def test_a_format_parameter_is_an_ordinary_unknown_parameter(as_authorizer):
    """The API speaks JSON only: `?format=` neither switches the renderer nor answers 404."""
    response = as_authorizer.get("/api/v1/me/?format=xml")

    assert (response.status_code, response["Content-Type"]) == (200, "application/json")


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "text/html,*/*;q=0.8"])
def test_the_api_answers_json_whatever_the_client_accepts(as_authorizer, accept):
    response = as_authorizer.get("/api/v1/me/", HTTP_ACCEPT=accept)

    assert (response.status_code, response["Content-Type"]) == (200, "application/json")
    assert "insurances" in response.json()


@pytest.mark.parametrize(
    ("headers", "content_type"), [({"HTTP_ACCEPT": "application/json"}, "json"), ({}, "openapi")]
)
def test_the_schema_still_comes_in_the_format_asked_for(client, headers, content_type):
    response = client.get("/api/v1/schema/", **headers)

    assert response.status_code == 200
    assert content_type in response["Content-Type"]


def test_a_lockout_lifts_when_its_oldest_failure_leaves_the_window_and_says_when(api_client, db):
    person = PersonFactory()
    UserFactory(username=person.id_number)
    now = timezone.now()
    for minutes_ago in (14, 10, 5, 3, 1):
        LoginFailure.objects.create(identifier=person.id_number, ip="192.0.2.1")
        LoginFailure.objects.filter(pk=LoginFailure.objects.latest("pk").pk).update(
            created_at=now - datetime.timedelta(minutes=minutes_ago)
        )

    locked = api_client.post("/api/v1/auth/token/", {"id_number": person.id_number, "password": PASSWORD})

    assert (locked.status_code, error_code(locked)) == (429, "rate_limited")
    assert 55 <= int(locked["Retry-After"]) <= 60  # the failure of 14 minutes ago leaves in one


def test_a_short_password_is_refused_in_the_callers_language(api_client, db):
    person = ResidentFactory().person
    body = {"id_number": person.id_number, "name": person.name, "phone": "13900000000", "password": "Ab1!x"}

    chinese = api_client.post("/api/v1/auth/register/", body, HTTP_ACCEPT_LANGUAGE="zh-hans")
    english = api_client.post("/api/v1/auth/register/", body, HTTP_ACCEPT_LANGUAGE="en")

    assert chinese.status_code == english.status_code == 400
    assert "密码太短，至少需要 8 个字符" in chinese.json()["error"]["message"]
    assert "This password is too short" not in chinese.json()["error"]["message"]
    assert "This password is too short" in english.json()["error"]["message"]


def test_a_name_typed_with_another_middle_dot_registers(api_client, db):
    person = ResidentFactory(person__name="买买提·艾力").person
    typed = "买买提•艾力"  # U+2022, as some keyboards give it
    body = {"id_number": person.id_number, "name": typed, "phone": "13900000000", "password": PASSWORD}

    assert api_client.post("/api/v1/auth/register/", body, format="json").status_code == 201
