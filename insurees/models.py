from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.id_numbers import validate_id_number
from insurees.regions import validate_policy_region_code, validate_pooling_region_code


class Scheme(models.TextChoices):
    EMPLOYEE = "employee", _("Employee basic medical insurance")
    RESIDENT = "resident", _("Urban and rural resident basic medical insurance")


class InsureeStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class PremiumKind(models.TextChoices):
    """What a premium pays for: the resident medical insurance, or long-term care where a region sets
    a rate for it (长期护理保险)."""

    RESIDENT_MEDICAL = "resident_medical", _("Urban and rural resident basic medical insurance")
    LONG_TERM_CARE = "long_term_care", _("Long-term-care insurance")


class RegionScope(models.TextChoices):
    CITY = "city", _("Same pooling region")
    PROVINCE = "province", _("Same province")


class Person(models.Model):
    id_number = models.CharField(_("ID number"), max_length=18, unique=True, validators=[validate_id_number])
    name = models.CharField(_("name"), max_length=64)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return self.name


class Insuree(models.Model):
    """One person's registration in one scheme; the employee one owns the personal account."""

    # Indexed as the first column of one_insuree_per_person_scheme.
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="insurances", db_index=False)
    scheme = models.CharField(_("scheme"), max_length=16, choices=Scheme.choices)
    region_code = models.CharField(
        _("pooling region"), max_length=6, validators=[validate_pooling_region_code]
    )
    status = models.CharField(_("status"), max_length=16, choices=InsureeStatus.choices)
    since = models.DateField(_("since"))
    # The ledger account of an employee's personal account; ledger stays unaware of insurees.
    account = models.OneToOneField(
        "ledger.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("insuree")
        verbose_name_plural = _("insurees")
        constraints = [
            models.UniqueConstraint(fields=["person", "scheme"], name="one_insuree_per_person_scheme"),
            models.CheckConstraint(
                condition=Q(scheme=Scheme.EMPLOYEE) | Q(account__isnull=True),
                name="personal_account_only_for_employees",
            ),
        ]
        indexes = [models.Index(fields=["region_code", "scheme"], name="insuree_region_scheme")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_scheme_display()}, {self.region_code})"

    @property
    def is_active(self) -> bool:
        return self.status == InsureeStatus.ACTIVE


class Enrollment(models.Model):
    """A resident's registration for one coverage year and premium kind; paid once the payment has
    synced."""

    # Indexed as the first column of one_enrollment_per_insuree_year_kind.
    insuree = models.ForeignKey(Insuree, on_delete=models.PROTECT, related_name="enrollments", db_index=False)
    year = models.PositiveSmallIntegerField(_("year"))
    # The database default too: SQL that names no kind (older callers, bulk loads) means the resident one.
    kind = models.CharField(
        _("premium kind"),
        max_length=16,
        choices=PremiumKind.choices,
        default=PremiumKind.RESIDENT_MEDICAL,
        db_default=PremiumKind.RESIDENT_MEDICAL,
    )
    paid = models.BooleanField(_("paid"), default=False)
    # The payment that paid it (payments.Payment id); a plain id keeps insurees free of payments.
    payment_id = models.BigIntegerField(_("payment"), null=True, blank=True, unique=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.UniqueConstraint(
                fields=["insuree", "year", "kind"], name="one_enrollment_per_insuree_year_kind"
            ),
            models.CheckConstraint(
                condition=Q(paid=False) | Q(payment_id__isnull=False), name="paid_enrollment_has_payment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.insuree} {self.year} {self.kind}"


class PremiumRate(models.Model):
    region_code = models.CharField(
        _("pooling region"), max_length=6, validators=[validate_pooling_region_code]
    )
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(
        _("premium kind"),
        max_length=16,
        choices=PremiumKind.choices,
        default=PremiumKind.RESIDENT_MEDICAL,
        db_default=PremiumKind.RESIDENT_MEDICAL,
    )
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    collection_start = models.DateField(_("collection starts"))
    collection_end = models.DateField(_("collection ends"))

    class Meta:
        verbose_name = _("premium rate")
        verbose_name_plural = _("premium rates")
        constraints = [
            models.UniqueConstraint(
                fields=["region_code", "year", "kind"], name="one_rate_per_region_year_kind"
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="premium_amount_positive"),
            models.CheckConstraint(
                condition=Q(collection_end__gte=F("collection_start")), name="collection_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.year} {self.kind}"


class RegionPolicy(models.Model):
    """How far bindings may reach and whether a family is exclusive; a province code covers its cities."""

    region_code = models.CharField(
        _("region"), max_length=6, unique=True, validators=[validate_policy_region_code]
    )
    scope = models.CharField(_("scope"), max_length=16, choices=RegionScope.choices, default=RegionScope.CITY)
    exclusive_family = models.BooleanField(_("exclusive family"), default=False)

    class Meta:
        verbose_name = _("region policy")
        verbose_name_plural = _("region policies")

    def __str__(self) -> str:
        return f"{self.region_code} {self.scope}"
