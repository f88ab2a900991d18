from django import forms
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from common.forms import AccessibleForm
from medical.amounts import amount_fen_from


class AllowanceForm(AccessibleForm):
    amount = forms.CharField(
        label=_("Allowance (yuan)"),
        max_length=16,
        help_text=_(
            "The most your relative may spend on medical costs; it is held in your personal account."
        ),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def clean_amount(self) -> int:
        try:
            return amount_fen_from(self.cleaned_data["amount"])
        except ApplicationError as error:
            raise forms.ValidationError(str(error.message), code=error.code) from None


class ConfirmForm(AccessibleForm):
    """The check page's confirmation: the choice it showed, sent back to be compared with the draft."""

    amount_fen = forms.IntegerField(widget=forms.HiddenInput)
