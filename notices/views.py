from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from common.permissions import page_person
from notices.models import Notice
from notices.rendering import notice_link, notice_link_label, notice_text
from notices.selectors import notice_list_for_person
from notices.services import notices_mark_read


@dataclass(frozen=True)
class NoticeItem:
    notice: Notice
    text: str
    link: str | None
    link_label: str


@login_required
def notifications_view(request):
    person = page_person(request)
    page = Paginator(notice_list_for_person(person_id=person.pk), 20).get_page(request.GET.get("page"))
    items = [
        NoticeItem(notice=n, text=notice_text(n), link=notice_link(n), link_label=notice_link_label(n))
        for n in page
    ]
    return render(request, "portal/notifications.html", {"page": page, "items": items})


@login_required
@require_POST
def notifications_read_view(request):
    notices_mark_read(person_id=page_person(request).pk)
    return redirect("notifications")
