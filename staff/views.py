"""The counter workspace and the auditors' review; ID numbers travel in POST bodies and the session,
never in URLs."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import ApplicationError
from common.forms import add_application_error, form_status
from common.permissions import AUDITOR, COUNTER_STAFF, COUNTER_SUPERVISOR
from insurees.models import Person
from insurees.selectors import person_get
from mutual_aid.selectors import pledge_current
from payments.receipts import receipt_pdf
from payments.selectors import (
    payment_get,
    payment_latest_year,
    payment_list_for_review,
    payment_review_charts,
    payment_review_totals,
    payment_stats,
)
from staff.apis import review_csv_response
from staff.forms import (
    CounterBindingForm,
    CounterForm,
    CounterPaymentForm,
    LookupForm,
    RefundForm,
    ReviewForm,
)
from staff.selectors import person_detail
from staff.services import (
    counter_binding_create,
    counter_payment_create,
    counter_payment_refund,
    counter_person_lookup,
)

SESSION_PERSON = "staff_person_id"
SESSION_COUNTER = "staff_counter_id"


def role_required(*groups):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not (user.is_superuser or user.groups.filter(name__in=groups).exists()):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


counter_only = role_required(COUNTER_STAFF, COUNTER_SUPERVISOR)


def _counter(request) -> str:
    return request.session.get(SESSION_COUNTER, "")


def _current_person(request) -> Person | None:
    person_id = request.session.get(SESSION_PERSON)
    return person_get(person_id=person_id) if person_id else None


def _is_supervisor(user) -> bool:
    return user.is_superuser or user.groups.filter(name=COUNTER_SUPERVISOR).exists()


@counter_only
def home_view(request):
    lookup = LookupForm(request.POST or None) if "id_number" in request.POST else LookupForm()
    counter = (
        CounterForm(request.POST or None, initial={"counter_id": _counter(request)})
        if "counter_id" in request.POST
        else CounterForm(initial={"counter_id": _counter(request)})
    )
    if request.method == "POST" and "counter_id" in request.POST and counter.is_valid():
        request.session[SESSION_COUNTER] = counter.cleaned_data["counter_id"]
        return redirect("staff:home")
    if request.method == "POST" and "id_number" in request.POST and lookup.is_valid():
        try:
            person = counter_person_lookup(
                operator=request.user,
                counter_id=_counter(request),
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
        {"lookup": lookup, "counter": counter, "counter_id": _counter(request)},
        status=form_status(lookup, counter),
    )


@counter_only
def person_view(request):
    person = _current_person(request)
    if person is None:
        return redirect("staff:home")
    return _render_person(request, person)


def _render_person(request, person, binding_form=None, payment_form=None, refund_forms=None):
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
            "payment_form": payment_form or CounterPaymentForm(),
            "refund_form": RefundForm(),
            "can_refund": _is_supervisor(request.user),
            "pledge": pledge,
            "counter_id": _counter(request),
        },
        status=form_status(binding_form, payment_form),
    )


@counter_only
@require_POST
def bind_view(request):
    person = _current_person(request)
    if person is None:
        return redirect("staff:home")
    form = CounterBindingForm(request.POST)
    pledge = pledge_current()
    if form.is_valid():
        data = form.cleaned_data
        try:
            counter_binding_create(
                operator=request.user,
                counter_id=_counter(request),
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
            messages.success(request, _("Bound."))
            return redirect("staff:person")
    return _render_person(request, person, binding_form=form)


@counter_only
@require_POST
def pay_view(request):
    person = _current_person(request)
    if person is None:
        return redirect("staff:home")
    form = CounterPaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = counter_payment_create(
                operator=request.user,
                counter_id=_counter(request),
                beneficiary_id_number=data["beneficiary_id_number"],
                year=data["year"],
                idempotency_key=data["idempotency_key"],
                authorizer_id_number=None if data["by_rule"] else person.id_number,
            )
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(
                request,
                _("Paid %(reference)s from the account of %(name)s. Print the receipt for the applicant.")
                % {"reference": payment.reference, "name": payment.authorizer.person.name},
            )
            return redirect("staff:person")
    return _render_person(request, person, payment_form=form)


@role_required(COUNTER_SUPERVISOR)
@require_POST
def refund_view(request, payment_id: int):
    payment = payment_get(payment_id=payment_id)
    if payment is None:
        raise Http404
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            counter_payment_refund(
                operator=request.user, counter_id=_counter(request), payment=payment, **form.cleaned_data
            )
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Refunded %(reference)s.") % {"reference": payment.reference})
    else:
        messages.error(request, _("Choose a refund reason from the list."))
    return redirect("staff:person")


@counter_only
def receipt_view(request, payment_id: int):
    payment = payment_get(payment_id=payment_id)
    if payment is None:
        raise Http404
    response = HttpResponse(receipt_pdf(payment=payment), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{payment.reference}.pdf"'
    return response


@role_required(AUDITOR)
def review_view(request):
    form = ReviewForm(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    payments = payment_list_for_review(**filters)
    if request.GET.get("format") == "csv" and (form.is_valid() or not form.is_bound):
        return review_csv_response(payments)
    latest_year = payment_latest_year()
    return render(
        request,
        "staff/review.html",
        {
            "form": form,
            "page": Paginator(payments, 25).get_page(request.GET.get("page")),
            "totals": payment_review_totals(payments=payments),
            "charts": payment_review_charts(payments=payments),
            "stats": payment_stats(year=latest_year) if latest_year else None,
            "query": request.GET.urlencode(),
        },
        status=form_status(form),
    )
