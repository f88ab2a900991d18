"""A request id on every request, its response and every log line written while serving it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from common.logging import NO_REQUEST, request_id
from common.masking import mask_text

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy or client may hand in: a UUID, a load balancer's trace id. Anything else (too long,
# spaces, control characters, something that looks like an ID number) gets an id of our own.
_SANE = re.compile(r"[A-Za-z0-9._:=/+-]{1,128}")


def incoming_request_id(value: str | None) -> str | None:
    if value and _SANE.fullmatch(value) and mask_text(value) == value:
        return value
    return None


class RequestIdMiddleware:
    """First in MIDDLEWARE, so a redirect or an error page carries the id too. The id stays set until
    the response is closed (`request_finished`, see common.apps): Django logs a 4xx or 5xx answer after
    the middleware has returned."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        rid = incoming_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
        request_id.set(rid)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = rid
        return response


def request_id_clear(**kwargs: object) -> None:
    """request_finished: the thread's next lines (between requests) belong to no request."""
    request_id.set(NO_REQUEST)
