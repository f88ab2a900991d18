"""Renders every API refusal in the one error shape of API.md."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.db_errors import is_transient_database_error
from common.errors import ApplicationError
from common.faults import database_fault

logger = logging.getLogger(__name__)

# Seconds a client should wait before retrying while the database is out of reach.
RETRY_AFTER_SECONDS = 5
# A deadlock's or a serialization conflict's loser: the database is there, each one worth its traceback.
_LOSER_CODES = ("40P01", "40001")


def _first_field_error(detail: Any, prefix: str = "") -> tuple[str | None, str]:
    """Walks DRF's nested error detail to the first message and the dotted field it belongs to."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            field = key if key != "non_field_errors" else None
            name = f"{prefix}.{field}" if prefix and field else (field or prefix or None)
            found_field, message = _first_field_error(value, name or "")
            return found_field or name, message
    if isinstance(detail, list) and detail:
        return _first_field_error(detail[0], prefix)
    return (prefix or None), str(detail)


def error_response(code: str, message: str, http_status: int, field: str | None = None) -> Response:
    body: dict[str, str] = {"code": code, "message": message}
    if field:
        body["field"] = field
    return Response({"error": body}, status=http_status)


def service_unavailable_body() -> dict[str, dict[str, str]]:
    return {
        "error": {
            "code": "service_unavailable",
            "message": _("The service is briefly unavailable; please try again shortly."),
        }
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if is_transient_database_error(exc):
        # The database went away (restart, dropped connection) or chose this transaction to lose a
        # deadlock: the client may retry, with the same Idempotency-Key for a payment. Anything
        # else from the database is a bug and stays a 500, logged in full by Django.
        if getattr(exc.__cause__, "sqlstate", None) in _LOSER_CODES:
            logger.warning("database: a deadlock's or conflict's loser, answered 503: %s", exc, exc_info=True)
        else:
            # The database is away: logged when it goes and when it is back, not on every request.
            database_fault.failed(exc)
        response = Response(service_unavailable_body(), status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, ApplicationError):
        response = error_response(exc.code, str(exc.message), exc.status, exc.field)
        if exc.retry_after:
            response["Retry-After"] = str(exc.retry_after)
        elif exc.status == status.HTTP_503_SERVICE_UNAVAILABLE:
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, exceptions.ValidationError):
        field, message = _first_field_error(exc.detail)
        code = "invalid_id_number" if _is_id_number_error(exc.detail) else "invalid_input"
        return error_response(code, message, status.HTTP_400_BAD_REQUEST, field)
    if isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
        return error_response("invalid_input", _("The request body is not valid JSON."), 400)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return error_response("not_authenticated", _("Please sign in first."), 401)
    if isinstance(exc, exceptions.PermissionDenied | DjangoPermissionDenied):
        return error_response("permission_denied", _("You are not allowed to do this."), 403)
    if isinstance(exc, exceptions.NotFound | Http404):
        return error_response("not_found", _("Not found."), 404)
    if isinstance(exc, exceptions.Throttled):
        response = error_response(
            "rate_limited", _("Too many attempts. Please try again later."), status.HTTP_429_TOO_MANY_REQUESTS
        )
        wait = getattr(exc, "wait", None)  # set by DRF's throttles, not declared by its stubs
        if wait:
            response["Retry-After"] = str(int(wait))
        return response
    if isinstance(exc, exceptions.MethodNotAllowed | exceptions.NotAcceptable):
        drf_response = drf_exception_handler(exc, context)
        if drf_response is not None:
            return error_response("invalid_input", str(exc.detail), drf_response.status_code)
    return drf_exception_handler(exc, context)


def _is_id_number_error(detail: Any) -> bool:
    codes = exceptions.ValidationError(detail).get_codes()
    flat: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        else:
            flat.append(str(node))

    walk(codes)
    return "invalid_id_number" in flat


@csrf_exempt
def api_not_found(request, *args: Any, **kwargs: Any):
    """Unknown API paths answer in the error shape too, not with an HTML page."""
    from django.http import JsonResponse

    return JsonResponse({"error": {"code": "not_found", "message": _("Not found.")}}, status=404)
