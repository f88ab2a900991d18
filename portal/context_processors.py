"""What every page needs: the elderly-mode preference, the unread badge, the user's roles."""

from django.urls import NoReverseMatch, reverse

from common.elderly import ELDERLY_COOKIE
from common.permissions import user_roles
from payments.selectors import notification_unread_count


def portal(request):
    user = request.user
    person = getattr(user, "person", None) if user.is_authenticated else None
    roles = user_roles(user) if user.is_authenticated else []
    unread = 0
    if person is not None:
        unread = notification_unread_count(person=person)
    return {
        "staff_urls": staff_pages_exist(),
        "elderly_mode": request.COOKIES.get(ELDERLY_COOKIE) == "1",
        "portal_person": person,
        "unread_notifications": unread,
        "is_counter_staff": any(r in roles for r in ("counter_staff", "counter_supervisor", "admin")),
        "is_auditor": any(r in roles for r in ("auditor", "admin")),
    }


def staff_pages_exist() -> bool:
    try:
        reverse("staff:home")
    except NoReverseMatch:
        return False
    return True
