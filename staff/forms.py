import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import AccessibleForm, IdNumberFormField
from mutual_aid.forms import OTHER_RELATION
from mutual_aid.models import Relation
from payments.forms import year_choices
from payments.models import PaymentChannel, PaymentStatus, RefundReason


class LookupForm(AccessibleForm):
    id_number = IdNumberFormField(label=_("Applicant's ID number"))


class CounterForm(AccessibleForm):
    counter_id = forms.RegexField(label=_("Counter number"), regex=r"^[A-Za-z0-9-]{1,32}$", max_length=32)


class CounterBindingForm(AccessibleForm):
    beneficiary_id_number = IdNumberFormField(label=_("Relative's ID number"))
    beneficiary_name = forms.CharField(label=_("Relative's name"), max_length=64)
    relation = forms.ChoiceField(
        label=_("The relative is the applicant's"),
        choices=[
            ("", _("Choose…")),
            *Relation.choices,
            (OTHER_RELATION, _("Other relative (cousin, uncle, aunt…)")),
        ],
    )
    paper_pledge_ref = forms.CharField(label=_("Paper pledge form number"), max_length=64)
    identity_confirmed = forms.BooleanField(
        label=_("I have checked the applicant's ID card in person, and the signed paper pledge."),
        error_messages={"required": _("Check the applicant's identity before binding.")},
    )


class CounterPaymentForm(AccessibleForm):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=255)
    beneficiary_id_number = IdNumberFormField(label=_("Insured relative's ID number"))
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=year_choices)
    by_rule = forms.BooleanField(
        label=_("Let the rule choose the account (the richest bound account)"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class RefundForm(AccessibleForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=RefundReason.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ReviewForm(AccessibleForm):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    region = forms.RegexField(label=_("Region code"), regex=r"^[1-9][0-9]{5}$", required=False, max_length=6)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All")), *PaymentChannel.choices], required=False
    )
    relation = forms.ChoiceField(
        label=_("Relation"), choices=[("", _("All")), *Relation.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *PaymentStatus.choices], required=False
    )
