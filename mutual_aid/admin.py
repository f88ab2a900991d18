import hashlib

from django.contrib import admin

from common.admin import ReadOnlyAdmin
from mutual_aid.models import Binding, Pledge


@admin.register(Pledge)
class PledgeAdmin(admin.ModelAdmin):
    """A new text is a new version; published versions are never edited."""

    list_display = ["version", "published_at", "sha256"]
    readonly_fields = ["sha256", "published_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        obj.sha256 = hashlib.sha256(obj.text_zh.encode()).hexdigest()
        super().save_model(request, obj, form, change)


@admin.register(Binding)
class BindingAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "authorizer",
        "beneficiary",
        "relation",
        "status",
        "channel",
        "created_at",
        "end_reason",
    ]
    list_filter = ["status", "relation", "channel", "end_reason"]
    list_select_related = ["authorizer__person", "beneficiary__person"]
    date_hierarchy = "created_at"
