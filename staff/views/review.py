"""The auditors' review of expenditure records, and the day's reconciliation."""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import form_status
from common.money import format_yuan
from insurees.regions import region_name
from insurees.selectors import region_codes_configured
from payments.selectors import (
    payment_latest_year,
    payment_list_for_review,
    payment_review_charts,
    payment_review_totals,
    payment_stats,
)
from staff.apis import review_csv_response
from staff.forms import ReconciliationForm, ReviewForm
from staff.selectors import reconcile, reconciliation_run_list
from staff.views.access import auditor_only


@auditor_only
def review_view(request: HttpRequest) -> HttpResponseBase:
    """An invalid filter shows its error and no data at all: no table, no figures, no CSV."""
    form = ReviewForm(request.GET or None, region_codes=region_codes_configured())
    context: dict[str, Any] = {"form": form, "query": request.GET.urlencode()}
    if form.is_bound and not form.is_valid():
        return render(request, "staff/review.html", context, status=form_status(form))
    payments = payment_list_for_review(**(form.filters if form.is_bound else {}))
    if request.GET.get("format") == "csv":
        return review_csv_response(payments, for_page=True)
    # The year block follows the filters: the latest coverage year among the filtered payments.
    year = payment_latest_year(payments=payments)
    context |= {
        "shown": True,
        "page": Paginator(payments, 25).get_page(request.GET.get("page")),
        "totals": payment_review_totals(payments=payments),
        "charts": _named_regions(payment_review_charts(payments=payments)),
        "stats": payment_stats(year=year, payments=payments) if year else None,
        "csv_query": _without(request.GET, "page", "format"),
        "page_query": _without(request.GET, "page"),
    }
    return render(request, "staff/review.html", context)


@auditor_only
def reconciliation_view(request: HttpRequest) -> HttpResponse:
    """One day's reconciliation, today by default: ledger against payments against enrollments."""
    form = ReconciliationForm(request.GET or {"date": timezone.localdate().isoformat()})
    result = reconcile(date=form.cleaned_data["date"]) if form.is_valid() else None
    return render(
        request,
        "staff/reconciliation.html",
        {
            "form": form,
            "result": result,
            "mismatches": mismatch_rows(result.mismatches) if result else [],
            "runs": reconciliation_run_list(limit=14),
        },
        status=form_status(form),
    )


def _named_regions(charts: dict) -> dict:
    """The chart per region labels its bars with the regions' names (大连市, Dalian), not their codes."""
    per_region = [{**row, "region_name": region_name(row["region_code"])} for row in charts["per_region"]]
    return {**charts, "per_region": per_region}


def _without(query: QueryDict, *names: str) -> str:
    kept = query.copy()
    for name in names:
        kept.pop(name, None)
    return kept.urlencode()


# What each kind of mismatch means, and the name of each fact reported with it (staff.selectors.reconcile).
MISMATCH_KINDS = {
    "ledger_unbalanced": _("The payment's ledger transaction does not sum to zero."),
    "ledger_amount": _("The amount debited in the ledger differs from the payment's amount."),
    "enrollment_not_synced": _("The payment is settled, but the enrollment is not marked paid."),
    "refunded_enrollment_still_paid": _("The payment was refunded, but the enrollment is still marked paid."),
    "refund_amount": _("The amount credited back in the ledger differs from the refunded payment's amount."),
    "ledger_without_payment": _("A premium posting in the ledger has no payment."),
    "balance_differs_from_entries": _("An account's balance differs from the sum of its entries."),
}
FACT_NAMES = {
    "transaction": _("Ledger transaction"),
    "reference": _("Reference"),
    "account": _("Account"),
    "synced_at": _("Synced at"),
    "ledger_fen": _("Ledger amount"),
    "payment_fen": _("Payment amount"),
    "balance_fen": _("Balance"),
    "entries_fen": _("Sum of entries"),
}


@dataclass(frozen=True)
class MismatchRow:
    kind: str
    description: str
    payment: str | None
    facts: list[tuple[str, str]]


def mismatch_rows(mismatches: list[dict]) -> list[MismatchRow]:
    """The reconciliation's mismatches as the page lists them: amounts in yuan, facts named."""
    rows = []
    for mismatch in mismatches:
        facts = [
            (
                str(FACT_NAMES.get(name, name)),
                f"¥{format_yuan(value)}" if name.endswith("_fen") else str(value),
            )
            for name, value in mismatch.items()
            if name not in ("kind", "payment") and value not in ("", None)
        ]
        kind = mismatch["kind"]
        rows.append(MismatchRow(kind, str(MISMATCH_KINDS.get(kind, kind)), mismatch.get("payment"), facts))
    return rows


def _fact_value(name: str, value: object) -> str:
    return f"¥{format_yuan(value)}" if name.endswith("_fen") and isinstance(value, int) else str(value)
