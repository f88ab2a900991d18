"""The counter sets, changes and releases a walk-in authorizer's allowance (共济额度) for one of his bound
relatives, as he would online: the amount, a check of what moves (the allowance, the applicant's
available balance before and after), the confirmation; a release has its own check page. The
idempotency key names the check and done pages; the choice waits in the session under it."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.forms import add_application_error, form_status
from common.money import fen_to_yuan
from insurees.models import Person
from medical import errors as allowance_errors
from medical.change_selectors import allowance_change_for_key
from medical.forms import ConfirmForm
from medical.models import ChangeKind
from medical.selectors import AllowancePreview, allowance_active_for_binding, allowance_preview
from mutual_aid.models import Binding, BindingStatus
from mutual_aid.selectors import binding_get_for_person
from payments.forms import IdempotentForm
from staff import errors
from staff.forms import CounterAllowanceForm
from staff.selectors import allowance_release_preview, available_balance_of, counter_allowance_record_for_key
from staff.services import counter_allowance_release, counter_allowance_set
from staff.views.access import counter_only, current_counter, current_person

SESSION_DRAFTS = "staff_allowance_drafts"
MAX_DRAFTS = 10


def _applicant_binding(person: Person, binding_id: int) -> Binding:
    """The applicant's own binding as authorizer (active or not); anything else does not exist here."""
    try:
        binding = binding_get_for_person(person=person, binding_id=binding_id)
    except ApplicationError:
        raise Http404 from None
    if binding.authorizer.person_id != person.pk:
        raise Http404
    return binding


def _ended(request):
    """The binding ended between two steps (the relative or a roster change ended it)."""
    messages.error(request, str(errors.binding_no_longer_active().message))
    return redirect("staff:person")


def _draft(request, key: str) -> dict | None:
    draft = request.session.get(SESSION_DRAFTS, {}).get(key)
    return draft if isinstance(draft, dict) else None


def _draft_save(request, key: str, draft: dict) -> None:
    drafts = dict(request.session.get(SESSION_DRAFTS, {}))
    drafts.pop(key, None)
    drafts[key] = draft
    request.session[SESSION_DRAFTS] = dict(list(drafts.items())[-MAX_DRAFTS:])


def _refusal_before_check(preview: AllowancePreview, spent_fen: int) -> ApplicationError | None:
    """What the change would be refused for, judged as the accounts are now, so that the form says it
    before the check page; the confirmation judges it again."""
    if preview.allowance_after_fen < spent_fen:
        return allowance_errors.allowance_below_spent(spent_fen)
    if not preview.fits:
        return errors.applicant_balance_too_low(preview.available_before_fen)
    return None


@counter_only
def allowance_view(request, binding_id: int):
    """Step 1: the amount. A GET with `change` is the check page's "Change" link: the amount chosen,
    under the same key."""
    person = current_person(request)
    if person is None:
        return redirect("staff:home")
    binding = _applicant_binding(person, binding_id)
    if binding.status != BindingStatus.ACTIVE:
        raise Http404
    current = allowance_active_for_binding(binding_id=binding.pk)
    key = request.GET.get("change", "") if request.method != "POST" else ""
    draft = _draft(request, key) if key else None
    if draft is not None and draft["binding_id"] == binding.pk:
        initial = {"amount": str(fen_to_yuan(draft["amount_fen"]))}
    else:
        initial = {"amount": str(fen_to_yuan(current.amount_fen))} if current else {}
    form = CounterAllowanceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        amount_fen = form.cleaned_data["amount"]
        refusal = _refusal_before_check(
            allowance_preview(binding=binding, amount_fen=amount_fen), current.spent_fen if current else 0
        )
        if refusal is not None:
            add_application_error(form, refusal)
        else:
            key = uuid.uuid4().hex
            _draft_save(
                request, key, {"person": person.pk, "binding_id": binding.pk, "amount_fen": amount_fen}
            )
            return redirect("staff:allowance-check", binding_id=binding.pk, key=key)
    return render(
        request,
        "staff/allowance.html",
        {
            "person": person,
            "binding": binding,
            "allowance": current,
            "form": form,
            "available_fen": available_balance_of(insuree=binding.authorizer),
            "counter_id": current_counter(request),
        },
        status=form_status(form),
    )


@counter_only
def allowance_check_view(request, binding_id: int, key: str):
    """Step 2, and its confirmation: the change goes through the counter's service, which judges
    everything again and records the operator and the counter with it."""
    if counter_allowance_record_for_key(operator=request.user, key=key) is not None:
        return redirect("staff:allowance-done", binding_id=binding_id, key=key)  # confirmed already
    draft = _draft(request, key)
    if draft is None or draft["binding_id"] != binding_id:
        raise Http404  # another clerk's key, or none: as if it did not exist
    person = current_person(request)
    if person is None or draft["person"] != person.pk:
        # The clerk has since looked up another applicant: nothing changes for the one not on screen.
        messages.info(
            request, _("That allowance was not changed; choose it again for the applicant on screen.")
        )
        return redirect("staff:person" if person is not None else "staff:home")
    binding = _applicant_binding(person, binding_id)
    if binding.status != BindingStatus.ACTIVE:
        return _ended(request)
    amount_fen = draft["amount_fen"]
    confirm = ConfirmForm(request.POST or None, initial={"amount_fen": amount_fen})
    if request.method == "POST" and confirm.is_valid():
        if confirm.cleaned_data["amount_fen"] != amount_fen:
            messages.warning(request, _("The choice has changed since this page was shown; check it again."))
            return redirect("staff:allowance-check", binding_id=binding.pk, key=key)
        try:
            counter_allowance_set(
                operator=request.user,
                counter_id=current_counter(request),
                binding=binding,
                amount_fen=amount_fen,
                idempotency_key=key,
            )
        except ApplicationError as refused:
            if refused.code == "binding_not_found":
                return _ended(request)
            # Shown above the figures as they are now; the button asks again under the same key.
            add_application_error(confirm, refused)
        else:
            return redirect("staff:allowance-done", binding_id=binding.pk, key=key)
    current = allowance_active_for_binding(binding_id=binding.pk)
    return render(
        request,
        "staff/allowance_check.html",
        {
            "person": person,
            "binding": binding,
            "preview": allowance_preview(binding=binding, amount_fen=amount_fen),
            "spent_fen": current.spent_fen if current else 0,
            "confirm": confirm,
            "change_url": f"{reverse('staff:allowance', args=[binding.pk])}?change={key}",
            "counter_id": current_counter(request),
        },
        status=form_status(confirm),
    )


@counter_only
def allowance_release_view(request, binding_id: int):
    """The release's check page (what comes back, the available balance before and after) and its
    confirmation, under a key made when the page is shown, so a second click releases nothing more."""
    person = current_person(request)
    if person is None:
        return redirect("staff:home")
    binding = _applicant_binding(person, binding_id)
    if binding.status != BindingStatus.ACTIVE:
        raise Http404
    form = IdempotentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key = form.cleaned_data["idempotency_key"]
        try:
            counter_allowance_release(
                operator=request.user,
                counter_id=current_counter(request),
                binding=binding,
                idempotency_key=key,
            )
        except ApplicationError as refused:
            if refused.code == "binding_not_found":
                return _ended(request)
            add_application_error(form, refused)
        else:
            return redirect("staff:allowance-done", binding_id=binding.pk, key=key)
    preview = allowance_release_preview(binding=binding)
    if preview is None:
        if form.is_bound:  # released meanwhile (another tab): say so where the clerk goes on
            for error in form.non_field_errors():
                messages.error(request, str(error))
            return redirect("staff:person")
        raise Http404
    return render(
        request,
        "staff/allowance_release.html",
        {
            "person": person,
            "binding": binding,
            "preview": preview,
            "form": form,
            "counter_id": current_counter(request),
        },
        status=form_status(form),
    )


@counter_only
def allowance_done_view(request, binding_id: int, key: str):
    """Step 3: what the change did, before and after, and the applicant's available balance now; only
    for the clerk who made it."""
    record = counter_allowance_record_for_key(operator=request.user, key=key)
    change = allowance_change_for_key(user=request.user, key=key)
    if record is None or change is None or change.allowance.binding_id != binding_id:
        raise Http404
    allowance = change.allowance
    return render(
        request,
        "staff/allowance_done.html",
        {
            "person": current_person(request),
            "applicant": allowance.authorizer.person,
            "binding": allowance.binding,
            "allowance": allowance,
            "change": change,
            "released": change.kind == ChangeKind.RELEASE,
            "released_fen": change.amount_before_fen - change.amount_after_fen,
            "available_fen": available_balance_of(insuree=allowance.authorizer),
            "counter_id": record.counter_id,
        },
    )
