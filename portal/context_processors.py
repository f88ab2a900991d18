"""What every page needs: the elderly-mode preference, the unread badge, the user's roles and what
the navigation offers him."""

from django.urls import NoReverseMatch, reverse

from common.elderly import ELDERLY_COOKIE
from common.permissions import INSTITUTION, user_roles
from insurees.models import Scheme
from insurees.selectors import insurances_of_person
from mutual_aid.selectors import binding_active_exists_for_beneficiary
from notices.selectors import notice_unread_count


def portal(request):
    user = request.user
    person = getattr(user, "person", None) if user.is_authenticated else None
    roles = user_roles(user) if user.is_authenticated else []
    unread, schemes, can_pay_self = 0, set(), False
    if person is not None:
        unread = notice_unread_count(person_id=person.pk)
        schemes = {insuree.scheme for insuree in insurances_of_person(person=person)}
        if Scheme.RESIDENT in schemes:
            can_pay_self = binding_active_exists_for_beneficiary(person=person)
    return {
        "staff_urls": staff_pages_exist(),
        "elderly_mode": request.COOKIES.get(ELDERLY_COOKIE) == "1",
        "portal_person": person,
        "unread_notifications": unread,
        # The navigation offers only what the reader can do: binding and paying for others need an
        # employee insurance; paying one's own premium needs an account bound to one.
        "nav_for_employee": Scheme.EMPLOYEE in schemes,
        "nav_pay_self": can_pay_self,
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
