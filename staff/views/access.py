"""Who may open which staff page, and what the counter keeps in the session."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from common.permissions import AUDITOR, COUNTER_STAFF, COUNTER_SUPERVISOR, staff_landing
from insurees.models import Person
from insurees.selectors import person_get

SESSION_PERSON = "staff_person_id"
SESSION_COUNTER = "staff_counter_id"

# Who a page is for, as the refusal names them.
ROLE_NAMES = {
    COUNTER_STAFF: gettext_lazy("counter staff"),
    COUNTER_SUPERVISOR: gettext_lazy("counter supervisors"),
    AUDITOR: gettext_lazy("auditors"),
}
# The pages each landing leads to, as the refusal names them.
LANDING_PAGES = {
    "staff:home": gettext_lazy("the service counter"),
    "staff:review": gettext_lazy("the expenditure review and the reconciliation"),
    "admin:index": gettext_lazy("the administration"),
    "cashier": gettext_lazy("the cashier page of your institution"),
}


def role_required(*groups: str):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not (user.is_superuser or user.groups.filter(name__in=groups).exists()):
                # Rendered by the portal's 403.html as `exception`; its home link leads the reader to
                # the page his role may use (portal.views.home_view sends each role there).
                raise PermissionDenied(refusal_message(user=user, groups=groups))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def refusal_message(*, user, groups: tuple[str, ...]) -> str:
    """Which roles the page is for, and which pages the reader's own account can use."""
    roles = pgettext("list separator", ", ").join(str(ROLE_NAMES.get(group, group)) for group in groups)
    if getattr(user, "person", None) is not None:
        message = _(
            "This page is for %(roles)s only. Your account can use the pages for insured persons, "
            "from the home page."
        )
        return message % {"roles": roles}
    pages = LANDING_PAGES.get(staff_landing(user))
    if pages is None:
        message = _(
            "This page is for %(roles)s only. Your account has no staff role yet: ask an administrator "
            "to give it one."
        )
        return message % {"roles": roles}
    message = _("This page is for %(roles)s only. Your account can use %(pages)s, from the home page.")
    return message % {"roles": roles, "pages": pages}


counter_only = role_required(COUNTER_STAFF, COUNTER_SUPERVISOR)
auditor_only = role_required(AUDITOR)


def current_counter(request) -> str:
    return request.session.get(SESSION_COUNTER, "")


def current_person(request) -> Person | None:
    person_id = request.session.get(SESSION_PERSON)
    return person_get(person_id=person_id) if person_id else None


def is_supervisor(user) -> bool:
    return user.is_superuser or user.groups.filter(name=COUNTER_SUPERVISOR).exists()


@login_required
def no_role_view(request):
    """Where a staff account with no role lands: it says so, instead of a refusal."""
    if getattr(request.user, "person", None) is not None:
        return redirect("home")
    landing = staff_landing(request.user)
    if landing != "staff:no-role":
        return redirect(landing)
    return render(request, "staff/no_role.html")
