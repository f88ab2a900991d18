"""Property-based fuzz of the API from its own OpenAPI schema: no 5xx, every answer fits the schema."""

import io

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks

from medical.services import Actor, allowance_set
from medical.services.institutions import institution_terminal_create, institutions_file_import
from medical.services.vouchers import voucher_issue
from tests.factories import BindingFactory, EmployeeFactory, PledgeFactory, PremiumRateFactory, user_for

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@pytest.fixture
def keep_test_connection():
    """The WSGI app would close the test's database connection after each request (Django's test
    client avoids that the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, keep_test_connection):
    PledgeFactory()
    PremiumRateFactory()
    authorizer = EmployeeFactory(balance_fen=10_000_000)
    BindingFactory(authorizer=authorizer)
    return Token.objects.get_or_create(user=user_for(authorizer.person))[0].key


def test_the_schema_validates():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_schema_under_fuzzing(case, token):
    case.headers = {**(case.headers or {}), "Authorization": f"Token {token}"}
    if case.method.upper() == "POST":
        case.headers.setdefault("Idempotency-Key", "fuzz")
    # Business rules refuse many schema-valid bodies (an unknown ID number, an unpaid year), so the
    # checks are the schema's own promises: no 5xx, documented statuses, types and shapes.
    case.call_and_validate(checks=CHECKS)


@pytest.fixture
def terminal_token(db, keep_test_connection):
    """A pharmacy's terminal of the region of a relative with an allowance and a live code."""
    binding = BindingFactory(authorizer=EmployeeFactory(balance_fen=10_000_000))
    person = binding.authorizer.person
    allowance_set(
        authorizer=person,
        binding_id=binding.pk,
        amount_fen=100_000,
        actor=Actor(user=user_for(person), idempotency_key="fuzz-allowance"),
    )
    voucher_issue(person=binding.beneficiary.person)
    institutions_file_import(
        file=io.StringIO(
            f"code,name,kind,region_code,status\nFUZZ1,药房,pharmacy,{binding.beneficiary.region_code},active\n"
        )
    )
    terminal = institution_terminal_create(
        institution_code="FUZZ1", username="fuzz-terminal", password="fuzz-pw-long"
    )
    return Token.objects.get_or_create(user=terminal.user)[0].key


@schema.include(path_regex="^/api/v1/institution/").parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_institution_api_keeps_its_schema_under_fuzzing(case, terminal_token):
    case.headers = {**(case.headers or {}), "Authorization": f"Token {terminal_token}"}
    if case.method.upper() == "POST":
        case.headers.setdefault("Idempotency-Key", "fuzz")
    case.call_and_validate(checks=CHECKS)
