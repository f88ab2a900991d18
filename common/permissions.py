"""Who may call what: insurees act for themselves; staff by their role (Django group)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from common.errors import ApplicationError

COUNTER_STAFF = "counter_staff"
COUNTER_SUPERVISOR = "counter_supervisor"
AUDITOR = "auditor"
# A designated institution's terminal (its system, or its cashier): settles for that institution only.
INSTITUTION = "institution"


def user_roles(user) -> list[str]:
    if not user.is_authenticated:
        return []
    roles = list(user.groups.values_list("name", flat=True))
    if getattr(user, "person", None) is not None:
        roles.append("insuree")
    if user.is_superuser:
        roles.append("admin")
    return sorted(roles)


def staff_landing(user) -> str:
    """The URL name of the page a staff account's role may use, where it lands after signing in:
    the counter for counter staff, the review for auditors, the cashier page for an institution's
    terminal, the admin for a superuser without a counter role, and a page saying so for an account
    with no role."""
    groups = set(user.groups.values_list("name", flat=True))
    if INSTITUTION in groups and hasattr(user, "terminal"):
        return "cashier"
    if groups & {COUNTER_STAFF, COUNTER_SUPERVISOR}:
        return "staff:home"
    if AUDITOR in groups:
        return "staff:review"
    if user.is_superuser:
        return "admin:index"
    return "staff:no-role"


def person_of(user):
    """The signed-in insuree's Person; staff and admins without one are refused."""
    person = getattr(user, "person", None) if user.is_authenticated else None
    if person is None:
        raise ApplicationError(
            "permission_denied", _("This is for insured persons signed in with their ID number.")
        )
    return person


def page_person(request):
    """The page's signed-in insuree; anyone else (staff, admins) finds no such page (404)."""
    try:
        return person_of(request.user)
    except ApplicationError:
        raise Http404 from None


class IsInsuree(BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user.is_authenticated and getattr(request.user, "person", None) is not None)


class InGroup(BasePermission):
    """Subclasses name the groups allowed; superusers are allowed everywhere."""

    groups: tuple[str, ...] = ()

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        return user.is_superuser or user.groups.filter(name__in=self.groups).exists()


class IsCounterStaff(InGroup):
    groups = (COUNTER_STAFF, COUNTER_SUPERVISOR)


class IsCounterSupervisor(InGroup):
    groups = (COUNTER_SUPERVISOR,)


class IsAuditor(InGroup):
    groups = (AUDITOR,)
