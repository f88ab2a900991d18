from django.contrib import admin

from common.admin import ReadOnlyAdmin
from mutual_aid.models import Binding, Pledge
from mutual_aid.services import pledge_publish


@admin.register(Pledge)
class PledgeAdmin(admin.ModelAdmin):
    """A new text is a new version; published versions are never edited."""

    list_display = ["version", "published_at", "sha256"]
    readonly_fields = ["version", "sha256", "published_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        published = pledge_publish(text_zh=obj.text_zh, text_en=obj.text_en)
        # The admin goes on with the object it built (its log, its redirect): make it the published row.
        for field in Pledge._meta.concrete_fields:
            setattr(obj, field.attname, getattr(published, field.attname))
        obj._state.adding, obj._state.db = False, published._state.db


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
