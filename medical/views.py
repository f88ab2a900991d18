"""The allowance pages: money is shown before it moves. Choose the amount (step 1), check what moves
(step 2), confirm, and the confirmation (step 3); a release has its own confirmation. The idempotency
key is made at step 1 and names steps 2 and 3; the choice waits in the session under it."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import ApplicationError
from common.forms import add_application_error, form_status
from common.money import fen_to_yuan, format_yuan
from common.permissions import page_person
from medical.forms import AllowanceForm, ConfirmForm, NotifyThresholdForm
from medical.selectors import (
    allowance_active_for_binding,
    allowance_for_key,
    allowance_preview,
)
from medical.services import Actor, allowance_notify_threshold_set, allowance_release, allowance_set
from mutual_aid.models import BindingStatus
from mutual_aid.selectors import binding_get_for_person

SESSION_DRAFTS = "allowance_drafts"
MAX_DRAFTS = 10


def _own_active_binding(request, binding_id: int):
    """The signed-in authorizer's active binding; anything else is a page that does not exist."""
    person = page_person(request)
    try:
        binding = binding_get_for_person(person=person, binding_id=binding_id)
    except ApplicationError:
        raise Http404 from None
    if binding.authorizer.person_id != person.pk or binding.status != BindingStatus.ACTIVE:
        raise Http404
    return person, binding


def _draft(request, key: str, binding_id: int) -> int | None:
    draft = request.session.get(SESSION_DRAFTS, {}).get(key)
    if isinstance(draft, dict) and draft.get("binding_id") == binding_id:
        return draft.get("amount_fen")
    return None


@login_required
def allowance_view(request, binding_id: int):
    """Step 1: the amount."""
    person, binding = _own_active_binding(request, binding_id)
    current = allowance_active_for_binding(binding_id=binding.pk)
    initial = {"amount": str(fen_to_yuan(current.amount_fen))} if current else {}
    form = AllowanceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        amount_fen = form.cleaned_data["amount"]
        preview = allowance_preview(binding=binding, amount_fen=amount_fen)
        if current is not None and amount_fen < current.spent_fen:
            form.add_error("amount", _("This allowance cannot be set below what is spent of it already."))
        elif not preview.fits:
            form.add_error(
                "amount",
                _(
                    "Your personal account's available balance is %(available)s yuan, less than this change "
                    "sets aside."
                )
                % {"available": format_yuan(preview.available_before_fen)},
            )
        else:
            key = uuid.uuid4().hex
            drafts = dict(request.session.get(SESSION_DRAFTS, {}))
            drafts[key] = {"binding_id": binding.pk, "amount_fen": amount_fen}
            request.session[SESSION_DRAFTS] = dict(list(drafts.items())[-MAX_DRAFTS:])
            return redirect("allowance-check", binding_id=binding.pk, key=key)
    return _allowance_page(request, binding, current, form=form)


def _allowance_page(request, binding, current, *, form, notify_form=None):
    """Step 1's page: the amount's form and, once there is an allowance, its notification threshold's."""
    if notify_form is None and current is not None:
        notify_form = NotifyThresholdForm(initial={"notify_over": str(fen_to_yuan(current.notify_over_fen))})
    return render(
        request,
        "portal/allowance.html",
        {
            "binding": binding,
            "allowance": current,
            "form": form,
            "notify_form": notify_form,
            "preview": allowance_preview(binding=binding, amount_fen=current.amount_fen if current else 0),
        },
        status=form_status(form, notify_form),
    )


@login_required
@require_POST
def allowance_notify_view(request, binding_id: int):
    """The threshold of the notices of its payments: a setting, no money moves, so no check step."""
    person, binding = _own_active_binding(request, binding_id)
    current = allowance_active_for_binding(binding_id=binding.pk)
    if current is None:
        raise Http404
    notify_form = NotifyThresholdForm(request.POST)
    if notify_form.is_valid():
        try:
            allowance = allowance_notify_threshold_set(
                authorizer=person, binding_id=binding.pk, amount_fen=notify_form.cleaned_data["notify_over"]
            )
        except ApplicationError as refused:
            if refused.code in ("binding_not_found", "not_found"):
                raise Http404 from None
            add_application_error(notify_form, refused)
        else:
            if allowance.notify_over_fen:
                message = _(
                    "You and %(name)s will be told of each payment from this allowance over %(amount)s yuan."
                )
            else:
                message = _("You and %(name)s will be told of every payment from this allowance.")
            messages.success(
                request,
                message
                % {"name": binding.beneficiary.person.name, "amount": format_yuan(allowance.notify_over_fen)},
            )
            return redirect("allowance", binding_id=binding.pk)
    initial = {"amount": str(fen_to_yuan(current.amount_fen))}
    return _allowance_page(
        request, binding, current, form=AllowanceForm(initial=initial), notify_form=notify_form
    )


@login_required
def allowance_check_view(request, binding_id: int, key: str):
    """Step 2: what moves, before it moves; the confirmation sets it."""
    person, binding = _own_active_binding(request, binding_id)
    if allowance_for_key(user=request.user, key=key) is not None:
        return redirect("allowance-done", binding_id=binding.pk, key=key)  # confirmed already
    amount_fen = _draft(request, key, binding.pk)
    if amount_fen is None:
        raise Http404
    confirm = ConfirmForm(request.POST or None, initial={"amount_fen": amount_fen})
    error = None
    if request.method == "POST" and confirm.is_valid():
        if confirm.cleaned_data["amount_fen"] != amount_fen:
            messages.warning(request, _("The choice has changed since this page was shown; check it again."))
            return redirect("allowance-check", binding_id=binding.pk, key=key)
        try:
            allowance_set(
                authorizer=person,
                binding_id=binding.pk,
                amount_fen=amount_fen,
                actor=Actor(user=request.user, idempotency_key=key),
            )
        except ApplicationError as refused:
            if refused.code == "binding_not_found":
                raise Http404 from None
            error = refused.message
            add_application_error(confirm, refused)
        else:
            return redirect("allowance-done", binding_id=binding.pk, key=key)
    return render(
        request,
        "portal/allowance_check.html",
        {
            "binding": binding,
            "preview": allowance_preview(binding=binding, amount_fen=amount_fen),
            "confirm": confirm,
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
def allowance_done_view(request, binding_id: int, key: str):
    """Step 3: the allowance as the confirmation left it."""
    page_person(request)
    allowance = allowance_for_key(user=request.user, key=key)
    if allowance is None or allowance.binding_id != binding_id:
        raise Http404
    return render(
        request, "portal/allowance_done.html", {"allowance": allowance, "binding": allowance.binding}
    )


@login_required
def allowance_release_view(request, binding_id: int):
    """The release, after a confirmation that says how much comes back."""
    person, binding = _own_active_binding(request, binding_id)
    allowance = allowance_active_for_binding(binding_id=binding.pk)
    if allowance is None:
        raise Http404
    if request.method == "POST":
        try:
            released = allowance_release(
                authorizer=person, binding_id=binding.pk, actor=Actor(user=request.user)
            )
        except ApplicationError:
            raise Http404 from None
        # What came back is what was left at the release, after any settlement since this page was read.
        messages.success(
            request,
            _("The allowance for %(name)s is released: %(amount)s yuan is back in your personal account.")
            % {"name": binding.beneficiary.person.name, "amount": format_yuan(released.remaining_fen)},
        )
        return redirect("home")
    return render(request, "portal/allowance_release.html", {"binding": binding, "allowance": allowance})
