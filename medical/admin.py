"""The operators' read-only view of medical's rows: every change goes through medical.services (the
import command for institutions), never through a form that would step around the ledger."""

from django.contrib import admin

from common.admin import ReadOnlyAdmin
from medical.models import Allowance, Institution, InstitutionTerminal, Settlement, StatementConfirmation


@admin.register(Institution)
class InstitutionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "region_code", "status", "updated_at"]
    list_filter = ["kind", "status", "region_code"]
    search_fields = ["=code", "name"]


@admin.register(InstitutionTerminal)
class InstitutionTerminalAdmin(ReadOnlyAdmin):
    list_display = ["user", "institution"]
    list_select_related = ["user", "institution"]
    search_fields = ["=user__username", "=institution__code"]


@admin.register(Allowance)
class AllowanceAdmin(ReadOnlyAdmin):
    list_display = ["pk", "binding", "amount_fen", "spent_fen", "status", "created_at", "released_at"]
    list_filter = ["status", "release_reason"]


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = [
        "settlement_id",
        "institution",
        "category",
        "amount_fen",
        "paid_fen",
        "refunded_fen",
        "status",
        "business_date",
    ]
    list_filter = ["status", "category", "business_date"]
    list_select_related = ["institution"]
    search_fields = ["=settlement_id", "=institution__code"]
    date_hierarchy = "created_at"


@admin.register(StatementConfirmation)
class StatementConfirmationAdmin(ReadOnlyAdmin):
    list_display = ["institution", "date", "matched", "their_count", "our_count", "confirmed_at"]
    list_filter = ["matched", "date"]
    list_select_related = ["institution"]
