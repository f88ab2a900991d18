"""The cashier page of a designated institution without a system of its own (a small pharmacy): its
terminal login settles a bill with the patient's payment code, prints the slip, and reverses one of
today's settlements after a confirmation naming it.

The settlement id (the institution's own id of the bill) and the idempotency key are made when the
form is shown: sending the same form twice, or again after a lost answer, settles once. A terminal
sees and reverses its own institution's settlements only; another's id is a page that does not exist.
"""

from __future__ import annotations

import secrets
import uuid
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from common.errors import ApplicationError
from common.forms import add_application_error, form_status
from common.money import format_yuan
from medical import errors
from medical.forms import ReverseForm, SettleForm
from medical.models import AllowanceStatus, Category, Institution, InstitutionKind
from medical.permissions import terminal_of
from medical.services import Terminal, settlement_create, settlement_reverse
from medical.settlement_selectors import settlement_get_for_institution, settlement_list_for_institution_day

# Refusals that come after the code was used: the same code gets the same answer, so the next try
# needs a new one from the patient's phone.
CODE_USED = {"no_allowance", "region_mismatch", "insufficient_allowance"}


def terminal_required(view):
    """An institution's terminal login, with its institution passed to the view; anyone else is told
    the page is not for his account (403)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        terminal = terminal_of(request.user)
        if terminal is None:
            raise PermissionDenied(_refusal(request.user))
        return view(request, terminal.institution, *args, **kwargs)

    return wrapped


def _refusal(user) -> str:
    if getattr(user, "person", None) is not None:
        return _(
            "This page is for the cashiers of designated hospitals and pharmacies. Your account can use "
            "the pages for insured persons, from the home page."
        )
    return _(
        "This page is for the cashiers of designated hospitals and pharmacies, signed in with their "
        "institution's terminal account."
    )


def _terminal(request, institution: Institution, key: str) -> Terminal:
    return Terminal(user=request.user, institution=institution, idempotency_key=key)


def new_settlement_id() -> str:
    """The bill's id: today's date and 8 random hexadecimal digits (20261203-9F2C41AB)."""
    return f"{timezone.localdate():%Y%m%d}-{secrets.token_hex(4).upper()}"


def _fresh_form(institution: Institution) -> SettleForm:
    category = Category.DRUGS if institution.kind == InstitutionKind.PHARMACY else Category.OUTPATIENT
    return SettleForm(
        initial={
            "settlement_id": new_settlement_id(),
            "idempotency_key": uuid.uuid4().hex,
            "category": category,
        }
    )


@never_cache
@terminal_required
def cashier_view(request, institution: Institution):
    """The bill's form, and today's settlements of the institution below it."""
    form = _fresh_form(institution)
    if request.method == "POST":
        form = SettleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                settlement = settlement_create(
                    terminal=_terminal(request, institution, data["idempotency_key"]),
                    voucher_code=data["voucher_code"],
                    settlement_id=data["settlement_id"],
                    amount_fen=data["amount"],
                    category=data["category"],
                    allow_partial=data["allow_partial"],
                )
            except ApplicationError as refused:
                if refused.code == "idempotency_conflict":
                    # A form already used for another bill (the browser's back button): a new one.
                    messages.warning(
                        request, _("That form was used for an earlier bill. Scan the patient's code again.")
                    )
                    return redirect("cashier")
                if isinstance(refused, errors.InsufficientAllowance):
                    form.add_error(
                        "amount", errors.insufficient_allowance_at_till_message(refused.remaining_fen)
                    )
                else:
                    add_application_error(form, refused)
                if refused.code in CODE_USED:
                    form.add_error(
                        None, _("The patient's code has been used: ask for a new one before trying again.")
                    )
                if refused.code in CODE_USED or refused.code == "voucher_invalid":
                    form.forget_code()
            else:
                return redirect("cashier-slip", settlement_id=settlement.settlement_id)
    today = timezone.localdate()
    return render(
        request,
        "medical/cashier.html",
        {
            "institution": institution,
            "form": form,
            "today": today,
            "settlements": settlement_list_for_institution_day(institution=institution, date=today),
        },
        status=form_status(form),
    )


def _own_settlement(institution: Institution, settlement_id: str):
    settlement = settlement_get_for_institution(institution=institution, settlement_id=settlement_id)
    if settlement is None:
        raise Http404
    return settlement


@never_cache
@terminal_required
def cashier_slip_view(request, institution: Institution, settlement_id: str):
    """The slip of one settlement, to print for the patient."""
    return render(
        request,
        "medical/cashier_slip.html",
        {"institution": institution, "settlement": _own_settlement(institution, settlement_id)},
    )


@never_cache
@terminal_required
def cashier_reverse_view(request, institution: Institution, settlement_id: str):
    """冲正: a confirmation naming the settlement and its amount; its button reverses it, once."""
    settlement = _own_settlement(institution, settlement_id)
    form = ReverseForm(request.POST or None, initial={"idempotency_key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        try:
            reversed_ = settlement_reverse(
                terminal=_terminal(request, institution, form.cleaned_data["idempotency_key"]),
                settlement_id=settlement.settlement_id,
            )
        except ApplicationError as refused:
            if refused.code == "settlement_not_found":
                raise Http404 from None
            add_application_error(form, refused)
        else:
            words = {"id": reversed_.settlement_id, "amount": format_yuan(reversed_.paid_fen)}
            if reversed_.allowance.status == AllowanceStatus.ACTIVE:
                message = _("Settlement %(id)s is reversed: %(amount)s yuan is back in the allowance.")
            else:
                message = _(
                    "Settlement %(id)s is reversed: the allowance has been released since, so %(amount)s "
                    "yuan is back in the personal account of the relative who set it."
                )
            messages.success(request, message % words)
            return redirect("cashier")
    return render(
        request,
        "medical/cashier_reverse.html",
        {"institution": institution, "settlement": settlement, "form": form},
        status=form_status(form),
    )
