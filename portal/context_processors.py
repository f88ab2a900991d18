"""What every page needs: the elderly-mode preference, the unread badge, the user's roles and what
the navigation offers him."""

import functools

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from common.elderly import ELDERLY_COOKIE
from common.permissions import INSTITUTION, user_roles
from insurees.models import Scheme
from insurees.selectors import insurances_of_person
from notices.selectors import notice_unread_count
from payments.selectors import PayOffers, pay_offers_for_person


def portal(request):
    user = request.user
    person = getattr(user, "person", None) if user.is_authenticated else None
    roles = user_roles(user) if user.is_authenticated else []
    unread, schemes = 0, set()
    if person is not None:
        unread = notice_unread_count(person_id=person.pk)
        schemes = {insuree.scheme for insuree in insurances_of_person(person=person)}

    # Read only by a page that shows them (the navigation, the home page), and once.
    @functools.cache
    def offers() -> PayOffers:
        return pay_offers_for_person(person=person, today=timezone.localdate()) if person else PayOffers()

    return {
        "staff_urls": staff_pages_exist(),
        "elderly_mode": request.COOKIES.get(ELDERLY_COOKIE) == "1",
        "portal_person": person,
        "unread_notifications": unread,
        # The navigation offers only what the reader can do: binding needs an employee insurance;
        # paying, an active binding and a premium open today still unpaid (for a relative, for oneself).
        "nav_for_employee": Scheme.EMPLOYEE in schemes,
        "nav_pay_relatives": SimpleLazyObject(lambda: offers().relatives),
        "nav_pay_self": SimpleLazyObject(lambda: offers().own),
        "is_counter_staff": any(r in roles for r in ("counter_staff", "counter_supervisor", "admin")),
        "is_auditor": any(r in roles for r in ("auditor", "admin")),
        # An institution's terminal (the cashier page checks its terminal record itself).
        "is_cashier": INSTITUTION in roles,
    }


def staff_pages_exist() -> bool:
    try:
        reverse("staff:home")
    except NoReverseMatch:
        return False
    return True
