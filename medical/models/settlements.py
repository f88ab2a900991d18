"""E-vouchers (医保码), settlements at designated institutions with their reversals (冲正) and refunds,
and the institutions' confirmations of their daily statements (对账).

Vouchers, settlements and refunds are written only by medical's SQL
(medical/migrations/sql/settlements.sql), which moves the money as balanced ledger transactions:
a settlement from the allowance's hold to the institution's payable account, a reversal or a refund
back into the allowance while it is active, else into the authorizer's personal account.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    OUTPATIENT = "outpatient", _("Outpatient care")
    INPATIENT = "inpatient", _("Inpatient care")
    DRUGS = "drugs", _("Drugs")
    DEVICES = "devices", _("Medical devices")
    CONSUMABLES = "consumables", _("Medical consumables")
    # Named so that a request for them is answered category_not_covered, not invalid_input.
    WELLNESS = "wellness", _("Wellness (养生保健)")
    PUBLIC_HEALTH = "public_health", _("Public health")


COVERED_CATEGORIES = (
    Category.OUTPATIENT,
    Category.INPATIENT,
    Category.DRUGS,
    Category.DEVICES,
    Category.CONSUMABLES,
)


class SettlementStatus(models.TextChoices):
    SETTLED = "settled", _("Settled")
    REVERSED = "reversed", _("Reversed")


class Voucher(models.Model):
    """A one-time payment code of one beneficiary. Only its SHA-256 is kept: the code itself lives
    on his phone for a minute, and a copy of the table settles nothing."""

    code_sha256 = models.CharField(_("code (SHA-256)"), max_length=64, unique=True)
    # Indexed as the first column of voucher_beneficiary_live.
    beneficiary = models.ForeignKey(
        "insurees.Insuree", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    # The first settlement request that named it, settled or refused: a code works once.
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_by = models.ForeignKey(
        "medical.Institution",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    used_for = models.CharField(_("used for settlement"), max_length=64, blank=True)
    # What that request asked: a retry naming the code must ask the same, else it is another request
    # (idempotency_conflict). None (the category too: unknown, not empty) for a code used before these
    # were kept.
    used_amount_fen = models.BigIntegerField(_("amount asked (fen)"), null=True, blank=True)
    used_category = models.CharField(_("category asked"), max_length=16, null=True, blank=True)  # noqa: DJ001
    used_allow_partial = models.BooleanField(_("partial payment allowed"), null=True, blank=True)
    # A refusal met after the code was used, replayed to a retry of the same settlement.
    refusal = models.CharField(_("refusal"), max_length=32, blank=True)
    refusal_detail = models.CharField(_("refusal detail"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("e-voucher")
        verbose_name_plural = _("e-vouchers")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="voucher_expires_after_issue"
            ),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True, used_by__isnull=True, used_for="")
                | Q(used_at__isnull=False, used_by__isnull=False) & ~Q(used_for=""),
                name="voucher_used_by_one_settlement",
            ),
        ]
        indexes = [
            models.Index(
                fields=["beneficiary", "expires_at"],
                condition=Q(used_at__isnull=True),
                name="voucher_beneficiary_live",
            ),
        ]

    def __str__(self) -> str:
        return f"voucher {self.pk}"


class Settlement(models.Model):
    institution = models.ForeignKey(
        "medical.Institution", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The institution's own id of the bill: unique per institution, its retries' key.
    settlement_id = models.CharField(_("settlement id"), max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True)
    voucher = models.OneToOneField(Voucher, on_delete=models.PROTECT, related_name="settlement")
    # Indexed as the first column of settlement_allowance.
    allowance = models.ForeignKey(
        "medical.Allowance", on_delete=models.PROTECT, related_name="settlements", db_index=False
    )
    # Copied from the allowance, for each side's statement. Indexed by the composites below.
    authorizer = models.ForeignKey(
        "insurees.Insuree", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    beneficiary = models.ForeignKey(
        "insurees.Insuree", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    # The bill's out-of-pocket part asked for; what the allowance paid; what is left to pay in cash.
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    paid_fen = models.BigIntegerField(_("paid from the allowance (fen)"))
    cash_due_fen = models.BigIntegerField(_("cash due (fen)"))
    refunded_fen = models.BigIntegerField(_("refunded (fen)"), default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=SettlementStatus.choices, default=SettlementStatus.SETTLED
    )
    # The institution's business day (Asia/Shanghai), by which its statement counts.
    business_date = models.DateField(_("business date"))
    created_at = models.DateTimeField(_("created at"))
    ledger_transaction = models.OneToOneField(
        "ledger.Transaction", on_delete=models.PROTECT, related_name="+"
    )
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversed_on = models.DateField(_("reversed on"), null=True, blank=True)
    reversal_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    reversal_key = models.CharField(_("reversal idempotency key"), max_length=255, blank=True)
    reversal_transaction = models.OneToOneField(
        "ledger.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "settlement_id"], name="one_settlement_per_institution_id"
            ),
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="one_settlement_per_key",
            ),
            # A key reverses one settlement (and is looked up by the SQL's check of a key's other use).
            models.UniqueConstraint(
                fields=["reversal_user", "reversal_key"],
                condition=~Q(reversal_key=""),
                name="one_reversal_per_key",
            ),
            models.CheckConstraint(condition=Q(paid_fen__gt=0), name="settlement_paid_positive"),
            models.CheckConstraint(condition=Q(cash_due_fen__gte=0), name="settlement_cash_due_non_negative"),
            models.CheckConstraint(
                condition=Q(amount_fen=F("paid_fen") + F("cash_due_fen")),
                name="settlement_paid_and_cash_make_amount",
            ),
            models.CheckConstraint(
                condition=Q(refunded_fen__gte=0, refunded_fen__lte=F("paid_fen")),
                name="settlement_refunded_within_paid",
            ),
            models.CheckConstraint(
                condition=Q(status="settled", reversed_at__isnull=True, reversed_on__isnull=True)
                | Q(
                    status="reversed",
                    reversed_at__isnull=False,
                    reversed_on=F("business_date"),
                    refunded_fen=0,
                    reversal_transaction__isnull=False,
                ),
                name="settlement_reversed_same_day_whole",
            ),
        ]
        indexes = [
            # The day's statement: an index-only sum per institution and day.
            models.Index(
                fields=["institution", "business_date"],
                include=["paid_fen"],
                name="settlement_institution_day",
            ),
            models.Index(
                fields=["institution", "reversed_on"],
                include=["paid_fen"],
                condition=Q(status="reversed"),
                name="settlement_reversed_day",
            ),
            models.Index(fields=["allowance", "created_at"], name="settlement_allowance"),
            models.Index(fields=["authorizer", "created_at"], name="settlement_authorizer"),
            models.Index(fields=["beneficiary", "created_at"], name="settlement_beneficiary"),
        ]

    def __str__(self) -> str:
        return f"settlement {self.settlement_id} of institution {self.institution_id}"


class SettlementRefund(models.Model):
    """Part of a settlement given back later (returned items): into the allowance while it is
    active, else into the authorizer's personal account."""

    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, related_name="refunds", db_index=False
    )
    institution = models.ForeignKey(
        "medical.Institution", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    refund_id = models.CharField(_("refund id"), max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    to_allowance = models.BooleanField(_("back into the allowance"))
    business_date = models.DateField(_("business date"))
    created_at = models.DateTimeField(_("created at"))
    ledger_transaction = models.OneToOneField(
        "ledger.Transaction", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("settlement refund")
        verbose_name_plural = _("settlement refunds")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "refund_id"], name="one_refund_per_institution_id"
            ),
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="one_refund_per_key",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="refund_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["settlement", "created_at"], name="refund_settlement"),
            models.Index(
                fields=["institution", "business_date"], include=["amount_fen"], name="refund_institution_day"
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.refund_id} of settlement {self.settlement_id}"


class StatementConfirmation(models.Model):
    """An institution's own totals for a day, against ours when it confirmed: a row each confirmation,
    the day's latest the one the auditors see. Its Idempotency-Key answers a retry with this answer."""

    institution = models.ForeignKey(
        "medical.Institution", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    date = models.DateField(_("date"))
    their_count = models.IntegerField(_("their count"))
    their_amount_fen = models.BigIntegerField(_("their amount (fen)"))
    our_count = models.IntegerField(_("our count"))
    our_amount_fen = models.BigIntegerField(_("our amount (fen)"))
    matched = models.BooleanField(_("matched"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True, db_default="")
    confirmed_at = models.DateTimeField(_("confirmed at"))

    class Meta:
        verbose_name = _("statement confirmation")
        verbose_name_plural = _("statement confirmations")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="one_confirmation_per_key",
            ),
        ]
        indexes = [
            models.Index(fields=["date", "matched"], name="confirmation_day"),
            models.Index(fields=["institution", "date", "-confirmed_at"], name="confirmation_latest"),
        ]

    def __str__(self) -> str:
        return f"statement of institution {self.institution_id} on {self.date}"
