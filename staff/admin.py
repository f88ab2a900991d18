from django.contrib import admin

from common.admin import ReadOnlyAdmin
from staff.models import AuditRecord, ReconciliationRun


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "operator", "counter_id", "action", "person", "object_ref"]
    list_filter = ["action", "counter_id", "operator"]
    search_fields = ["object_ref", "=person__id_number"]
    list_select_related = ["operator", "person"]
    date_hierarchy = "created_at"


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ["date", "ok", "checked", "created_at"]
    list_filter = ["ok"]
