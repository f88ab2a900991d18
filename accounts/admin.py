from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin as DrfTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from accounts.authentication import tokens_forget
from accounts.models import LoginFailure
from accounts.services import login_lockout_clear, tokens_delete, users_delete
from common.masking import mask_id_number
from insurees.admin import PersonAdmin as InsureesPersonAdmin
from insurees.models import Person


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
        for identifier in set(queryset.values_list("identifier", flat=True)):
            login_lockout_clear(identifier=identifier)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# The pages of users (Django's), tokens (DRF's) and persons (insurees'), each change on them also
# dropping what the sign-in cache (accounts/authentication.py) holds of it. Persons are registered
# again here because insurees, below accounts, cannot reach the cache.
admin.site.unregister(User)
admin.site.unregister(TokenProxy)
admin.site.unregister(Person)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:  # deactivated, renamed, made staff: the next call must see it
            tokens_forget(user_ids=[obj.pk])

    def delete_model(self, request, obj):
        users_delete(user_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        users_delete(user_ids=queryset.values_list("pk", flat=True))


@admin.register(TokenProxy)
class TokenAdmin(DrfTokenAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:  # the token now signs in another user
            tokens_forget(keys=[obj.key])

    def delete_model(self, request, obj):
        tokens_delete(keys=[obj.key])

    def delete_queryset(self, request, queryset):
        tokens_delete(keys=queryset.values_list("key", flat=True))


@admin.register(Person)
class PersonAdmin(InsureesPersonAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        tokens_forget(user_ids=[obj.user_id])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        tokens_forget(user_ids=[obj.user_id])

    def delete_queryset(self, request, queryset):
        user_ids = list(queryset.values_list("user_id", flat=True))
        super().delete_queryset(request, queryset)
        tokens_forget(user_ids=user_ids)
