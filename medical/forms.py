import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from common.forms import AccessibleForm
from medical.amounts import amount_fen_from, notify_threshold_fen_from, settlement_amount_fen_from
from medical.models import COVERED_CATEGORIES
from medical.services.vouchers import voucher_code_well_formed


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


class NotifyThresholdForm(AccessibleForm):
    """The allowance page's second form: of which settlements both sides are told."""

    notify_over = forms.CharField(
        label=_("Notify us of each payment over (yuan)"),
        max_length=16,
        help_text=_(
            "You and your relative are both told of each payment from this allowance above this amount. "
            "0 means every payment."
        ),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def clean_notify_over(self) -> int:
        try:
            return notify_threshold_fen_from(self.cleaned_data["notify_over"])
        except ApplicationError as error:
            raise forms.ValidationError(str(error.message), code=error.code) from None


COVERED_CHOICES = [(category.value, category.label) for category in COVERED_CATEGORIES]


class SettleForm(AccessibleForm):
    """The cashier's bill: the patient's code, the amount and its category. The settlement id and the
    idempotency key are made when the form is shown, so that sending it twice settles once."""

    voucher_code = forms.CharField(
        label=_("Payment code"),
        max_length=64,
        help_text=_("Scan the QR code on the patient's phone, or type the 20 digits shown under it."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )
    amount = forms.CharField(
        label=_("Amount (yuan)"),
        max_length=16,
        help_text=_("The out-of-pocket part of the bill."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    category = forms.ChoiceField(label=_("Category"), choices=COVERED_CHOICES, widget=forms.RadioSelect)
    allow_partial = forms.BooleanField(
        label=_("If the allowance is not enough, take what is left and collect the rest in cash"),
        required=False,
    )
    settlement_id = forms.CharField(widget=forms.HiddenInput, max_length=64)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # A new bill starts at its amount; the code comes last, scanned (a scanner ends with Enter,
            # which sends the form) while it is fresh.
            self.fields["amount"].widget.attrs["autofocus"] = True

    def clean_voucher_code(self) -> str:
        # A scanner types what the QR code holds; a person may type the digits in groups, or full-width.
        code = "".join(unicodedata.normalize("NFKC", self.cleaned_data["voucher_code"]).split()).replace(
            "-", ""
        )
        if not voucher_code_well_formed(code):
            raise forms.ValidationError(
                _("A payment code has 20 digits: scan it again, or type the digits under the QR code."),
                code="invalid",
            )
        return code

    def clean_amount(self) -> int:
        try:
            return settlement_amount_fen_from(self.cleaned_data["amount"])
        except ApplicationError as error:
            raise forms.ValidationError(str(error.message), code=error.code) from None

    def forget_code(self) -> None:
        """The code was used by the request, whatever its answer: the next try needs a new one."""
        # One value a field (a QueryDict unpacked with ** would give lists).
        self.data = {**{name: self.data.get(name) for name in self.data}, "voucher_code": ""}


class ReverseForm(AccessibleForm):
    """The reversal's confirmation, with the idempotency key made when it was shown."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=255)
