from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    """What a notice tells its reader; the app that sends a kind renders its text (notices.rendering)."""

    DEBIT = "debit", _("Personal account debit")
    REFUND = "refund", _("Refund to your personal account")
    PREMIUM_PAID = "premium_paid", _("Premium paid")
    PREMIUM_REFUNDED = "premium_refunded", _("Premium refunded")
    BINDING_CREATED = "binding_created", _("Mutual-aid binding created")
    BINDING_ENDED = "binding_ended", _("Mutual-aid binding ended")
    PREMIUM_REMINDER = "premium_reminder", _("Premium reminder")
    ALLOWANCE_SET = "allowance_set", _("Allowance set")
    ALLOWANCE_RELEASED = "allowance_released", _("Allowance released")
    SETTLEMENT_PAID = "settlement_paid", _("Allowance spent at an institution")
    SETTLEMENT_REVERSED = "settlement_reversed", _("Allowance payment reversed")
    SETTLEMENT_REFUNDED = "settlement_refunded", _("Allowance payment refunded")


class NoticeLink(models.TextChoices):
    """What a notice is about, for its link: another app's object by kind and id, never a foreign key."""

    PAYMENT = "payment", _("Payment")
    BINDING = "binding", _("Binding")
    PAY = "pay", _("Pay page")


class Notice(models.Model):
    """A message to a person in the portal; senders (email, later SMS) deliver it outside as well."""

    # Indexed as the first column of notice_person_time.
    person = models.ForeignKey(
        "insurees.Person", on_delete=models.CASCADE, related_name="notices", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NoticeKind.choices)
    # The message is rendered from these at reading time, in the reader's language.
    facts = models.JSONField(_("facts"), default=dict)
    link_kind = models.CharField(_("about"), max_length=16, choices=NoticeLink.choices, blank=True)
    link_id = models.BigIntegerField(_("about id"), null=True, blank=True)
    # A notice sent at most once per person and key (a reminder per year and deadline); blank: no limit.
    dedup_key = models.CharField(_("deduplication key"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    # When the relay may take it (again): at once when written, later after each try.
    next_try_at = models.DateTimeField(_("next delivery try at"), db_default=Now())
    # Set when the last try allowed failed: the relay leaves the notice (it stays in the portal).
    given_up_at = models.DateTimeField(_("delivery given up at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "dedup_key"], condition=~Q(dedup_key=""), name="one_notice_per_dedup_key"
            ),
        ]
        indexes = [
            models.Index(fields=["person", "-created_at"], name="notice_person_time"),
            # The relay's queue: only the few notices still to deliver, not the delivered or given up.
            models.Index(
                fields=["next_try_at", "id"],
                condition=Q(delivered_at__isnull=True, given_up_at__isnull=True),
                name="notice_to_deliver",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
