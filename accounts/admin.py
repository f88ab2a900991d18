from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import LoginFailure
from common.masking import mask_id_number


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ["masked_identifier", "ip", "created_at"]
    search_fields = ["identifier"]
    list_filter = ["created_at"]
    actions = ["clear_lockout"]

    @admin.display(description=_("ID number or username"))
    def masked_identifier(self, obj: LoginFailure) -> str:
        return mask_id_number(obj.identifier) if len(obj.identifier) == 18 else obj.identifier

    @admin.action(description=_("Clear the lockout of the selected identifiers"))
    def clear_lockout(self, request, queryset):
        identifiers = set(queryset.values_list("identifier", flat=True))
        LoginFailure.objects.filter(identifier__in=identifiers).delete()

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
