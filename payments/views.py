from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from common.errors import ApplicationError
from common.forms import add_application_error, form_status
from common.permissions import page_person
from insurees.models import PremiumKind, Scheme
from insurees.selectors import collection_open, insuree_get, premium_rate_list, premium_rate_next_opening
from ledger.selectors import account_balance_get
from mutual_aid import errors as binding_errors
from mutual_aid.models import BindingStatus
from mutual_aid.selectors import binding_active_exists_for_beneficiary, binding_list_for_person
from payments.confirmation import (
    PAYMENT_CHANGED,
    confirmation_posted,
    confirmation_shown_again,
    confirmation_value,
)
from payments.drafts import draft_get, draft_key, draft_premium_kind, draft_save
from payments.forms import ConfirmForm, PayForm, SelfPayForm, VerifyForm, kind_choices, year_choices
from payments.outcome_page import payment_outcome_unknown_page
from payments.receipts import receipt_pdf
from payments.selectors import (
    payment_get_for_person,
    payment_list_for_idempotency_key,
    payment_preview_for_relatives,
    payment_preview_for_self,
    payment_verify,
)
from payments.services import (
    Actor,
    payment_create_for_self,
    payments_create_for_relatives,
)

# Paying, in three steps (the GOV.UK "check your answers" pattern): choose, check what would move
# (nothing moves yet), confirm. The idempotency key is made with the choice and names the check and
# confirmation pages, so a double click or a reload pays once and the confirmation stays findable.

RELATIVES, SELF = "relatives", "self"
FIELD_MAP = {
    "beneficiary_id_numbers": "beneficiaries",
    "beneficiary_id_number": "beneficiaries",
    "kind": "premium_kind",
}


@login_required
def pay_view(request):
    """Step 1 for an authorizer: which bound relatives, which premium (where a region sets more than
    the resident one), which open year. The choice is judged as the payment would judge it, so a
    refusal is shown here, before the check page."""
    person = page_person(request)
    journey = _RelativesJourney(request, person)
    if not journey.is_employee:
        return journey.render(None)
    form = journey.form(request.POST or None, initial=_change_initial(request, RELATIVES))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            journey.preview(
                year=data["year"], beneficiary_ids=data["beneficiaries"], kind=data["premium_kind"]
            )
        except ApplicationError as error:
            add_application_error(form, error, FIELD_MAP)
        else:
            key = draft_key(request, key=data["idempotency_key"])
            draft = {
                "kind": RELATIVES,
                "year": data["year"],
                "beneficiaries": data["beneficiaries"],
                "premium_kind": str(data["premium_kind"]),
            }
            draft_save(request, key=key, draft=draft)
            return redirect("pay-check", key=key)
    return journey.render(form)


@login_required
def pay_check_view(request, key: str):
    """Step 2: each relative, kind, year and amount, the total, the account and its balance before
    and after; "Confirm and pay" makes the payment (step 3), the same key making it once, at the amounts
    this page showed or not at all."""
    person = page_person(request)
    if payment_list_for_idempotency_key(user=request.user, key=key):
        return redirect("pay-done", key=key)
    draft = draft_get(request, key=key, kind=RELATIVES)
    if draft is None:
        raise Http404  # another user's key, or none: as if it did not exist
    journey = _RelativesJourney(request, person)

    def preview():
        return journey.preview(
            year=draft["year"], beneficiary_ids=draft["beneficiaries"], kind=draft_premium_kind(draft)
        )

    if request.method == "POST":
        confirmed = confirmation_posted(request, draft)
        if confirmed is None:
            return redirect("pay-check", key=key)
        try:
            payments_create_for_relatives(
                authorizer=person,
                relative_id_numbers=journey.id_numbers(draft["beneficiaries"]),
                year=draft["year"],
                actor=Actor(user=request.user, idempotency_key=key),
                kind=draft_premium_kind(draft),
                expected_amounts_fen=confirmed.amounts_fen,
            )
        except ApplicationError as error:
            if error.status == 503:  # the outcome is not known: the same key asks again
                return payment_outcome_unknown_page(request, records_url=reverse("records"))
            if error.code == PAYMENT_CHANGED:  # an amount changed since this page: nothing moved
                return confirmation_shown_again(
                    request,
                    to="pay-check",
                    key=key,
                    confirmed=confirmed,
                    refusal=error,
                    preview=preview,
                    reader=person,
                )
            return journey.render(journey.refused(draft, key, error))
        # The draft stays (a paid key leads to its confirmation): nothing is written after the payment,
        # so its answer cannot fail once the money has moved.
        return redirect("pay-done", key=key)
    try:
        shown = preview()
    except ApplicationError as error:
        return journey.render(journey.refused(draft, key, error))
    return render(
        request,
        "portal/pay_check.html",
        {
            "preview": shown,
            "person": person,
            "confirm": ConfirmForm(initial={"choice": confirmation_value(draft, shown)}),
            "change_url": f"{reverse('pay')}?change={key}",
        },
    )


@login_required
def pay_self_view(request):
    """Step 1 for a relative paying his own premium: which premium (where his region sets more than
    the resident one), which open year. The account is the rule's."""
    person = page_person(request)
    journey = _SelfJourney(request, person)
    form = journey.form(request.POST or None, initial=_change_initial(request, SELF))
    if request.method == "POST" and form.is_valid() and journey.can_pay:
        data = form.cleaned_data
        try:
            journey.preview(year=data["year"], kind=data["premium_kind"])
        except ApplicationError as error:
            add_application_error(form, error, FIELD_MAP)
        else:
            key = draft_key(request, key=data["idempotency_key"])
            draft = {"kind": SELF, "year": data["year"], "premium_kind": str(data["premium_kind"])}
            draft_save(request, key=key, draft=draft)
            return redirect("pay-self-check", key=key)
    return journey.render(form)


@login_required
def pay_self_check_view(request, key: str):
    """Step 2 for a relative: his premium, and whose account the rule would pick as he may see it (the
    name and relation, never that account's balance); the rule picks again at the moment of payment,
    and if it picks another account, or the amount changed, nothing is paid and this page shows it."""
    person = page_person(request)
    if payment_list_for_idempotency_key(user=request.user, key=key):
        return redirect("pay-done", key=key)
    draft = draft_get(request, key=key, kind=SELF)
    if draft is None:
        raise Http404  # another user's key, or none: as if it did not exist
    journey = _SelfJourney(request, person)

    def preview():
        return journey.preview(year=draft["year"], kind=draft_premium_kind(draft))

    if request.method == "POST":
        confirmed = confirmation_posted(request, draft)
        if confirmed is None:
            return redirect("pay-self-check", key=key)
        try:
            payment_create_for_self(
                beneficiary=person,
                year=draft["year"],
                actor=Actor(user=request.user, idempotency_key=key),
                kind=draft_premium_kind(draft),
                expected_amount_fen=confirmed.total_fen,
                expected_payer_id=confirmed.payer_id,
            )
        except ApplicationError as error:
            if error.status == 503:  # the outcome is not known: the same key asks again
                return payment_outcome_unknown_page(request, records_url=reverse("records"))
            if error.code == PAYMENT_CHANGED:  # the amount or the account changed: nothing moved
                return confirmation_shown_again(
                    request,
                    to="pay-self-check",
                    key=key,
                    confirmed=confirmed,
                    refusal=error,
                    preview=preview,
                    reader=person,
                )
            return journey.render(journey.refused(draft, key, error))
        # The draft stays (a paid key leads to its confirmation): nothing is written after the payment,
        # so its answer cannot fail once the money has moved.
        return redirect("pay-done", key=key)
    try:
        shown = preview()
    except ApplicationError as error:
        return journey.render(journey.refused(draft, key, error))
    return render(
        request,
        "portal/pay_self_check.html",
        {
            "preview": shown,
            "person": person,
            "confirm": ConfirmForm(initial={"choice": confirmation_value(draft, shown)}),
            "change_url": f"{reverse('pay-self')}?change={key}",
        },
    )


@login_required
def pay_done_view(request, key: str):
    """Step 3: every payment the request made, each with its receipt, as it actually happened; found
    again from the key by its own user only."""
    person = page_person(request)
    payments = payment_list_for_idempotency_key(user=request.user, key=key)
    if not payments:
        raise Http404
    payer = payments[0].authorizer
    # The payer's balance is his own business: a relative paying his own premium is not shown it.
    balance = (
        account_balance_get(account_id=payer.account_id)
        if payer.person_id == person.pk and payer.account_id is not None
        else None
    )
    return render(
        request,
        "portal/pay_done.html",
        {
            "payments": payments,
            "person": person,
            "total_fen": sum(p.amount_fen for p in payments),
            "balance_fen": balance,
        },
    )


class _RelativesJourney:
    """What the authorizer's pay pages share: his active bindings and the years open for them."""

    def __init__(self, request, person) -> None:
        self.request, self.person = request, person
        self.employee = insuree_get(person=person, scheme=Scheme.EMPLOYEE)
        self.is_employee = self.employee is not None
        mine = [b for b in binding_list_for_person(person=person) if b.authorizer.person_id == person.pk]
        self.all_bindings = {b.beneficiary_id: b for b in reversed(mine)}  # the newest binding wins
        self.bindings = [b for b in mine if b.status == BindingStatus.ACTIVE]
        self.rates = premium_rate_list(region_codes={b.beneficiary.region_code for b in self.bindings})
        open_rates = [r for r in self.rates if collection_open(r, timezone.localdate())]
        self.years = year_choices(open_rates)
        self.kinds = kind_choices(open_rates)

    def form(self, data=None, initial=None) -> PayForm:
        return PayForm(
            data,
            bindings=self.bindings,
            years=self.years,
            kinds=self.kinds,
            reader=self.person,
            initial=initial,
        )

    def preview(self, *, year: int, beneficiary_ids: list[int], kind: PremiumKind):
        beneficiaries = [self._beneficiary(pk) for pk in beneficiary_ids]
        return payment_preview_for_relatives(
            authorizer=self.person, beneficiaries=beneficiaries, year=year, kind=kind
        )

    def id_numbers(self, beneficiary_ids: list[int]) -> list[str]:
        return [self._beneficiary(pk).person.id_number for pk in beneficiary_ids]

    def _beneficiary(self, pk: int):
        binding = self.all_bindings.get(pk)
        if binding is None:
            raise binding_errors.binding_not_found()
        return binding.beneficiary

    def refused(self, draft, key: str, error: ApplicationError) -> PayForm:
        """Step 1 again, with the choice and the refusal that stopped it."""
        form = self.form(
            {
                "year": draft["year"],
                "beneficiaries": draft["beneficiaries"],
                "premium_kind": draft_premium_kind(draft),
                "idempotency_key": key,
            }
        )
        form.is_valid()
        add_application_error(form, error, FIELD_MAP)
        return form

    def render(self, form: PayForm | None):
        shown = form if self.years else None
        return render(
            self.request,
            "portal/pay.html",
            {
                "form": shown,
                "is_employee": self.is_employee,
                "is_resident": insuree_get(person=self.person, scheme=Scheme.RESIDENT) is not None,
                "has_bindings": bool(self.bindings),
                "next_rate": premium_rate_next_opening(rates=self.rates, today=timezone.localdate()),
            },
            status=_status(self.request, shown),
        )


class _SelfJourney:
    """What the relative's pay pages share: his resident registration and its open years."""

    def __init__(self, request, person) -> None:
        self.request, self.person = request, person
        resident = insuree_get(person=person, scheme=Scheme.RESIDENT)
        if resident is None:
            raise Http404
        self.resident = resident
        self.can_pay = binding_active_exists_for_beneficiary(person=person)
        self.rates = premium_rate_list(region_codes={resident.region_code})
        open_rates = [r for r in self.rates if collection_open(r, timezone.localdate())]
        self.years = year_choices(open_rates)
        self.kinds = kind_choices(open_rates)

    def form(self, data=None, initial=None) -> SelfPayForm:
        return SelfPayForm(
            data, years=self.years, kinds=self.kinds, beneficiary=self.resident, initial=initial
        )

    def preview(self, *, year: int, kind: PremiumKind):
        return payment_preview_for_self(beneficiary=self.person, year=year, kind=kind)

    def refused(self, draft, key: str, error: ApplicationError) -> SelfPayForm:
        form = self.form(
            {"year": draft["year"], "premium_kind": draft_premium_kind(draft), "idempotency_key": key}
        )
        form.is_valid()
        add_application_error(form, error, FIELD_MAP)
        return form

    def render(self, form: SelfPayForm):
        shown = form if self.years and self.can_pay else None
        return render(
            self.request,
            "portal/pay_self.html",
            {
                "form": shown,
                "can_pay": self.can_pay,
                "next_rate": premium_rate_next_opening(rates=self.rates, today=timezone.localdate()),
            },
            status=_status(self.request, shown),
        )


def _status(request, form) -> int:
    """400 for a refused choice, and for any choice sent where none can be made (no year open, no
    account bound)."""
    if form is None:
        return 400 if request.method == "POST" else 200
    return form_status(form)


def _change_initial(request, kind: str) -> dict | None:
    """The "Change" link's way back to step 1: the choice as it was, under the same key."""
    key = request.GET.get("change", "")
    draft = draft_get(request, key=key, kind=kind) if request.method == "GET" and key else None
    if draft is None:
        return None
    return {"idempotency_key": key, **{k: v for k, v in draft.items() if k != "kind"}}


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
    response = HttpResponse(receipt_pdf(payment=payment, request=request), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{payment.reference}.pdf"'
    return response


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
