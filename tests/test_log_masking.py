"""No full ID number or phone in any log (issue 7, PIPL art. 28): a full flow, every logger at DEBUG.

The output is taken from the handlers the project's LOGGING configures (the root `console` handler
with `common.logging.MaskPersonalDataFilter`), formatted as they would write it: their stream is
swapped for a buffer, so nothing bypasses the filter the way raw `caplog` records would. SQL logging
(`django.db.backends`, DEBUG) is switched on too: its lines carry the ID numbers and phones as query
parameters, so the filter is put to work on every statement of the flow.

With PostgreSQL, Redis and a real Celery worker (`-m "broker and postgres"`), the worker's own log
(its stdout/stderr) is scanned the same way: a worker replaces the root handlers with its own, and
`config.celery` puts the filter on those.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

import pytest
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from common.id_numbers import validate_id_number
from common.logging import MaskPersonalDataFilter
from common.masking import mask_id_number, mask_phone
from payments.models import Payment
from payments.outbox.consumer import outbox_relay
from payments.tasks import enrollment_sync_task
from staff.models import AuditAction, AuditRecord
from tests.conftest import CeleryWorker
from tests.factories import (
    EmployeeFactory,
    PledgeFactory,
    PremiumRateFactory,
    ResidentFactory,
)
from tests.payments.test_sync_with_worker import wait_until
from tests.staff.conftest import staff_user

PASSWORD = "Gongji-test-2026"
ANY_ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")


# --- capturing what the configured handlers write ------------------------------------------------------


def configured_stream_handlers() -> list[logging.StreamHandler]:
    """Every stream handler on the root or on a named logger, except pytest's own capture handlers."""
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    handlers = {
        id(handler): handler
        for logger in loggers
        for handler in logger.handlers
        if isinstance(handler, logging.StreamHandler) and not type(handler).__module__.startswith("_pytest")
    }
    return list(handlers.values())


@pytest.fixture
def log_output():
    """Every logger at DEBUG (SQL included), the configured handlers writing into one buffer."""
    root = logging.getLogger()
    console = [
        h
        for h in root.handlers
        if h.name == "console" and any(isinstance(f, MaskPersonalDataFilter) for f in h.filters)
    ]
    assert console, "LOGGING no longer puts MaskPersonalDataFilter on the root console handler"

    buffer = io.StringIO()
    streams = [(handler, handler.setStream(buffer)) for handler in configured_stream_handlers()]
    loggers = [root] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    levels = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.NOTSET)
        logger.disabled = False
    root.setLevel(logging.DEBUG)
    debug_cursors = [(c, c.force_debug_cursor) for c in connections.all()]
    for connection, _previous in debug_cursors:
        connection.force_debug_cursor = True
    try:
        yield buffer
    finally:
        for connection, previous in debug_cursors:
            connection.force_debug_cursor = previous
        for logger, level, disabled in levels:
            logger.setLevel(level)
            logger.disabled = disabled
        for handler, previous_stream in streams:
            if previous_stream is not None:
                handler.setStream(previous_stream)


# --- the flow ------------------------------------------------------------------------------------------


@dataclass
class Flow:
    people: list  # every Person the flow touched
    phones: list[str]
    payments: list[int]


def token_client(credentials: dict) -> APIClient:
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {**credentials, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}", HTTP_X_COUNTER_ID="DL-01")
    return client


def register(person, phone: str) -> APIClient:
    response = APIClient().post(
        "/api/v1/auth/register/",
        {"id_number": person.id_number, "name": person.name, "phone": phone, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 201, response.content
    return token_client({"id_number": person.id_number})


def full_flow(year: int) -> Flow:
    """Register, bind, pay, self-pay, a counter lookup by ID number, a refund, the sync task, and a
    few refusals on the way (a wrong password, a bad ID number, an unknown person at the counter)."""
    PledgeFactory()
    PremiumRateFactory(year=year)
    son = EmployeeFactory(balance_fen=100_000)
    father, mother = ResidentFactory(), ResidentFactory()
    phones = {son.person.pk: "13812345678", mother.person.pk: "15987654321"}

    refused = APIClient().post(
        "/api/v1/auth/token/", {"id_number": son.person.id_number, "password": "wrong"}, format="json"
    )
    assert refused.status_code in (400, 401)
    as_son = register(son.person, phones[son.person.pk])
    for relative in (father, mother):
        bound = as_son.post(
            "/api/v1/bindings/",
            {
                "beneficiary_id_number": relative.person.id_number,
                "beneficiary_name": relative.person.name,
                "relation": "parent",
                "pledge_version": 1,
                "pledge_accepted": True,
            },
            format="json",
        )
        assert bound.status_code == 201, bound.content
    bad = as_son.post(
        "/api/v1/bindings/",
        {"beneficiary_id_number": father.person.id_number[:17] + "0", "beneficiary_name": "x"},
        format="json",
    )
    assert bad.status_code == 400
    premium = as_son.post(
        f"/api/v1/premiums/{year}/", {"beneficiary_id_number": father.person.id_number}, format="json"
    )
    assert premium.status_code == 200
    paid = as_son.post(
        "/api/v1/payments/",
        {"beneficiary_id_number": father.person.id_number, "year": year},
        format="json",
        HTTP_IDEMPOTENCY_KEY="log-masking-pay",
    )
    assert paid.status_code == 201, paid.content
    assert as_son.get(f"/api/v1/payments/{paid.json()['id']}/receipt.pdf").status_code == 200

    as_mother = register(mother.person, phones[mother.person.pk])
    self_paid = as_mother.post(
        "/api/v1/payments/self/", {"year": year}, format="json", HTTP_IDEMPOTENCY_KEY="log-masking-self"
    )
    assert self_paid.status_code == 201, self_paid.content
    assert as_mother.get("/api/v1/me/").status_code == 200

    staff_user("counter_staff", "log-clerk")
    staff_user("counter_supervisor", "log-supervisor")
    as_clerk = token_client({"username": "log-clerk"})
    looked_up = as_clerk.post("/api/v1/staff/persons/", {"id_number": son.person.id_number}, format="json")
    assert looked_up.status_code == 200
    assert looked_up.json()["id_number"] == son.person.id_number  # staff see it in full; logs must not
    unknown = as_clerk.post("/api/v1/staff/persons/", {"id_number": "11010519491231002X"}, format="json")
    assert unknown.status_code == 404
    assert AuditRecord.objects.filter(action=AuditAction.PERSON_LOOKUP, person=son.person).exists()

    refunded = token_client({"username": "log-supervisor"}).post(
        f"/api/v1/staff/payments/{paid.json()['id']}/refund/", {"reason": "paid_twice", "note": ""}
    )
    assert refunded.status_code == 200, refunded.content

    outbox_relay()
    for payment_id in (paid.json()["id"], self_paid.json()["id"]):
        enrollment_sync_task.delay(payment_id)
    return Flow(
        people=[son.person, father.person, mother.person],
        phones=list(phones.values()),
        payments=[paid.json()["id"], self_paid.json()["id"]],
    )


def assert_masked(text: str, flow: Flow) -> None:
    for person in flow.people:
        assert person.id_number not in text, f"{mask_id_number(person.id_number)} appears unmasked"
        if person.phone:
            assert person.phone not in text, f"{mask_phone(person.phone)} appears unmasked"
    for phone in flow.phones:
        assert phone not in text, f"{mask_phone(phone)} appears unmasked"
    leaked = []
    for match in ANY_ID_NUMBER.finditer(text):
        try:
            validate_id_number(match.group())
        except Exception:  # noqa: S112 - not a valid ID number: some other digits
            continue
        leaked.append(mask_id_number(match.group()))
    assert leaked == [], "valid ID numbers appear unmasked"


# --- the tests -----------------------------------------------------------------------------------------


@pytest.fixture
def year():
    return timezone.localdate().year + 1


def test_a_full_flow_logs_no_full_id_number_or_phone(transactional_db, log_output, year):
    flow = full_flow(year)
    text = log_output.getvalue()

    # The capture saw the flow, SQL statements included, so the scan below means something.
    assert "enrollment sync: payment=" in text
    assert "INSERT INTO" in text
    assert "staff_auditrecord" in text
    assert Payment.objects.filter(pk__in=flow.payments, enrollment_synced_at__isnull=False).count() == 2
    assert_masked(text, flow)
    # The masked forms are there: the filter rewrote the lines rather than dropping them.
    son = flow.people[0]
    assert mask_id_number(son.id_number) in text
    assert mask_phone(flow.phones[0]) in text


def test_an_exception_with_an_id_number_is_masked_in_its_traceback(log_output):
    son_id, phone = "210202196001010018", "13900000001"
    try:
        raise ValueError(f"person {son_id} (phone {phone}) was not found")
    except ValueError:
        logging.getLogger("payments.tasks").exception("sync failed for %s", son_id)
    logging.getLogger("payments.tasks").warning("where %s was seen", son_id, stack_info=True)

    text = log_output.getvalue()
    assert "Traceback" in text
    assert "ValueError: person 2102**********0018" in text
    assert son_id not in text
    assert phone not in text


# --- the real worker -----------------------------------------------------------------------------------


@pytest.mark.broker
def test_the_celery_workers_log_shows_no_full_id_number(transactional_db, celery_broker, tmp_path, year):
    celery_broker.control.purge()
    worker = CeleryWorker()
    worker.log_path = tmp_path / "celery-worker.log"  # this test's own log, not the shared one
    worker.start()
    try:
        flow = full_flow(year)
        assert wait_until(
            lambda: (
                not Payment.objects.filter(pk__in=flow.payments, enrollment_synced_at__isnull=True).exists()
            ),
            seconds=45,
        )
        # A misrouted message carrying personal data: the worker logs its whole body at ERROR.
        son = flow.people[0]
        celery_broker.send_task("gongji.log_masking_probe", args=[son.id_number, flow.phones[0]])
        assert wait_until(
            lambda: "gongji.log_masking_probe" in worker.log_path.read_text(errors="replace"), seconds=45
        )
    finally:
        worker.stop()

    text = worker.log_path.read_text(errors="replace")
    assert "enrollment_sync_task" in text
    assert "succeeded" in text
    assert_masked(text, flow)
    assert mask_id_number(son.id_number) in text
    assert mask_phone(flow.phones[0]) in text
