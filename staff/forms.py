from collections.abc import Collection
from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from common.forms import AccessibleForm, IdNumberFormField, add_application_error
from insurees.models import Insuree, Person, PremiumKind, Scheme
from insurees.regions import is_pooling_region_code, is_province_code, region_name
from insurees.selectors import collection_open, insuree_get, premium_rate_list, premium_rate_next_opening
from medical.amounts import amount_fen_from
from mutual_aid.forms import relation_field
from mutual_aid.models import Binding, BindingStatus, Relation
from mutual_aid.selectors import binding_list_for_person
from payments.forms import (
    IdempotentForm,
    OffersPayableChoice,
    OpenYearField,
    PremiumKindChoice,
    PremiumKindField,
    Unpayable,
    binding_label,
    choices_set,
    kind_choices,
    payable_choices,
    year_choices,
)
from payments.models import PaymentChannel, PaymentStatus, RefundReason
from staff import errors


class LookupForm(AccessibleForm):
    # A help text, not a paragraph of the template, so the input is described by it (aria-describedby).
    id_number = IdNumberFormField(
        label=_("Applicant's ID number"),
        help_text=_("The full ID number is shown only at the counter, and every lookup is recorded."),
    )


class CounterForm(AccessibleForm):
    counter_id = forms.RegexField(label=_("Counter number"), regex=r"^[A-Za-z0-9-]{1,32}$", max_length=32)


class CounterBindingForm(AccessibleForm):
    beneficiary_id_number = IdNumberFormField(label=_("Relative's ID number"))
    beneficiary_name = forms.CharField(label=_("Relative's name"), max_length=64)
    relation = relation_field(label=_("The relative is the applicant's"))
    paper_pledge_ref = forms.CharField(label=_("Paper pledge form number"), max_length=64)
    identity_confirmed = forms.BooleanField(
        label=_("I have checked the applicant's ID card in person, and the signed paper pledge."),
        error_messages={"required": _("Check the applicant's identity before binding.")},
    )


@dataclass(frozen=True)
class CounterPayee:
    """Someone whose premium the applicant on screen may pay: himself, by the self-payment rule, or
    a relative bound to him, from his own personal account (binding set)."""

    value: str
    beneficiary: Insuree
    binding: Binding | None


SELF_PAYEE = "self"


class CounterPaymentForm(PremiumKindChoice, IdempotentForm):
    """Whose premium, which premium (where a region sets more than the resident one) and which open
    year: the applicant on screen chooses from his own people, so no ID number is typed again, and the
    account follows from the choice."""

    payee = OffersPayableChoice(
        label=_("Whose premium"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whose premium to pay.")},
    )
    premium_kind = PremiumKindField()
    year = OpenYearField()

    def __init__(self, *args, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        # Every payee is accepted (one paid since the page was shown is refused by name); only those
        # with a premium still to pay are offered, with the years and kinds they may pay.
        self.payees = counter_payees(person=person)
        rates = premium_rate_list(region_codes={p.beneficiary.region_code for p in self.payees})
        today = timezone.localdate()
        self.open_rates = [r for r in rates if collection_open(r, today)]
        self.years = year_choices(self.open_rates)
        kinds = kind_choices(self.open_rates)
        offer = payable_choices(residents=[p.beneficiary for p in self.payees], years=self.years, kinds=kinds)
        payable = {resident.pk for resident in offer.payable}
        offered = [p for p in self.payees if p.beneficiary.pk in payable]
        choices_set(
            self,
            "payee",
            [(p.value, _payee_label(p, person)) for p in offered],
            accepted=[p.value for p in self.payees],
        )
        if len(offered) == 1:
            self.initial.setdefault("payee", offered[0].value)
        self.kinds_set(offer.kinds, accepted=[kind for kind, _label in kinds])
        choices_set(self, "year", offer.years, accepted=[year for year, _label in self.years])
        self.unpayable = [
            Unpayable(_payee_name(p, person), offer.overviews[p.beneficiary.pk].settled_years)
            for p in self.payees
            if p.beneficiary.pk not in payable
        ]
        self.nothing_to_pay = self.can_pay and not offered
        self.next_rate = premium_rate_next_opening(rates=rates, today=today)

    @property
    def can_pay(self) -> bool:
        """Whether a year is open for someone the applicant may pay for (paid or not)."""
        return bool(self.payees and self.years)

    def payee_for(self, value: str) -> CounterPayee | None:
        return next((p for p in self.payees if p.value == value), None)

    def refusal_add(self, error: ApplicationError, field_map: dict[str, str]) -> None:
        """The refusal next to its field, in the counter's words: the self-payment rule's "the accounts
        bound to you" would speak to the clerk, so it names the applicant's."""
        payee = self.payee_for(str(self.data.get("payee", "")))
        if error.code == "insufficient_balance" and payee is not None and payee.binding is None:
            amount_fen = self._premium_fen(payee)
            if amount_fen is not None:
                error = errors.applicant_accounts_cannot_pay(amount_fen)
        add_application_error(self, error, field_map)

    def _premium_fen(self, payee: CounterPayee) -> int | None:
        """The chosen premium's amount for this payee, from the open rates."""
        data = getattr(self, "cleaned_data", {})
        chosen = (payee.beneficiary.region_code, data.get("year"), data.get("premium_kind"))
        return next(
            (r.amount_fen for r in self.open_rates if (r.region_code, r.year, r.kind) == chosen), None
        )


def counter_payees(*, person: Person) -> list[CounterPayee]:
    """The applicant himself if he is a resident with a binding to pay through, then his bound
    relatives if he is an employee, the newest binding first."""
    bindings = list(binding_list_for_person(person=person))
    payees = []
    resident = insuree_get(person=person, scheme=Scheme.RESIDENT)
    if resident is not None and any(
        b.beneficiary_id == resident.pk and b.status == BindingStatus.ACTIVE for b in bindings
    ):
        payees.append(CounterPayee(value=SELF_PAYEE, beneficiary=resident, binding=None))
    payees += [
        CounterPayee(value=f"relative-{b.beneficiary_id}", beneficiary=b.beneficiary, binding=b)
        for b in bindings
        if b.authorizer.person_id == person.pk and b.status == BindingStatus.ACTIVE
    ]
    return payees


def _payee_name(payee: CounterPayee, person: Person) -> str:
    """Whom a premium is for, as the counter names him among those with nothing to pay."""
    if payee.binding is None:
        return str(
            _("%(name)s (%(relation)s)") % {"name": person.name, "relation": _("The applicant (self)")}
        )
    return binding_label(payee.binding, person)


def _payee_label(payee: CounterPayee, person: Person) -> str:
    if payee.binding is None:
        return str(
            _("%(name)s, the applicant's own premium: from the bound account with the highest balance")
            % {"name": person.name}
        )
    return str(
        _("%(relative)s: from the applicant's own personal account")
        % {"relative": binding_label(payee.binding, person)}
    )


class CounterAllowanceForm(AccessibleForm):
    """The allowance the applicant asks for one relative, in yuan, checked as the API checks it."""

    amount = forms.CharField(
        label=_("Allowance (yuan)"),
        max_length=16,
        help_text=_(
            "The most the relative may spend on medical costs at designated hospitals and pharmacies; it "
            "stays in the applicant's personal account, held for them."
        ),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def clean_amount(self) -> int:
        try:
            return amount_fen_from(self.cleaned_data["amount"])
        except ApplicationError as error:
            raise forms.ValidationError(str(error.message), code=error.code) from None


class RefundForm(AccessibleForm):
    """Step 1 chooses a reason (none preselected: the supervisor states it), step 2 confirms it."""

    reason = forms.ChoiceField(
        label=_("Why is the premium refunded?"),
        choices=RefundReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the reason for the refund.")},
    )
    note = forms.CharField(
        label=_("Note (optional)"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    # Set by the confirmation step's button: only then does the refund happen.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ReviewForm(AccessibleForm):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    # A list of named regions, not a box for a code; the values stay codes, so links and the CSV's
    # query keep working.
    region = forms.ChoiceField(
        label=_("Region"),
        required=False,
        error_messages={"invalid_choice": _("Choose a region from the list.")},
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All")), *PaymentChannel.choices], required=False
    )
    relation = forms.ChoiceField(
        label=_("Relation"), choices=[("", _("All")), *Relation.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *PaymentStatus.choices], required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All")), *PremiumKind.choices], required=False)

    def __init__(self, *args, region_codes: Collection[str], **kwargs):
        super().__init__(*args, **kwargs)
        codes = set(region_codes)
        # A link made before a region lost its rate still names a real region: it stays a choice.
        asked = str(self.data.get("region", ""))
        if is_pooling_region_code(asked) or is_province_code(asked):
            codes.add(asked)
        named = [(code, review_region_label(code)) for code in sorted(codes)]
        choices_set(self, "region", [("", str(_("All regions"))), *named])

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_from", _("The start date is after the end date."))
        return data

    @property
    def filters(self) -> dict:
        """The filters given, for payment_list_for_review; only for a valid form."""
        return {name: value for name, value in self.cleaned_data.items() if value}


def review_region_label(code: str) -> str:
    """大连市, or 江苏省（全省） for a province, which covers all its cities; a municipality (110000
    Beijing) is a pooling region of its own, so just its name."""
    name = region_name(code)
    if is_province_code(code) and not is_pooling_region_code(code):
        return str(_("%(province)s (whole province)") % {"province": name})
    return name


class ReconciliationForm(AccessibleForm):
    date = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
