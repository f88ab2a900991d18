"""Pages show a refusal next to the field it concerns, with the same message the API gives."""

from __future__ import annotations

from django import forms

from common.errors import ApplicationError


def add_application_error(
    form: forms.Form, error: ApplicationError, field_map: dict[str, str] | None = None
) -> None:
    field = (field_map or {}).get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, str(error.message))


def form_status(*forms_shown: forms.Form | None) -> int:
    """400 when a submitted form is shown again with its errors, so a refusal is never a 200."""
    refused = any(form is not None and form.is_bound and form.errors for form in forms_shown)
    return 400 if refused else 200


class AccessibleForm(forms.Form):
    """Marks invalid inputs with aria-invalid and ties their messages to them."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"id_{name}-error"


class IdNumberFormField(forms.CharField):
    """An ID number checked on the page (check digit, birth date) before anything is looked up."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 18)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
        )

    def clean(self, value):
        from common.id_numbers import normalize_id_number, parse_id_number

        value = super().clean(value)
        if value:
            parse_id_number(value)  # raises a ValidationError with a plain message
            value = normalize_id_number(value)
        return value
