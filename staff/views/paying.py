"""The counter pays a premium for a walk-in applicant, in three steps as online: choose (whose premium,
which premium where a region sets more than the resident one, which open year), check (amount, paying
account, its balance before and after: staff may see it), confirm. The idempotency key names the check
and confirmation pages; ID numbers stay in the session."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from insurees.models import PremiumKind
from ledger.selectors import account_balance_get
from payments.confirmation import (
    PAYMENT_CHANGED,
    confirmation_posted,
    confirmation_shown_again,
    confirmation_value,
)
from payments.drafts import draft_get, draft_key, draft_premium_kind, draft_save
from payments.forms import ConfirmForm
from payments.outcome_page import payment_outcome_unknown_page
from payments.selectors import (
    RelativesPaymentPreview,
    SelfPaymentPreview,
    payment_list_for_idempotency_key,
    payment_preview_for_relatives,
    payment_preview_for_self,
)
from staff.forms import CounterPayee, CounterPaymentForm
from staff.services import counter_payment_create
from staff.views.access import counter_only, current_counter, current_person
from staff.views.counter import render_person

COUNTER = "counter"
FIELD_MAP = {
    "beneficiary_id_numbers": "payee",
    "beneficiary_id_number": "payee",
    "id_number": "payee",
    "kind": "premium_kind",
}


@counter_only
def pay_view(request):
    """Step 1: the choice is judged as the payment would judge it, so a refusal shows here. A GET is
    the check page's "Change" link: the choice as it was, under the same key."""
    person = current_person(request)
    if person is None:
        return redirect("staff:home")
    if request.method != "POST":
        key = request.GET.get("change", "")
        draft = draft_get(request, key=key, kind=COUNTER) if key else None
        if draft is None or draft["person"] != person.pk:
            return redirect("staff:person")
        initial = {
            "idempotency_key": key,
            "payee": draft["payee"],
            "year": draft["year"],
            "premium_kind": draft_premium_kind(draft),
        }
        return render_person(request, person, payment_form=CounterPaymentForm(person=person, initial=initial))
    form = CounterPaymentForm(request.POST, person=person)
    if form.is_valid():
        data = form.cleaned_data
        try:
            _preview(person, form.payee_for(data["payee"]), data["year"], data["premium_kind"])
        except ApplicationError as error:
            form.refusal_add(error, FIELD_MAP)
        else:
            key = draft_key(request, key=data["idempotency_key"])
            draft = {
                "kind": COUNTER,
                "person": person.pk,
                "payee": data["payee"],
                "year": data["year"],
                "premium_kind": str(data["premium_kind"]),
            }
            draft_save(request, key=key, draft=draft)
            return redirect("staff:pay-check", key=key)
    return render_person(request, person, payment_form=form)


@counter_only
def pay_check_view(request, key: str):
    """Step 2, and its "Confirm and pay" (step 3): the payment goes through the normal service, which
    judges everything again and pays only the amount, from the account, this page showed; the
    confirmation shows what it did."""
    if payment_list_for_idempotency_key(user=request.user, key=key):
        return redirect("staff:pay-done", key=key)
    draft = draft_get(request, key=key, kind=COUNTER)
    if draft is None:
        raise Http404  # another clerk's key, or none: as if it did not exist
    person = current_person(request)
    if person is None or draft["person"] != person.pk:
        # The clerk has since looked up another applicant: nothing is paid for the one not on screen.
        messages.info(request, _("That payment was not made; choose it again for the applicant on screen."))
        return redirect("staff:person" if person is not None else "staff:home")
    form = CounterPaymentForm(
        {**draft, "premium_kind": draft_premium_kind(draft), "idempotency_key": key}, person=person
    )
    payee = form.payee_for(draft["payee"])

    def preview():
        return _preview(person, payee, draft["year"], draft_premium_kind(draft))

    if request.method == "POST":
        confirmed = confirmation_posted(request, draft)
        if confirmed is None:
            return redirect("staff:pay-check", key=key)
        try:
            if payee is None:
                raise _no_longer_payable()
            counter_payment_create(
                operator=request.user,
                counter_id=current_counter(request),
                beneficiary_id_number=payee.beneficiary.person.id_number,
                year=draft["year"],
                idempotency_key=key,
                authorizer_id_number=None if payee.binding is None else person.id_number,
                kind=draft_premium_kind(draft),
                expected_amount_fen=confirmed.total_fen,
                expected_payer_id=confirmed.payer_id,
            )
        except ApplicationError as error:
            if error.status == 503:  # the outcome is not known: the same key asks again
                return payment_outcome_unknown_page(request, records_url=reverse("staff:person"))
            if error.code == PAYMENT_CHANGED:  # the amount or the account changed: nothing moved
                return confirmation_shown_again(
                    request,
                    to="staff:pay-check",
                    key=key,
                    confirmed=confirmed,
                    refusal=error,
                    preview=preview,
                    reader=person,
                )
            return _refused(request, person, form, error)
        # Nothing is written after the payment (the draft stays): its answer cannot fail once it is made.
        return redirect("staff:pay-done", key=key)
    try:
        shown = preview()
    except ApplicationError as error:
        return _refused(request, person, form, error)
    return render(
        request,
        "staff/pay_check.html",
        {
            "person": person,
            "preview": shown,
            "by_rule": isinstance(shown, SelfPaymentPreview),
            "confirm": ConfirmForm(initial={"choice": confirmation_value(draft, shown)}),
            "change_url": f"{reverse('staff:pay')}?change={key}",
            "counter_id": current_counter(request),
        },
    )


@counter_only
def pay_done_view(request, key: str):
    """Every payment the request made, each with a receipt to print; only for the clerk who made it."""
    payments = payment_list_for_idempotency_key(user=request.user, key=key)
    if not payments:
        raise Http404
    payer = payments[0].authorizer
    return render(
        request,
        "staff/pay_done.html",
        {
            "person": current_person(request),
            "payments": payments,
            "total_fen": sum(p.amount_fen for p in payments),
            "balance_fen": account_balance_get(account_id=payer.account_id) if payer.account_id else None,
        },
    )


def _preview(
    person, payee: CounterPayee | None, year: int, kind: PremiumKind
) -> RelativesPaymentPreview | SelfPaymentPreview:
    """The applicant's own premium by the self-payment rule; a relative's from the applicant's account."""
    if payee is None:
        raise _no_longer_payable()
    if payee.binding is None:
        return payment_preview_for_self(beneficiary=person, year=year, kind=kind)
    return payment_preview_for_relatives(
        authorizer=person, beneficiaries=[payee.beneficiary], year=year, kind=kind
    )


def _no_longer_payable() -> ApplicationError:
    return ApplicationError(
        "binding_not_found", _("This premium can no longer be paid through the applicant."), field="payee"
    )


def _refused(request, person, form: CounterPaymentForm, error: ApplicationError):
    form.is_valid()
    form.refusal_add(error, FIELD_MAP)
    return render_person(request, person, payment_form=form)
