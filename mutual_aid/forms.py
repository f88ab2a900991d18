from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import AccessibleForm, IdNumberFormField
from mutual_aid.errors import pledge_required
from mutual_aid.models import Relation

# Shown so that a person who is not a near relative learns why, instead of finding no option.
OTHER_RELATION = "other"


class BindingForm(AccessibleForm):
    beneficiary_id_number = IdNumberFormField(label=_("Relative's ID number"))
    beneficiary_name = forms.CharField(label=_("Relative's name"), max_length=64)
    relation = forms.ChoiceField(
        label=_("The relative is my"),
        choices=[
            ("", _("Choose…")),
            *Relation.choices,
            (OTHER_RELATION, _("Other relative (cousin, uncle, aunt…)")),
        ],
    )
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
