from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import AccessibleForm, IdNumberFormField
from mutual_aid.errors import pledge_required, relation_not_allowed
from mutual_aid.models import Relation


def relation_field(*, label) -> forms.ChoiceField:
    """The near relatives only: nothing else can ever be bound (DESIGN.md, 国办发〔2024〕38号), so
    nothing else is offered; a value sent from elsewhere hears the service's own refusal."""
    # Lazy, like the service's message: said in the language of each request.
    refused: dict[str, Any] = {"invalid_choice": relation_not_allowed().message}
    return forms.ChoiceField(
        label=label, choices=[("", _("Choose…")), *Relation.choices], error_messages=refused
    )


class BindingForm(AccessibleForm):
    beneficiary_id_number = IdNumberFormField(label=_("Relative's ID number"))
    beneficiary_name = forms.CharField(label=_("Relative's name"), max_length=64)
    relation = relation_field(label=_("The relative is my"))
    pledge_version = forms.IntegerField(widget=forms.HiddenInput)
    pledge_accepted = forms.BooleanField(
        label=_("I have read the personal pledge above in full and accept it."),
        required=False,
    )

    def clean_pledge_accepted(self) -> bool:
        # Said with the other fields' errors on the first submit, not only once they are right and
        # the service is reached; the service still checks the pledge itself (version, acceptance).
        accepted = self.cleaned_data["pledge_accepted"]
        if not accepted:
            raise forms.ValidationError(str(pledge_required().message), code="pledge_required")
        return accepted
