"""Hostile and malformed input: always a 4xx in the one error shape, never a change in the database."""

import json

import pytest

from insurees.models import Person
from ledger.models import Entry
from mutual_aid.models import Binding
from payments.models import IdempotencyKey, Payment

HOSTILE_STRINGS = [
    "' OR 1=1 --",
    "'; DROP TABLE payments_payment; --",
    '" onmouseover="alert(1)',
    "<script>alert(1)</script>",
    "{{7*7}}",
    "${jndi:ldap://127.0.0.1/a}",
    "../../../../etc/passwd",
    "\x00",
    "\u202e210202197805120232",
    "２１０２０２１９７８０５１２０２３２",  # full-width digits
    "21020219780512023２",
    "210202 197805120232",
    "210202-19780512-0232",
    "0" * 18,
    "9" * 18,
    "x" * 100_000,
    "",
    " ",
    "\n",
    "NaN",
    "1e309",
    "-1",
    "🙂" * 18,
]
HOSTILE_VALUES = [None, True, 0, -1, 2**63, 1.5, [], {}, ["a"], {"$gt": ""}, *HOSTILE_STRINGS]

ENDPOINTS = {
    "/api/v1/bindings/": [
        "beneficiary_id_number",
        "beneficiary_name",
        "relation",
        "pledge_version",
        "pledge_accepted",
    ],
    "/api/v1/payments/": ["beneficiary_id_number", "year"],
    "/api/v1/payments/self/": ["year"],
    "/api/v1/payments/family/": ["beneficiary_id_numbers", "year"],
    "/api/v1/auth/register/": ["id_number", "name", "phone", "password"],
}


def valid_body(path, binding, pledge, year):
    number, name = binding.beneficiary.person.id_number, binding.beneficiary.person.name
    return {
        "/api/v1/bindings/": {
            "beneficiary_id_number": number,
            "beneficiary_name": name,
            "relation": "parent",
            "pledge_version": pledge.version,
            "pledge_accepted": True,
        },
        "/api/v1/payments/": {"beneficiary_id_number": number, "year": year},
        "/api/v1/payments/self/": {"year": year},
        "/api/v1/payments/family/": {"beneficiary_id_numbers": [number], "year": year},
        "/api/v1/auth/register/": {
            "id_number": number,
            "name": name,
            "phone": "13900000000",
            "password": "a",
        },
    }[path]


def snapshot():
    return [m.objects.count() for m in (Person, Binding, Payment, Entry, IdempotencyKey)]


CASES = [
    (path, field, value) for path, fields in ENDPOINTS.items() for field in fields for value in HOSTILE_VALUES
]


@pytest.mark.parametrize(
    ("path", "field", "value"), CASES, ids=[f"{p}:{f}:{i}" for i, (p, f, _v) in enumerate(CASES)]
)
def test_a_hostile_field_is_refused_in_the_error_shape_and_changes_nothing(
    as_beneficiary, binding, pledge, rate, year, path, field, value
):
    body = {**valid_body(path, binding, pledge, year), field: value}
    before = snapshot()

    response = as_beneficiary.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="hostile")

    assert 400 <= response.status_code < 500, response.content[:300]
    error = response.json()["error"]
    assert error["code"]
    assert error["message"]
    assert binding.beneficiary.person.id_number not in error["message"]
    if response.status_code != 201:
        assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"\xff\xfe\x00\x00", "application/json"),
        ('{"year": 2027}'.encode("utf-16"), "application/json"),
        (b"year=2027", "text/plain"),
        (b"[]", "application/json"),
        (b"null", "application/json"),
        (json.dumps({"year": "2027" * 100_000}).encode(), "application/json"),
    ],
)
def test_bodies_that_are_not_json_objects_are_refused(as_beneficiary, rate, content, content_type):
    before = snapshot()

    response = as_beneficiary.generic(
        "POST", "/api/v1/payments/self/", content, content_type=content_type, HTTP_IDEMPOTENCY_KEY="raw"
    )

    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"]
    assert snapshot() == before


@pytest.mark.parametrize("key", ["\x00", "k\x00ey", "key\x1b", "\u2028"])
def test_an_idempotency_key_with_a_control_character_is_no_key(as_beneficiary, rate, key):
    before = snapshot()

    response = as_beneficiary.post(
        "/api/v1/payments/self/", {"year": rate.year}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "idempotency_key_required")
    assert snapshot() == before


# Deeper than Python's recursion limit: a few kilobytes anyone may send, signed in or not.
DEEP = b"[" * 5_000 + b"]" * 5_000


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/token/", "/api/v1/auth/register/", "/api/v1/payments/self/", "/api/v1/bindings/"]
)
def test_a_body_nested_too_deep_is_refused_as_not_json(as_beneficiary, rate, path):
    as_beneficiary.raise_request_exception = False
    before = snapshot()

    response = as_beneficiary.generic(
        "POST", path, DEEP, content_type="application/json", HTTP_IDEMPOTENCY_KEY="deep"
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_input")
    assert snapshot() == before


def test_a_body_over_the_upload_limit_is_refused_in_the_error_shape(as_beneficiary, rate, settings):
    as_beneficiary.raise_request_exception = False
    body = json.dumps({"year": "1" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}).encode()

    response = as_beneficiary.generic(
        "POST", "/api/v1/payments/self/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="big"
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "invalid_input"


def test_a_page_request_over_the_upload_limit_gets_the_portals_page(client, settings):
    client.raise_request_exception = False
    fields = {f"f{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}

    response = client.post("/login/", fields, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 400
    assert "请求无法读取" in response.content.decode()


@pytest.mark.parametrize("year", ["-1", "0", "99999", "abc", "2027.5", "1" * 400])
def test_absurd_years_in_the_path_are_refused(as_beneficiary, year):
    response = as_beneficiary.get(f"/api/v1/premiums/{year}/")

    assert response.status_code in (400, 404)
    assert response.json()["error"]["code"] in ("invalid_input", "not_found")


@pytest.mark.parametrize("path", ["/api/v1/bindings/1%0A2/", "/api/v1/no-such-thing/", "/api/v1/%0A"])
def test_an_unknown_api_path_answers_in_the_error_shape(as_beneficiary, path):
    response = as_beneficiary.get(path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
