from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import ApplicationError
from common.forms import add_application_error, form_status
from common.permissions import page_person
from insurees.models import Scheme
from insurees.selectors import insuree_get
from mutual_aid.forms import BindingForm
from mutual_aid.models import Channel
from mutual_aid.selectors import (
    authorizer_for,
    beneficiary_for,
    binding_get_for_person,
    pledge_check,
    pledge_current,
)
from mutual_aid.services import binding_create, binding_end, binding_set_self_pay_paused

FIELD_MAP = {"pledge_accepted": "pledge_accepted", "beneficiary_name": "beneficiary_name"}


@login_required
def binding_create_view(request):
    person = page_person(request)
    try:
        authorizer_for(person=person)
    except ApplicationError as error:
        # Said before any pledge is shown: only an active employee insurance can bind; a resident
        # learns how his relative binds him instead.
        return render(
            request,
            "portal/binding_form.html",
            {"cannot_bind": error.message, "is_resident": insuree_get(person=person, scheme=Scheme.RESIDENT)},
            status=400 if request.method == "POST" else 200,
        )
    pledge = pledge_current()
    form = BindingForm(request.POST or None, initial={"pledge_version": pledge.version if pledge else None})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            checked = pledge_check(version=data["pledge_version"], accepted=data["pledge_accepted"])
            binding = binding_create(
                authorizer=authorizer_for(person=person),
                beneficiary=beneficiary_for(
                    id_number=data["beneficiary_id_number"], name=data["beneficiary_name"]
                ),
                relation=data["relation"],
                pledge=checked,
                channel=Channel.ONLINE,
                signer=person,
            )
        except ApplicationError as error:
            add_application_error(form, error, FIELD_MAP)
        else:
            messages.success(
                request,
                _("%(name)s is now bound. You can pay the premium from your personal account.")
                % {"name": binding.beneficiary.person.name},
            )
            return redirect("home")
    pledge_text = (pledge.text_en if request.LANGUAGE_CODE == "en" else pledge.text_zh) if pledge else ""
    return render(
        request,
        "portal/binding_form.html",
        {"form": form, "pledge": pledge, "pledge_text": pledge_text},
        status=form_status(form),
    )


@login_required
def binding_manage_view(request, binding_id: int):
    person = page_person(request)
    try:
        binding = binding_get_for_person(person=person, binding_id=binding_id)
    except ApplicationError:
        raise Http404 from None
    return render(
        request,
        "portal/binding_manage.html",
        {"binding": binding, "is_authorizer": binding.authorizer.person_id == person.pk},
    )


@login_required
@require_POST
def binding_end_view(request, binding_id: int):
    person = page_person(request)
    try:
        binding = binding_end(
            binding=binding_get_for_person(person=person, binding_id=binding_id), ended_by=person
        )
    except ApplicationError:
        raise Http404 from None
    # Rendered by a template so that what came back of its allowance is told through medical's tags,
    # read from the release the end itself made.
    message = render_to_string(
        "portal/includes/binding_ended_message.txt",
        {"binding": binding, "is_authorizer": binding.authorizer.person_id == person.pk},
    )
    messages.success(request, message.strip())
    return redirect("home")


@login_required
@require_POST
def binding_pause_view(request, binding_id: int):
    person = page_person(request)
    paused = request.POST.get("paused") == "1"
    try:
        binding_set_self_pay_paused(
            binding=binding_get_for_person(person=person, binding_id=binding_id), paused=paused, by=person
        )
    except ApplicationError:
        raise Http404 from None
    messages.success(request, _("Self-payment is paused.") if paused else _("Self-payment is allowed again."))
    return redirect("binding-manage", binding_id=binding_id)
