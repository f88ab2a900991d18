"""The counter: look a person up, bind, refund, print receipts."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import ApplicationError
from common.forms import add_application_error, form_status
from common.money import format_yuan
from common.permissions import COUNTER_SUPERVISOR
from mutual_aid.selectors import pledge_current
from payments.models import RefundReason
from payments.receipts import receipt_pdf
from payments.selectors import payment_get
from staff.forms import CounterBindingForm, CounterForm, CounterPaymentForm, LookupForm, RefundForm
from staff.selectors import person_detail
from staff.services import counter_binding_create, counter_payment_refund, counter_person_lookup
from staff.views.access import (
    SESSION_COUNTER,
    SESSION_PERSON,
    counter_only,
    current_counter,
    current_person,
    is_supervisor,
    role_required,
)


@counter_only
def home_view(request):
    lookup = LookupForm(request.POST or None) if "id_number" in request.POST else LookupForm()
    counter = (
        CounterForm(request.POST or None, initial={"counter_id": current_counter(request)})
        if "counter_id" in request.POST
        else CounterForm(initial={"counter_id": current_counter(request)})
    )
    if request.method == "POST" and "counter_id" in request.POST and counter.is_valid():
        request.session[SESSION_COUNTER] = counter.cleaned_data["counter_id"]
        return redirect("staff:home")
    if request.method == "POST" and "id_number" in request.POST and lookup.is_valid():
        try:
            person = counter_person_lookup(
                operator=request.user,
                counter_id=current_counter(request),
                id_number=lookup.cleaned_data["id_number"],
            )
        except ApplicationError as error:
            add_application_error(lookup, error)
        else:
            request.session[SESSION_PERSON] = person.pk
            return redirect("staff:person")
    return render(
        request,
        "staff/home.html",
        {"lookup": lookup, "counter": counter, "counter_id": current_counter(request)},
        status=form_status(lookup, counter),
    )


@counter_only
def person_view(request):
    person = current_person(request)
    if person is None:
        return redirect("staff:home")
    return render_person(request, person)


def render_person(request, person, binding_form=None, payment_form=None):
    detail = person_detail(person=person)
    pledge = pledge_current()
    return render(
        request,
        "staff/person.html",
        {
            "person": person,
            **detail,
            "is_employee": any(i.scheme == "employee" for i in detail["insurances"]),
            "binding_form": binding_form or CounterBindingForm(),
            "payment_form": payment_form or CounterPaymentForm(person=person),
            "can_refund": is_supervisor(request.user),
            "pledge": pledge,
            "counter_id": current_counter(request),
        },
        status=form_status(binding_form, payment_form),
    )


@counter_only
@require_POST
def bind_view(request):
    person = current_person(request)
    if person is None:
        return redirect("staff:home")
    form = CounterBindingForm(request.POST)
    pledge = pledge_current()
    if form.is_valid():
        data = form.cleaned_data
        try:
            binding = counter_binding_create(
                operator=request.user,
                counter_id=current_counter(request),
                authorizer_id_number=person.id_number,
                beneficiary_id_number=data["beneficiary_id_number"],
                beneficiary_name=data["beneficiary_name"],
                relation=data["relation"],
                pledge_version=pledge.version if pledge else 0,
                paper_pledge_ref=data["paper_pledge_ref"],
            )
        except ApplicationError as error:
            add_application_error(form, error, {"beneficiary_id_number": "beneficiary_id_number"})
        else:
            messages.success(
                request,
                _(
                    "%(relative)s (%(relation)s) is now bound to %(authorizer)s: the personal account of "
                    "%(authorizer)s can pay the resident premium of %(relative)s."
                )
                % {
                    "relative": binding.beneficiary.person.name,
                    "relation": binding.get_relation_display(),
                    "authorizer": binding.authorizer.person.name,
                },
            )
            return redirect("staff:person")
    return render_person(request, person, binding_form=form)


@role_required(COUNTER_SUPERVISOR)
def refund_view(request, payment_id: int):
    """A payment's refund, in two steps: the reason (none preselected), then a confirmation naming
    the payment, the amount and the account it goes back to. Only the confirmation refunds."""
    payment = payment_get(payment_id=payment_id)
    if payment is None:
        raise Http404
    form = RefundForm(request.POST or None)
    confirming = False
    if request.method == "POST" and form.is_valid() and "change" not in request.POST:
        if form.cleaned_data["confirmed"]:
            try:
                counter_payment_refund(
                    operator=request.user,
                    counter_id=current_counter(request),
                    payment=payment,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                )
            except ApplicationError as error:
                add_application_error(form, error)
            else:
                messages.success(
                    request,
                    _("Refunded %(reference)s: ¥%(amount)s back to the personal account of %(name)s.")
                    % {
                        "reference": payment.reference,
                        "amount": format_yuan(payment.amount_fen),
                        "name": payment.authorizer.person.name,
                    },
                )
                return redirect("staff:person" if current_person(request) else "staff:home")
        else:
            confirming = True
    return render(
        request,
        "staff/refund.html",
        {
            "payment": payment,
            "form": form,
            "confirming": confirming,
            "reason_label": RefundReason(form.cleaned_data["reason"]).label if confirming else "",
            "counter_id": current_counter(request),
            "person": current_person(request),
        },
        status=form_status(form),
    )


@counter_only
def receipt_view(request, payment_id: int):
    payment = payment_get(payment_id=payment_id)
    if payment is None:
        raise Http404
    response = HttpResponse(receipt_pdf(payment=payment, request=request), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{payment.reference}.pdf"'
    return response
