from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import AccessibleForm, IdNumberFormField
from common.id_numbers import looks_like_id_number, normalize_id_number


class LoginForm(AccessibleForm):
    identifier = forms.CharField(
        label=_("ID number (staff: username)"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "characters"}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_identifier(self) -> str:
        """An ID number typed with spaces or in full-width digits is the plain number; a staff
        username is left as it is."""
        identifier = self.cleaned_data["identifier"]
        number = normalize_id_number(identifier)
        return number if looks_like_id_number(number) else identifier


class RegisterForm(AccessibleForm):
    id_number = IdNumberFormField(label=_("ID number"))
    name = forms.CharField(label=_("Name"), max_length=64, help_text=_("As on your ID card."))
    phone = forms.RegexField(
        label=_("Mobile phone"),
        regex=r"^1[3-9][0-9]{9}$",
        max_length=11,
        error_messages={"invalid": _("Please enter an 11-digit mobile number.")},
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "numeric"}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits."),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data
