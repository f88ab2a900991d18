from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Relation(models.TextChoices):
    """The beneficiary's relation to the authorizer (国办发〔2024〕38号 near relatives)."""

    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SIBLING = "sibling", _("Sibling")
    PATERNAL_GRANDPARENT = "paternal_grandparent", _("Paternal grandparent")
    MATERNAL_GRANDPARENT = "maternal_grandparent", _("Maternal grandparent")
    PATERNAL_GRANDCHILD = "paternal_grandchild", _("Paternal grandchild")
    MATERNAL_GRANDCHILD = "maternal_grandchild", _("Maternal grandchild")


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    COUNTER = "counter", _("Service counter")


class BindingStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class EndReason(models.TextChoices):
    AUTHORIZER_UNBOUND = "authorizer_unbound", _("Ended by the authorizer")
    BENEFICIARY_UNBOUND = "beneficiary_unbound", _("Ended by the beneficiary")
    AUTHORIZER_NOT_ACTIVE = "authorizer_not_active", _("The authorizer's employee insurance ended")
    AUTHORIZER_MOVED = "authorizer_moved", _("The authorizer moved to another pooling region")
    BENEFICIARY_NOT_ACTIVE = "beneficiary_not_active", _("The beneficiary's resident insurance ended")
    BENEFICIARY_MOVED = "beneficiary_moved", _("The beneficiary moved to another pooling region")


class Pledge(models.Model):
    """The personal pledge (个人承诺书); a new text is a new version, never an edit."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    text_zh = models.TextField(_("text (Chinese)"))
    text_en = models.TextField(_("text (English)"))
    sha256 = models.CharField(_("SHA-256 of the Chinese text"), max_length=64)
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")

    def __str__(self) -> str:
        return f"v{self.version}"


class Binding(models.Model):
    """共济关系: an employee's personal account may pay a near relative's resident premium."""

    # Indexed as the first columns of binding_authorizer_status and binding_beneficiary_status.
    authorizer = models.ForeignKey(
        "insurees.Insuree", on_delete=models.PROTECT, related_name="bindings_given", db_index=False
    )
    beneficiary = models.ForeignKey(
        "insurees.Insuree", on_delete=models.PROTECT, related_name="bindings_received", db_index=False
    )
    relation = models.CharField(_("relation"), max_length=32, choices=Relation.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=BindingStatus.choices, default=BindingStatus.ACTIVE
    )
    # The authorizer may stop self-payments through this binding while still paying himself.
    self_pay_paused = models.BooleanField(_("self-payment paused"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=32, choices=EndReason.choices, blank=True)

    # What was signed, kept forever with the binding.
    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="bindings")
    pledge_version = models.PositiveIntegerField(_("pledge version"))
    pledge_sha256 = models.CharField(_("pledge SHA-256"), max_length=64)
    signed_at = models.DateTimeField(_("signed at"))
    signer = models.ForeignKey("insurees.Person", on_delete=models.PROTECT, related_name="signed_bindings")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    counter_id = models.CharField(_("counter"), max_length=32, blank=True)
    paper_pledge_ref = models.CharField(_("paper pledge form number"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("binding")
        verbose_name_plural = _("bindings")
        constraints = [
            models.UniqueConstraint(
                fields=["authorizer", "beneficiary"],
                condition=Q(status="active"),
                name="one_active_binding_per_pair",
            ),
            models.CheckConstraint(condition=~Q(authorizer=models.F("beneficiary")), name="binding_not_self"),
            models.CheckConstraint(
                condition=Q(status="active", ended_at__isnull=True)
                | Q(status="ended", ended_at__isnull=False),
                name="binding_ended_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(channel="online") | Q(operator__isnull=False), name="counter_binding_has_operator"
            ),
        ]
        indexes = [
            models.Index(fields=["beneficiary", "status"], name="binding_beneficiary_status"),
            models.Index(fields=["authorizer", "status"], name="binding_authorizer_status"),
        ]

    def __str__(self) -> str:
        return f"{self.authorizer_id} -> {self.beneficiary_id} ({self.relation})"
