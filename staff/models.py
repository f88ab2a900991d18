from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    PERSON_LOOKUP = "person_lookup", _("Looked up a person")
    BINDING_CREATE = "binding_create", _("Bound on behalf")
    PAYMENT_CREATE = "payment_create", _("Paid on behalf")
    PAYMENT_REFUND = "payment_refund", _("Refunded")
    ALLOWANCE_SET = "allowance_set", _("Set an allowance on behalf")
    ALLOWANCE_RELEASE = "allowance_release", _("Released an allowance on behalf")


class AuditRecord(models.Model):
    """Append-only trail of every staff action: who, at which counter, when, what, for whom."""

    # Indexed as the first column of audit_operator_time.
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    counter_id = models.CharField(_("counter"), max_length=32, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    person = models.ForeignKey(
        "insurees.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_records"
    )
    object_ref = models.CharField(_("object"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        indexes = [models.Index(fields=["operator", "-created_at"], name="audit_operator_time")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class ReconciliationRun(models.Model):
    """One day's comparison of ledger transactions, payments and synced enrollments."""

    date = models.DateField(_("date"), db_index=True)
    ok = models.BooleanField(_("balanced"))
    checked = models.PositiveIntegerField(_("payments checked"))
    mismatches = models.JSONField(_("mismatches"), default=list, blank=True)
    created_at = models.DateTimeField(_("run at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")

    def __str__(self) -> str:
        return f"{self.date} {'ok' if self.ok else 'MISMATCH'}"
