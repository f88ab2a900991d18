"""The home page: each reader's insurances, bindings and premiums due, from the apps that own them."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from insurees.selectors import insurances_of
from mutual_aid.models import BindingStatus
from mutual_aid.selectors import binding_list_for_person
from payments.selectors import premiums_due_for_many
from portal.context_processors import staff_pages_exist


@login_required
def home_view(request):
    person = getattr(request.user, "person", None)
    if person is None:
        # Staff accounts have no person: their workspace is the counter or the admin.
        return (
            redirect("staff:home")
            if staff_pages_exist() and request.user.groups.exists()
            else redirect("admin:index")
        )
    this_year = timezone.localdate().year
    years = [this_year, this_year + 1]
    bindings = list(binding_list_for_person(person=person))
    given = [b for b in bindings if b.authorizer.person_id == person.pk]
    received = [b for b in bindings if b.beneficiary.person_id == person.pk]
    active_beneficiaries = [b.beneficiary for b in given if b.status == BindingStatus.ACTIVE]
    own_resident = [b.beneficiary for b in received[:1]]
    dues = premiums_due_for_many(beneficiaries=active_beneficiaries + own_resident, years=years)
    return render(
        request,
        "portal/home.html",
        {
            "person": person,
            "insurances": insurances_of(person=person),
            "given": [(b, dues.get(b.beneficiary_id, [])) for b in given],
            "received": received,
            "own_dues": dues.get(own_resident[0].pk, []) if own_resident else [],
            "years": years,
        },
    )
