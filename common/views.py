"""Error pages that never need the database: they must render while it is away."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from common.api import RETRY_AFTER_SECONDS, service_unavailable_body
from common.db_errors import is_transient_database_error
from common.elderly import ELDERLY_COOKIE


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a lost database answers 503 with Retry-After; the API in its error shape.

    Rendered without a request context, so no context processor (user, session) touches the
    database; no traceback ever reaches the client.
    """
    exc = sys.exc_info()[1]
    unavailable = exc is not None and is_transient_database_error(exc)
    status = 503 if unavailable else 500
    if request.path.startswith("/api/"):
        body = (
            service_unavailable_body()
            if unavailable
            else {
                "error": {
                    "code": "server_error",
                    "message": _("Something went wrong on our side. Please try again later."),
                }
            }
        )
        response: HttpResponse = JsonResponse(body, status=status)
    else:
        template = loader.get_template("503.html" if unavailable else "500.html")
        # The large-type preference is a cookie: read without the database, like the rest of the page.
        elderly_mode = request.COOKIES.get(ELDERLY_COOKIE) == "1"
        response = HttpResponse(template.render({"elderly_mode": elderly_mode}), status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: a request Django refused before any view could (a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields, a host not allowed): the API in its error shape, the
    portal's page otherwise, rendered without a request context (the request itself is what failed)."""
    if request.path.startswith("/api/"):
        return _api_error(
            "invalid_input", _("The request could not be read: it is too large or malformed."), 400
        )
    elderly_mode = request.COOKIES.get(ELDERLY_COOKIE) == "1"
    return HttpResponse(loader.get_template("400.html").render({"elderly_mode": elderly_mode}), status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: the portal's page, in the reader's language, with the reason a view gave (a staff
    role check says which pages the reader can use); the API in its error shape."""
    if request.path.startswith("/api/"):
        return _api_error("permission_denied", _("You are not allowed to do this."), 403)
    # As Django's own handler names it: `exception`, the message the view raised (empty if none).
    message = str(exception) if exception is not None else ""
    return render(request, "403.html", {"exception": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the portal's page with a way back; never the resolver's message (it lists URLs)."""
    if request.path.startswith("/api/"):
        return _api_error("not_found", _("Not found."), 404)
    return render(request, "404.html", status=404)


def _api_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)
