from django.contrib import admin

from common.admin import ReadOnlyAdmin
from notices.models import Notice


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "person",
        "kind",
        "link_kind",
        "link_id",
        "created_at",
        "read_at",
        "delivered_at",
        "given_up_at",
    ]
    list_filter = ["kind"]
    list_select_related = ["person"]
