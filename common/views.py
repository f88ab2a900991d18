"""Error pages that never need the database: they must render while it is away."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from common.api import RETRY_AFTER_SECONDS, service_unavailable_body
from common.db_errors import is_transient_database_error


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
        response = HttpResponse(template.render({}), status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
