from django.contrib import admin

from common.admin import ReadOnlyAdmin
from payments.models import IdempotencyKey, OutboxMessage, Payment


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "year",
        "kind",
        "amount_fen",
        "region_code",
        "channel",
        "relation",
        "status",
        "created_at",
        "enrollment_synced_at",
    ]
    list_filter = ["status", "kind", "channel", "year", "region_code"]
    search_fields = ["=reference"]
    list_select_related = ["beneficiary__person", "authorizer__person"]
    date_hierarchy = "created_at"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["pk", "topic", "payment", "created_at", "dispatched_at", "attempts", "last_error"]
    list_filter = ["topic"]


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["user", "key", "created_at"]
