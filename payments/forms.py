import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import AccessibleForm


def year_choices():
    this_year = timezone.localdate().year
    return [(year, str(year)) for year in (this_year + 1, this_year)]


class IdempotentForm(AccessibleForm):
    """Each rendering carries a fresh key; a double click or a reload re-sends the same one."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class PayForm(IdempotentForm):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=year_choices)
    beneficiaries = forms.TypedMultipleChoiceField(
        label=_("Relatives"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one relative.")},
    )

    def __init__(self, *args, bindings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["beneficiaries"].choices = [
            (b.beneficiary_id, f"{b.beneficiary.person.name}（{b.get_relation_display()}）") for b in bindings
        ]


class SelfPayForm(IdempotentForm):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=year_choices)


class VerifyForm(AccessibleForm):
    reference = forms.CharField(label=_("Receipt number"), max_length=32)
    code = forms.CharField(label=_("Verification code"), max_length=16)
