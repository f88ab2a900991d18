"""Allowances (共济额度): money an authorizer sets aside in his personal account for one bound relative.

An allowance is virtual: its money waits in its own ledger account of kind `hold`, moved there from
the authorizer's personal account, so the personal account's balance is what he can still spend (the
available balance) and the database's own CHECK keeps both from going below zero. These tables are
written only by medical's SQL (medical/migrations/sql/allowances.sql).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class AllowanceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RELEASED = "released", _("Released")


class ReleaseReason(models.TextChoices):
    AUTHORIZER_RELEASED = "authorizer_released", _("Released by the authorizer")
    BINDING_ENDED = "binding_ended", _("The binding ended")


class ChangeKind(models.TextChoices):
    SET = "set", _("Set or changed")
    RELEASE = "release", _("Released")
    BINDING_ENDED = "binding_ended", _("Released as the binding ended")


class Allowance(models.Model):
    # Indexed as the first column of one_active_allowance_per_binding's index and allowance_binding.
    binding = models.ForeignKey(
        "mutual_aid.Binding", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Copied from the binding, for the lists of each side. Indexed by the composites below.
    authorizer = models.ForeignKey(
        "insurees.Insuree", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    beneficiary = models.ForeignKey(
        "insurees.Insuree", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    hold_account = models.OneToOneField("ledger.Account", on_delete=models.PROTECT, related_name="+")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    # What settlements have spent of it, net of their reversals and refunds.
    spent_fen = models.BigIntegerField(_("spent (fen)"), default=0)
    # Both sides hear of each settlement paying more than this from it (0: of every one). A database
    # default, for the rows the SQL functions insert.
    notify_over_fen = models.BigIntegerField(_("notify over (fen)"), default=0, db_default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=AllowanceStatus.choices, default=AllowanceStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("created at"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.CharField(
        _("release reason"), max_length=32, choices=ReleaseReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("allowance")
        verbose_name_plural = _("allowances")
        constraints = [
            # A released allowance stays as history; setting one again makes a new row.
            models.UniqueConstraint(
                fields=["binding"], condition=Q(status="active"), name="one_active_allowance_per_binding"
            ),
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="allowance_amount_fen_non_negative"),
            models.CheckConstraint(condition=Q(spent_fen__gte=0), name="allowance_spent_fen_non_negative"),
            models.CheckConstraint(
                condition=Q(notify_over_fen__gte=0), name="allowance_notify_over_fen_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(spent_fen__lte=F("amount_fen")), name="allowance_spent_within_amount"
            ),
            models.CheckConstraint(
                condition=Q(status="active", released_at__isnull=True, release_reason="")
                | (Q(status="released", released_at__isnull=False) & ~Q(release_reason="")),
                name="allowance_released_at_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=["binding", "created_at"], name="allowance_binding"),
            models.Index(fields=["authorizer", "status"], name="allowance_authorizer_status"),
            models.Index(fields=["beneficiary", "status"], name="allowance_beneficiary_status"),
        ]

    def __str__(self) -> str:
        return f"allowance {self.pk} of binding {self.binding_id}"

    @property
    def remaining_fen(self) -> int:
        return self.amount_fen - self.spent_fen


class AllowanceChange(models.Model):
    """One row per change of an allowance: the expenditure record's source, and the record of the
    Idempotency-Key that asked for it (a retry under the key replays it)."""

    # Indexed as the first column of allowance_change_allowance.
    allowance = models.ForeignKey(Allowance, on_delete=models.PROTECT, related_name="changes", db_index=False)
    # Who asked; none when the binding's end released it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ChangeKind.choices)
    amount_before_fen = models.BigIntegerField(_("amount before (fen)"))
    amount_after_fen = models.BigIntegerField(_("amount after (fen)"))
    # None when nothing moved (the same amount set again, or nothing left to release).
    ledger_transaction = models.OneToOneField(
        "ledger.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("allowance change")
        verbose_name_plural = _("allowance changes")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="one_allowance_change_per_key",
            ),
        ]
        indexes = [models.Index(fields=["allowance", "created_at"], name="allowance_change_allowance")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_before_fen} -> {self.amount_after_fen}"
