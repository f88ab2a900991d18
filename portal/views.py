"""The home page: each reader's insurances, bindings and premiums, from the apps that own them."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone

from common.permissions import page_person, staff_landing
from insurees.models import Scheme
from insurees.selectors import insurances_of
from mutual_aid.models import BindingStatus
from mutual_aid.selectors import binding_list_for_person
from payments.selectors import PremiumOverview, payment_list_for_person, premium_overview_for_many
from portal.context_processors import staff_pages_exist
from portal.expenditures import expenditure_records_for_person


@login_required
def home_view(request):
    person = getattr(request.user, "person", None)
    if person is None:
        # Staff accounts have no person: each lands on the page its role may use.
        return redirect(staff_landing(request.user) if staff_pages_exist() else "admin:index")
    insurances = insurances_of(person=person)
    schemes = {insuree.scheme for insuree in insurances}
    bindings = list(binding_list_for_person(person=person))
    given = [b for b in bindings if b.authorizer.person_id == person.pk]
    received = [b for b in bindings if b.beneficiary.person_id == person.pk]
    active_beneficiaries = [b.beneficiary for b in given if b.status == BindingStatus.ACTIVE]
    own_resident = [b.beneficiary for b in received[:1]]
    # Only the years open today are shown as due, each with its deadline; closed years are history.
    overviews = premium_overview_for_many(
        beneficiaries=active_beneficiaries + own_resident, today=timezone.localdate()
    )
    own = overviews.get(own_resident[0].pk, PremiumOverview()) if own_resident else None
    return render(
        request,
        "portal/home.html",
        {
            "person": person,
            "insurances": insurances,
            "is_employee": Scheme.EMPLOYEE in schemes,
            "is_resident": Scheme.RESIDENT in schemes,
            "given": [(b, overviews.get(b.beneficiary_id)) for b in given],
            "given_bindings": given,
            "received": received,
            "own": own,
            # Offered only while an open year is unpaid and some bound account may pay it.
            "can_pay_self": own is not None
            and any(not due.paid for due in own.open)
            and any(b.status == BindingStatus.ACTIVE for b in received),
        },
    )


@login_required
def records_view(request):
    """Expenditure records of my account, and the premiums paid for me."""
    person = page_person(request)
    # A resident alone has no personal account, and so no expenditure records to show.
    has_account = any(insuree.scheme == Scheme.EMPLOYEE for insuree in insurances_of(person=person))
    records = expenditure_records_for_person(person=person) if has_account else []
    expenditures = Paginator(records, 20).get_page(request.GET.get("page"))
    received = [
        p for p in payment_list_for_person(person=person)[:50] if p.beneficiary.person_id == person.pk
    ]
    return render(
        request,
        "portal/records.html",
        {"has_account": has_account, "expenditures": expenditures, "received": received},
    )
