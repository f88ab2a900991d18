"""The page for a payment whose outcome is not known (payments.errors.payment_outcome_unknown): the
database was lost while it was being made and could not be asked again. Rendered without a request
context, so nothing touches the database while it is away; its button resends the same confirmation
under the same key, which shows the payment if it was made and makes it once if it was not."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template import loader

from common.api import RETRY_AFTER_SECONDS
from common.elderly import ELDERLY_COOKIE


def payment_outcome_unknown_page(request: HttpRequest, *, records_url: str) -> HttpResponse:
    resend = [(name, value) for name, value in request.POST.items() if name != "csrfmiddlewaretoken"]
    context = {
        "retry_url": request.get_full_path(),
        "resend": resend,
        "records_url": records_url,
        "csrf_token": get_token(request),
        "elderly_mode": request.COOKIES.get(ELDERLY_COOKIE) == "1",
    }
    response = HttpResponse(loader.get_template("payment_outcome_unknown.html").render(context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
