"""The family's statements of allowances: the relative's 我的共济额度 (the allowances set for him and
what he spent where), and the authorizer's page per relative (where and on what each payment from his
allowance went). Institution, category, amount, date and status: never what was bought, which is not
stored."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from common.errors import ApplicationError
from common.permissions import page_person
from medical.selectors import allowance_active_for_binding, allowance_list_for_beneficiary
from medical.settlement_selectors import settlement_list_for_beneficiary, settlement_list_for_binding
from mutual_aid.selectors import binding_get_for_person

PER_PAGE = 20


@login_required
def my_allowances_view(request):
    person = page_person(request)
    settlements = Paginator(settlement_list_for_beneficiary(person=person), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portal/my_allowances.html",
        {"allowances": allowance_list_for_beneficiary(person=person), "settlements": settlements},
    )


@login_required
def allowance_spending_view(request, binding_id: int):
    """The authorizer's own binding only, ended ones too (what was paid stays his to see); anyone
    else's is a page that does not exist."""
    person = page_person(request)
    try:
        binding = binding_get_for_person(person=person, binding_id=binding_id)
    except ApplicationError:
        raise Http404 from None
    if binding.authorizer.person_id != person.pk:
        raise Http404
    settlements = Paginator(
        settlement_list_for_binding(authorizer=person, binding_id=binding.pk), PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/allowance_spending.html",
        {
            "binding": binding,
            "allowance": allowance_active_for_binding(binding_id=binding.pk),
            "settlements": settlements,
        },
    )
