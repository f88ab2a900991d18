import uuid
from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import AccessibleForm
from common.masking import mask_id_number
from common.money import format_yuan
from insurees.models import Insuree, Person, PremiumKind, PremiumRate
from mutual_aid.models import Binding
from mutual_aid.relations import relation_seen_by
from payments.selectors import PremiumOverview, premium_overview_for_many

YEAR_DIGITS = 4


def year_choices(rates: Iterable[PremiumRate]) -> list[tuple[int, str]]:
    """The years these open rates make payable, latest first; each with its deadline when the
    regions concerned agree on one."""
    ends: dict[int, set] = {}
    for rate in rates:
        ends.setdefault(rate.year, set()).add(rate.collection_end)
    return [
        (
            year,
            str(_("%(year)s (pay by %(end)s)") % {"year": year, "end": next(iter(days)).isoformat()})
            if len(days) == 1
            else str(year),
        )
        for year, days in sorted(ends.items(), reverse=True)
    ]


def kind_choices(rates: Iterable[PremiumRate]) -> list[tuple[str, str]]:
    """The premium kinds these open rates make payable, the resident one first; each with its amount
    when the rates concerned agree on one, so that it is seen before anything is paid."""
    amounts: dict[str, set[int]] = {}
    for rate in rates:
        amounts.setdefault(rate.kind, set()).add(rate.amount_fen)
    return [
        (
            value,
            str(
                _("%(kind)s (¥%(amount)s)")
                % {"kind": label, "amount": format_yuan(next(iter(amounts[value])))}
            )
            if len(amounts[value]) == 1
            else str(label),
        )
        for value, label in PremiumKind.choices
        if value in amounts
    ]


class OffersPayableChoice(forms.ChoiceField):
    """A choice that offers only what can still be paid, yet accepts the rest of what was open: a
    premium paid since the page was shown (in another tab, by another payer) reaches the preview, whose
    refusal names it, rather than a bare "not one of the choices"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accepted: frozenset[str] = frozenset()

    def valid_value(self, value: Any) -> bool:
        return super().valid_value(value) or str(value) in self.accepted


class PremiumKindField(OffersPayableChoice):
    """Which premium: offered where a region sets a long-term-care rate; the resident one if none is
    chosen (a region with only that rate shows no choice)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Premium to pay"))
        kwargs.setdefault("widget", forms.RadioSelect)
        kwargs.setdefault("required", False)
        kwargs.setdefault("error_messages", {"invalid_choice": _("Choose one of the premiums listed.")})
        super().__init__(**kwargs)

    def clean(self, value):
        return PremiumKind(super().clean(value) or PremiumKind.RESIDENT_MEDICAL)


class PremiumKindChoice:
    """A paying form's choice of premium (its `premium_kind` field), set from the kinds payable."""

    fields: dict[str, forms.Field]
    initial: MutableMapping[str, Any]

    def kinds_set(self, choices: Sequence[tuple[str, str]], accepted: Iterable[str] = ()) -> None:
        choices_set(cast(forms.Form, self), "premium_kind", choices, accepted=accepted)
        self.kinds = [value for value, _label in choices]
        if choices:
            self.initial.setdefault("premium_kind", choices[0][0])  # the resident premium, where payable

    @property
    def offers_kinds(self) -> bool:
        """Whether the form asks which premium: only where another than the resident one is payable."""
        return any(value != PremiumKind.RESIDENT_MEDICAL for value in self.kinds)


class OpenYearField(OffersPayableChoice, forms.TypedChoiceField):
    """Only the years whose collection period is open today; any other year is refused by name."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Year"))
        super().__init__(coerce=int, **kwargs)

    def validate(self, value):
        if value in self.empty_values:
            raise ValidationError(self.error_messages["required"], code="required")
        if not self.valid_value(value):
            text = str(value)
            if len(text) == YEAR_DIGITS and text.isdigit():
                raise ValidationError(
                    _("The %(year)s premium cannot be paid now: its collection period is not open."),
                    code="closed_year",
                    params={"year": text},
                )
            raise ValidationError(_("Please choose a valid year."), code="invalid_choice")


class IdempotentForm(AccessibleForm):
    """The key is made when the choice is first shown and travels with it to the check page, so a
    double click or a reload of any step pays once."""

    # It names the check and confirmation pages' URLs, so it stays within a URL slug.
    idempotency_key = forms.RegexField(
        widget=forms.HiddenInput, regex=r"^[A-Za-z0-9_-]{1,64}$", max_length=64
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


@dataclass(frozen=True)
class Unpayable:
    """Someone the form does not offer, as the page shows him: paid for these open years, or (none)
    with no premium open for him today."""

    label: str
    paid_years: list[int]


@dataclass(frozen=True)
class PayableChoices:
    """What a paying form offers of the open years and kinds it was given, for these residents: the
    residents with a premium still to pay, and only the years and kinds that one of them may pay."""

    payable: list[Insuree]
    years: list[tuple[int, str]]
    kinds: list[tuple[str, str]]
    overviews: dict[int, PremiumOverview]


def payable_choices(
    *, residents: Sequence[Insuree], years: Sequence[tuple[int, str]], kinds: Sequence[tuple[str, str]]
) -> PayableChoices:
    """Narrows the open years and kinds (the choices the page was given) to what these residents still
    owe, by premium_overview_for_many: a settled payment is paid, a refunded one is due again."""
    open_years, open_kinds = {year for year, _label in years}, {kind for kind, _label in kinds}
    overviews = (
        premium_overview_for_many(beneficiaries=list(residents), today=timezone.localdate(), history_years=0)
        if residents
        else {}
    )
    dues = {
        resident.pk: [
            d for d in overviews[resident.pk].payable if d.year in open_years and d.kind in open_kinds
        ]
        for resident in residents
    }
    due_years = {d.year for ds in dues.values() for d in ds}
    due_kinds = {d.kind for ds in dues.values() for d in ds}
    return PayableChoices(
        payable=[resident for resident in residents if dues[resident.pk]],
        years=[choice for choice in years if choice[0] in due_years],
        kinds=[choice for choice in kinds if choice[0] in due_kinds],
        overviews=overviews,
    )


class RelativesField(OffersPayableChoice, forms.TypedMultipleChoiceField):
    """The relatives to pay for: those bound, of whom only the ones with a premium to pay are offered."""


class PayForm(PremiumKindChoice, IdempotentForm):
    premium_kind = PremiumKindField()
    year = OpenYearField()
    beneficiaries = RelativesField(
        label=_("Relatives"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one relative.")},
    )

    def __init__(
        self,
        *args,
        bindings: Sequence[Binding] = (),
        years: Sequence[tuple[int, str]] = (),
        kinds: Sequence[tuple[str, str]] = (),
        reader: Person,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        offer = payable_choices(residents=[b.beneficiary for b in bindings], years=years, kinds=kinds)
        payable = {resident.pk for resident in offer.payable}
        self.kinds_set(offer.kinds, accepted=[kind for kind, _label in kinds])
        choices_set(self, "year", offer.years, accepted=[year for year, _label in years])
        choices_set(
            self,
            "beneficiaries",
            [(b.beneficiary_id, binding_label(b, reader)) for b in bindings if b.beneficiary_id in payable],
            accepted=[b.beneficiary_id for b in bindings],
        )
        self.unpayable = [
            Unpayable(binding_label(b, reader), offer.overviews[b.beneficiary_id].settled_years)
            for b in bindings
            if b.beneficiary_id not in payable
        ]
        self.nothing_to_pay = bool(bindings) and not payable


class SelfPayForm(PremiumKindChoice, IdempotentForm):
    premium_kind = PremiumKindField()
    year = OpenYearField()

    def __init__(
        self,
        *args,
        years: Sequence[tuple[int, str]] = (),
        kinds: Sequence[tuple[str, str]] = (),
        beneficiary: Insuree,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        offer = payable_choices(residents=[beneficiary], years=years, kinds=kinds)
        self.kinds_set(offer.kinds, accepted=[kind for kind, _label in kinds])
        choices_set(self, "year", offer.years, accepted=[year for year, _label in years])
        self.paid_years = offer.overviews[beneficiary.pk].settled_years
        self.nothing_to_pay = not offer.payable


class ConfirmForm(AccessibleForm):
    """The check page's button carries the choice it shows and what it shows would be paid
    (payments.confirmation): a choice changed since in another tab is shown again rather than paid
    unseen, and a payment that would move anything else than was shown moves nothing."""

    choice = forms.CharField(widget=forms.HiddenInput, max_length=2000)


def choices_set(
    form: forms.Form, name: str, choices: Sequence[tuple[object, str]], accepted: Iterable[object] = ()
) -> None:
    """The choices offered; `accepted` also passes a field that offers only what is payable."""
    field = cast(forms.ChoiceField, form.fields[name])
    field.choices = choices
    if isinstance(field, OffersPayableChoice):
        field.accepted = frozenset(str(value) for value in accepted)


def binding_label(binding: Binding, reader: Person) -> str:
    """The other side of the binding, as the reader knows him: full name, relation from the reader's
    side, the tail of the ID number to tell namesakes apart."""
    other = binding.beneficiary if binding.authorizer.person_id == reader.pk else binding.authorizer
    relation = relation_seen_by(
        relation=binding.relation, reader_is_authorizer=binding.authorizer.person_id == reader.pk
    )
    return str(
        _("%(name)s (%(relation)s) %(id_number)s")
        % {
            "name": other.person.name,
            "relation": relation.label,
            "id_number": mask_id_number(other.person.id_number),
        }
    )


class VerifyForm(AccessibleForm):
    reference = forms.CharField(label=_("Receipt number"), max_length=32)
    code = forms.CharField(label=_("Verification code"), max_length=16)
