from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from insurees.models import PremiumKind
from mutual_aid.models import Relation


class PaymentChannel(models.TextChoices):
    AUTHORIZER = "authorizer", _("Paid by the authorizer")
    SELF = "self", _("Paid by the beneficiary")
    COUNTER = "counter", _("Service counter")


class PaymentStatus(models.TextChoices):
    SETTLED = "settled", _("Settled")
    REFUNDED = "refunded", _("Refunded")


class RefundReason(models.TextChoices):
    PAID_TWICE = "paid_twice", _("Paid twice through another channel")
    JOINED_EMPLOYEE = "joined_employee", _("The beneficiary joined employee insurance")
    DECEASED = "deceased", _("The beneficiary died")


class Payment(models.Model):
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    # The database default too: SQL that names no kind (older callers, bulk loads) means the resident one.
    kind = models.CharField(
        _("premium kind"),
        max_length=16,
        choices=PremiumKind.choices,
        default=PremiumKind.RESIDENT_MEDICAL,
        db_default=PremiumKind.RESIDENT_MEDICAL,
    )
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    # No index of their own on these three columns: each leads a composite index below, which serves
    # every lookup a single-column one would, and a payment writes one index entry fewer for each.
    beneficiary = models.ForeignKey(
        "insurees.Insuree",
        verbose_name=_("insured relative"),
        on_delete=models.PROTECT,
        related_name="payments_received",
        db_index=False,
    )
    authorizer = models.ForeignKey(
        "insurees.Insuree",
        verbose_name=_("paying account holder"),
        on_delete=models.PROTECT,
        related_name="payments_made",
        db_index=False,
    )
    binding = models.ForeignKey(
        "mutual_aid.Binding", verbose_name=_("binding"), on_delete=models.PROTECT, related_name="payments"
    )
    region_code = models.CharField(_("pooling region"), max_length=6)
    relation = models.CharField(_("relation"), max_length=32, choices=Relation.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=PaymentChannel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.SETTLED
    )
    ledger_transaction = models.OneToOneField(
        "ledger.Transaction", verbose_name=_("ledger transaction"), on_delete=models.PROTECT, related_name="+"
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    counter_id = models.CharField(_("counter"), max_length=32, blank=True)
    verification_code = models.CharField(_("verification code"), max_length=16)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    enrollment_synced_at = models.DateTimeField(_("enrollment synced at"), null=True, blank=True)

    refund_transaction = models.OneToOneField(
        "ledger.Transaction",
        verbose_name=_("refund transaction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    refund_reason = models.CharField(
        _("refund reason"), max_length=32, choices=RefundReason.choices, blank=True
    )
    refund_note = models.CharField(_("refund note"), max_length=500, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("refunded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            # Each kind is its own premium: a long-term-care payment beside the resident one is no double.
            models.UniqueConstraint(
                fields=["beneficiary", "year", "kind"],
                condition=Q(status="settled"),
                name="one_settled_payment_per_beneficiary_year_kind",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="settled", refund_transaction__isnull=True)
                | Q(status="refunded", refund_transaction__isnull=False),
                name="refund_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=["authorizer", "-created_at"], name="payment_authorizer_time"),
            models.Index(fields=["beneficiary", "-created_at"], name="payment_beneficiary_time"),
            # The review's order, newest first: its pages read straight off this index.
            models.Index(fields=["-created_at", "-id"], name="payment_newest_first"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def enrollment_synced(self) -> bool:
        return self.enrollment_synced_at is not None


class IdempotencyKey(models.Model):
    """A paying request's key, scoped to the caller, written in the payment's own transaction."""

    # Indexed as the first column of one_idempotency_key_per_user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    # One key may pay for a whole family at once, so the key points at payments, not one payment.
    payments = models.ManyToManyField(Payment, verbose_name=_("payments"), related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class OutboxMessage(models.Model):
    """Side effects of a committed payment, relayed to Celery so none is lost while the broker is down."""

    class Topic(models.TextChoices):
        ENROLLMENT_SYNC = "enrollment_sync", _("enrollment sync")

    topic = models.CharField(_("topic"), max_length=32, choices=Topic.choices)
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(fields=["id"], condition=Q(dispatched_at__isnull=True), name="outbox_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.payment_id}"
