"""Property-based fuzz of the API from its own OpenAPI schema: no 5xx, every answer fits the schema."""

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks

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
