from django.contrib import admin

from common.admin import ReadOnlyAdmin
from ledger.models import Account, Entry, Transaction


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "name", "balance_fen"]
    list_filter = ["kind"]
    search_fields = ["code"]


class EntryInline(admin.TabularInline):
    model = Entry
    extra = 0
    can_delete = False
    readonly_fields = ["account", "amount_fen", "created_at"]

    def get_queryset(self, request):
        # A roster's opening transaction holds a hundred entries: their accounts in the same query.
        return super().get_queryset(request).select_related("account")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "reference", "memo", "reverses", "created_at"]
    search_fields = ["reference"]
    date_hierarchy = "created_at"
    inlines = [EntryInline]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["transaction", "account", "amount_fen", "created_at"]
    list_select_related = ["transaction", "account"]
