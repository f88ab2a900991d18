"""The 医保码 page: a relative with an allowance shows a one-time payment code at a designated
hospital or pharmacy, as a QR code and as digits to read out. Each visit issues a new code (the one
before stops working); the page's script asks for the next one a few seconds before it expires, and
the 刷新 button does without a script. A code is never cached, by the browser or on the way."""

from __future__ import annotations

import segno
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from common.errors import ApplicationError
from common.permissions import page_person
from medical.selectors import allowance_list_usable_by
from medical.services import IssuedVoucher, voucher_issue
from medical.services.vouchers import VOUCHER_SECONDS

# The next code is asked for this long after the last one came: before it expires, with time to spare
# for a slow network.
REFRESH_SECONDS = VOUCHER_SECONDS - 5
# Four digits a group, as a bank card is read out.
GROUP = 4


def code_grouped(code: str) -> str:
    return " ".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def code_qr_data_uri(code: str) -> str:
    """The code as an SVG QR code in a data: URI, black on white with its quiet zone (error correction
    M: a cracked or dim phone screen still scans)."""
    return segno.make(code, error="m", micro=False).svg_data_uri(scale=8, border=4)


def _voucher_facts(voucher: IssuedVoucher) -> dict:
    expires = timezone.localtime(voucher.expires_at)
    return {
        "code": voucher.code,
        "code_grouped": code_grouped(voucher.code),
        "qr": code_qr_data_uri(voucher.code),
        "expires_at": expires.isoformat(),
        "expires_time": date_format(expires, "H:i:s"),
        "refresh_after": REFRESH_SECONDS,
        "valid_seconds": VOUCHER_SECONDS,
    }


def _voucher_page(request, person):
    usable = list(allowance_list_usable_by(person=person))
    voucher = None
    if usable:
        try:
            voucher = voucher_issue(person=person)
        except ApplicationError as refused:
            if refused.code != "no_allowance":
                raise
            usable = []  # spent or released since the list was read
    return render(
        request,
        "portal/voucher.html",
        {"allowances": usable, "voucher": _voucher_facts(voucher) if voucher else None},
    )


@never_cache
@login_required
@require_safe
def voucher_view(request):
    """A new code on every visit, for the relative signed in; without an allowance, why there is none."""
    return _voucher_page(request, page_person(request))


@never_cache
@login_required
@require_POST
def voucher_refresh_view(request):
    """The next code: JSON for the page's script (asked with Accept: application/json), else the page
    itself with the new code (the 刷新 button without a script)."""
    person = page_person(request)
    if "application/json" not in request.headers.get("Accept", ""):
        return _voucher_page(request, person)
    try:
        voucher = voucher_issue(person=person)
    except ApplicationError as refused:
        return JsonResponse(refused.as_dict(), status=refused.status)
    return JsonResponse(_voucher_facts(voucher))
