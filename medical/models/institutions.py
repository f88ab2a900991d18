"""Designated institutions (定点医药机构): the hospitals and pharmacies where an allowance is spent,
imported from the fund's register, and their terminal accounts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class InstitutionKind(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    PHARMACY = "pharmacy", _("Pharmacy")


class InstitutionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    # No longer designated, or suspended by the fund: it may not settle, but its history stays.
    INACTIVE = "inactive", _("Inactive")


class Institution(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=InstitutionKind.choices)
    region_code = models.CharField(_("pooling region"), max_length=6)
    status = models.CharField(
        _("status"), max_length=16, choices=InstitutionStatus.choices, default=InstitutionStatus.ACTIVE
    )
    # What the fund owes it for settlements (a ledger account of kind `payable`, never negative).
    account = models.OneToOneField("ledger.Account", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("designated institution")
        verbose_name_plural = _("designated institutions")
        constraints = [
            models.CheckConstraint(
                condition=Q(region_code__regex=r"^[0-9]{6}$"), name="institution_region_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class InstitutionTerminal(models.Model):
    """A sign-in (group `institution`) of one institution: its system's client, or its cashier."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="terminal")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="terminals")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("institution terminal")
        verbose_name_plural = _("institution terminals")

    def __str__(self) -> str:
        return f"{self.user} @ {self.institution.code}"
