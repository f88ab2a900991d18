import datetime
import logging
from contextvars import ContextVar
from typing import Any

import pythonjsonlogger.json

from common.masking import mask_text

# The request id of a line written outside any request (a command, a task, the server's own).
NO_REQUEST = "-"

_traceback_formatter = logging.Formatter()


class MaskPersonalDataFilter(logging.Filter):
    """Rewrites every log record so no full ID number or phone number reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        # A handler's formatter renders the traceback only after the filters ran, from exc_text when it
        # is set: render it here, so an exception's message (an ID number in it) is masked as well.
        if record.exc_info and not record.exc_text:
            record.exc_text = _traceback_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


# --- the request id and the log formats -----------------------------------------------------------------

# The id of the request this thread (or task) is serving: set by common.request_id.RequestIdMiddleware,
# cleared when the response is closed, so Django's own lines about the response carry it as well.
request_id: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)


class RequestIdFilter(logging.Filter):
    """Puts the current request id (`-` outside a request) on every record a handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class ProbeAnswersFilter(logging.Filter):
    """On `django.request`: drops its line about each 503 of `/readyz`. The load balancer asks every
    few seconds; what failed is logged by its fault log when it fails and when it is back."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        return getattr(request, "path", None) != "/readyz"


class TextFormatter(logging.Formatter):
    """The local format; a record that met no RequestIdFilter (a third party's handler) still renders."""

    def __init__(self, fmt: str = TEXT_FORMAT, datefmt: str | None = None) -> None:
        super().__init__(fmt, datefmt, defaults={"request_id": NO_REQUEST})


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id, and the
    traceback (`exc_info`) or stack (`stack_info`) when there is one.

    Only these fields, never a record's extras: Django's SQL lines carry their `sql` and `params` as
    extras, with ID numbers in them that MaskPersonalDataFilter (which rewrites the message) never
    sees. The traceback and stack are masked here as well, since the library renders them anew from
    `exc_info` instead of taking the masked `exc_text`.
    """

    def __init__(self) -> None:
        # The format names the fields only so that the library renders `asctime`.
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", json_ensure_ascii=False)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = record.asctime
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.message
        # A record that met no RequestIdFilter (a third party's handler) has none.
        log_data["request_id"] = getattr(record, "request_id", NO_REQUEST)
        for field in ("exc_info", "stack_info"):
            if message_dict.get(field):
                log_data[field] = mask_text(str(message_dict[field]))

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
        return moment.isoformat(timespec="milliseconds")


def format_worker_logs(logger: logging.Logger, **kwargs: Any) -> None:
    """Celery's after_setup_logger and after_setup_task_logger (connected by common.apps): a worker
    or beat replaces the root handlers (and so LOGGING's console) with its own; with LOG_FORMAT=json
    they write the same JSON lines as the web processes. config.celery puts the masking on them."""
    from django.conf import settings

    for handler in logger.handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        if settings.LOG_FORMAT == "json":
            handler.setFormatter(JsonFormatter())
