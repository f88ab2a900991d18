"""The auditors' review of expenditure records."""

from django.core.paginator import Paginator
from django.shortcuts import render

from common.forms import form_status
from common.permissions import AUDITOR
from payments.selectors import (
    payment_latest_year,
    payment_list_for_review,
    payment_review_charts,
    payment_review_totals,
    payment_stats,
)
from staff.apis import review_csv_response
from staff.forms import ReviewForm
from staff.views.access import role_required


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
