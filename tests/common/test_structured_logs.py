"""Structured logs with a request id (issue 17): X-Request-ID on each response and on each line written
while serving it, one JSON object a line in production, personal data masked in both formats."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.test import Client

from common.logging import (
    JsonFormatter,
    MaskPersonalDataFilter,
    RequestIdFilter,
    TextFormatter,
    format_worker_logs,
    request_id,
)
from common.request_id import incoming_request_id
from tests.conftest import CeleryWorker
from tests.payments.test_sync_with_worker import wait_until

ID_NUMBER, PHONE = "210202196001010018", "13900000001"


@pytest.fixture
def console():
    """What the configured root `console` handler writes (its filters and formatter, as deployed)."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    root_level = logging.getLogger().level
    logging.getLogger().setLevel(logging.INFO)
    yield buffer
    logging.getLogger().setLevel(root_level)
    handler.setStream(previous)


def json_handler(buffer: io.StringIO) -> logging.Handler:
    """A handler set up as LOGGING's console is with LOG_FORMAT=json."""
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(MaskPersonalDataFilter())
    handler.setFormatter(JsonFormatter())
    return handler


def test_each_response_carries_a_request_id_of_its_own():
    first, second = Client().get("/healthz"), Client().get("/healthz")

    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_sane_incoming_request_id_is_kept_and_anything_else_replaced():
    kept = Client().get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c2e-1")
    assert kept["X-Request-ID"] == "lb-7f3a9c2e-1"

    for bad in ("x" * 129, "two words", "a\nb", ID_NUMBER, f"req-{PHONE}", ""):
        assert incoming_request_id(bad) is None
        answered = Client().get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert answered != bad
        assert re.fullmatch(r"[0-9a-f]{32}", answered)


def test_every_line_written_while_serving_a_request_carries_its_id(db, console):
    # A 404: Django logs it after the middleware has returned, when the response is done.
    response = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="trace-404")
    logging.getLogger("gongji.test").info("after the request")

    lines = console.getvalue().splitlines()
    assert response.status_code == 404
    assert any("WARNING django.request [trace-404] Not Found: /no-such-page/" in line for line in lines)
    assert any(line.endswith("INFO gongji.test [-] after the request") for line in lines)
    assert request_id.get() == "-"


def test_json_lines_hold_time_level_logger_message_and_request_id_only():
    buffer = io.StringIO()
    logger = logging.getLogger("gongji.test.json")
    logger.addHandler(handler := json_handler(buffer))
    token = request_id.set("req-1")
    try:
        # Django's SQL lines carry their statement and parameters as extras, never masked.
        logger.warning("looked up %s, phone %s", ID_NUMBER, PHONE, extra={"params": [ID_NUMBER], "sql": "…"})
        try:
            raise ValueError(f"person {ID_NUMBER} not found")
        except ValueError:
            logger.exception("sync failed")
        logger.warning("where", stack_info=True)
    finally:
        request_id.reset(token)
        logger.removeHandler(handler)

    text = buffer.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 3  # one object a line, the traceback inside its record
    assert set(lines[0]) == {"time", "level", "logger", "message", "request_id"}
    assert lines[0]["level"] == "WARNING"
    assert lines[0]["logger"] == "gongji.test.json"
    assert lines[0]["request_id"] == "req-1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", lines[0]["time"])
    assert lines[0]["message"] == "looked up 2102**********0018, phone 139****0001"
    assert "ValueError: person 2102**********0018 not found" in lines[1]["exc_info"]
    assert "stack_info" in lines[2]
    assert ID_NUMBER not in text
    assert PHONE not in text


def test_the_text_format_renders_a_record_that_met_no_request_id_filter():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "plain", None, None)

    assert TextFormatter().format(record).endswith("INFO x [-] plain")


def test_a_celery_process_logs_in_json_when_asked(settings):
    """Celery replaces the root handlers in a worker or beat: the receiver gives them the format."""
    settings.LOG_FORMAT = "json"
    logger = logging.getLogger("gongji.test.worker")
    handler = logging.StreamHandler(io.StringIO())
    logger.addHandler(handler)
    try:
        format_worker_logs(logger=logger)
        format_worker_logs(logger=logger)  # the task logger's signal comes too: nothing doubles
    finally:
        logger.removeHandler(handler)

    assert isinstance(handler.formatter, JsonFormatter)
    assert sum(isinstance(f, RequestIdFilter) for f in handler.filters) == 1


@pytest.mark.broker
def test_a_real_worker_writes_json_lines(transactional_db, celery_broker, tmp_path):
    worker = CeleryWorker(extra_env={"LOG_FORMAT": "json"})
    worker.log_path = tmp_path / "worker.log"
    worker.start()
    try:
        celery_broker.send_task("gongji.json_log_probe", args=[ID_NUMBER])  # logged in full by Celery
        assert wait_until(lambda: "gongji.json_log_probe" in worker.log_path.read_text(), seconds=30)
    finally:
        worker.stop()

    records = []
    for line in worker.log_path.read_text().splitlines():
        if line.startswith("{"):  # the banner before logging starts is Celery's own print
            records.append(json.loads(line))
    assert any("ready" in record["message"] for record in records)
    probe = [record for record in records if "gongji.json_log_probe" in record["message"]]
    assert probe
    assert probe[0]["level"] == "ERROR"
    assert ID_NUMBER not in worker.log_path.read_text()
