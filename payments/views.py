from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import ApplicationError
from common.forms import add_application_error, form_status
from common.permissions import page_person
from insurees.models import Scheme
from insurees.selectors import insuree_get
from mutual_aid.models import BindingStatus
from mutual_aid.selectors import binding_list_for_person
from payments.forms import PayForm, SelfPayForm, VerifyForm
from payments.notifications import notification_text
from payments.receipts import receipt_pdf
from payments.selectors import (
    expenditure_list_for_person,
    notification_list_for_person,
    payment_get_for_person,
    payment_list_for_person,
    payment_verify,
)
from payments.services import (
    Actor,
    notifications_mark_read,
    payment_create_for_self,
    payments_create_for_relatives,
)


@login_required
def pay_view(request):
    """The authorizer pays one or several bound relatives: all of them, or none."""
    person = page_person(request)
    bindings = [
        b
        for b in binding_list_for_person(person=person)
        if b.authorizer.person_id == person.pk and b.status == BindingStatus.ACTIVE
    ]
    form = PayForm(request.POST or None, bindings=bindings)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        by_id = {b.beneficiary_id: b.beneficiary for b in bindings}
        try:
            payments = payments_create_for_relatives(
                authorizer=person,
                relative_id_numbers=[by_id[pk].person.id_number for pk in data["beneficiaries"]],
                year=data["year"],
                actor=Actor(user=request.user, idempotency_key=data["idempotency_key"]),
            )
        except ApplicationError as error:
            add_application_error(form, error, {"beneficiary_id_numbers": "beneficiaries"})
        else:
            messages.success(request, _("Paid. The receipts are in your records."))
            return redirect("payment-detail", payment_id=payments[0].pk)
    return render(
        request, "portal/pay.html", {"form": form, "has_bindings": bool(bindings)}, status=form_status(form)
    )


@login_required
def pay_self_view(request):
    """The relative pays his own premium; whose account pays is decided by the rule, shown after."""
    person = page_person(request)
    resident = insuree_get(person=person, scheme=Scheme.RESIDENT)
    if resident is None:
        raise Http404
    form = SelfPayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment = payment_create_for_self(
                beneficiary=resident.person,
                year=form.cleaned_data["year"],
                actor=Actor(user=request.user, idempotency_key=form.cleaned_data["idempotency_key"]),
            )
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("Paid. The receipt is below."))
            return redirect("payment-detail", payment_id=payment.pk)
    return render(request, "portal/pay_self.html", {"form": form}, status=form_status(form))


@login_required
def payment_detail_view(request, payment_id: int):
    person = page_person(request)
    try:
        payment = payment_get_for_person(person=person, payment_id=payment_id)
    except ApplicationError:
        raise Http404 from None
    return render(request, "portal/payment_detail.html", {"payment": payment})


@login_required
def receipt_view(request, payment_id: int):
    person = page_person(request)
    try:
        payment = payment_get_for_person(person=person, payment_id=payment_id)
    except ApplicationError:
        raise Http404 from None
    response = HttpResponse(receipt_pdf(payment=payment), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{payment.reference}.pdf"'
    return response


@login_required
def records_view(request):
    """Expenditure records of my account, and the payments made for me."""
    person = page_person(request)
    expenditures = Paginator(expenditure_list_for_person(person=person), 20).get_page(request.GET.get("page"))
    received = [
        p for p in payment_list_for_person(person=person)[:50] if p.beneficiary.person_id == person.pk
    ]
    return render(request, "portal/records.html", {"expenditures": expenditures, "received": received})


@login_required
def notifications_view(request):
    person = page_person(request)
    page = Paginator(notification_list_for_person(person=person), 20).get_page(request.GET.get("page"))
    items = [(n, notification_text(n)) for n in page]
    return render(request, "portal/notifications.html", {"page": page, "items": items})


@login_required
@require_POST
def notifications_read_view(request):
    notifications_mark_read(person_id=page_person(request).pk)
    return redirect("notifications")


def receipt_verify_view(request):
    form = VerifyForm(request.GET or None)
    payment, checked = None, False
    if form.is_bound and form.is_valid():
        checked = True
        payment = payment_verify(reference=form.cleaned_data["reference"], code=form.cleaned_data["code"])
    return render(
        request,
        "portal/verify.html",
        {"form": form, "payment": payment, "checked": checked},
        status=form_status(form),
    )
