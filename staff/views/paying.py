"""The counter pays a premium for a walk-in applicant."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import ApplicationError
from common.forms import add_application_error
from staff.forms import CounterPaymentForm
from staff.services import counter_payment_create
from staff.views.access import counter_only, current_counter, current_person
from staff.views.counter import render_person


@counter_only
@require_POST
def pay_view(request):
    person = current_person(request)
    if person is None:
        return redirect("staff:home")
    form = CounterPaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = counter_payment_create(
                operator=request.user,
                counter_id=current_counter(request),
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
    return render_person(request, person, payment_form=form)
