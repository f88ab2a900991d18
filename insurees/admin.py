from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.masking import mask_id_number, mask_phone
from insurees.models import Enrollment, Insuree, Person, PremiumRate, RegionPolicy


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "masked_id_number", "masked_phone", "birth_date", "sex"]
    search_fields = ["=id_number", "name"]
    readonly_fields = ["id_number", "birth_date", "sex", "user", "created_at"]

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj: Person) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Person) -> str:
        return mask_phone(obj.phone)


@admin.register(Insuree)
class InsureeAdmin(admin.ModelAdmin):
    list_display = ["person", "scheme", "region_code", "status", "since"]
    list_filter = ["scheme", "status", "region_code"]
    search_fields = ["=person__id_number", "person__name"]
    list_select_related = ["person"]
    # Status and region change through the roster import, which ends bindings as the rules say.
    readonly_fields = ["person", "scheme", "region_code", "status", "account", "since"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["insuree", "year", "kind", "paid", "payment_id", "paid_at"]
    list_filter = ["year", "kind", "paid"]
    list_select_related = ["insuree__person"]
    readonly_fields = ["insuree", "year", "kind", "paid", "payment_id", "paid_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PremiumRate)
class PremiumRateAdmin(admin.ModelAdmin):
    list_display = ["region_code", "year", "kind", "amount_fen", "collection_start", "collection_end"]
    list_filter = ["year", "kind"]


@admin.register(RegionPolicy)
class RegionPolicyAdmin(admin.ModelAdmin):
    list_display = ["region_code", "scope", "exclusive_family"]
