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


class AccessibleBoundField(forms.BoundField):
    """Ties a field to its help text and its errors by the ids templates/includes/field.html gives
    them (`<id>-help`, `<id>-error`); Django marks an invalid field with aria-invalid itself."""

    @property
    def aria_describedby(self):
        if self.field.widget.attrs.get("aria-describedby") or not self.auto_id or self.is_hidden:
            return None
        ids = []
        if self.help_text:
            ids.append(f"{self.auto_id}-help")
        if self.errors:
            ids.append(f"{self.auto_id}-error")
        return " ".join(ids)

    @property
    def summary_label(self) -> str:
        """The label that names the field in the error summary, without its closing punctuation; none
        for a checkbox, whose label is a whole sentence and whose message says what is missing."""
        if self.widget_type == "checkbox":
            return ""
        return str(self.label or "").rstrip(" :：.。?？")

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        # Django leaves a fieldset's inputs without a description (the fieldset should carry it);
        # the templates render each choice themselves, so each input points at the message.
        if self.use_fieldset and not attrs.get("aria-describedby") and self.aria_describedby:
            attrs["aria-describedby"] = self.aria_describedby
        return attrs


class AccessibleForm(forms.Form):
    """Marks invalid inputs with aria-invalid and ties their help texts and messages to them; the
    error summary (templates/includes/error_summary.html) links to each invalid field."""

    bound_field_class = AccessibleBoundField


class IdNumberFormField(forms.CharField):
    """An ID number checked on the page (check digit, birth date) before anything is looked up.

    Typed with spaces or hyphens between the groups, in full-width digits or with a lower-case x, it
    is normalised first, so only a number that is wrong is refused."""

    # Room for separators in the box; what counts is the normalised number, which parse checks.
    TYPED_MAX_LENGTH = 32

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", self.TYPED_MAX_LENGTH)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
        )

    def to_python(self, value):
        from common.id_numbers import normalize_id_number

        value = super().to_python(value)
        return normalize_id_number(value) if value else value

    def clean(self, value):
        from common.id_numbers import parse_id_number

        value = super().clean(value)
        if value:
            parse_id_number(value)  # raises a ValidationError with a plain message
        return value
