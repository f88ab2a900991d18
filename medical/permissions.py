"""Who acts for an institution: a login of group `institution` with its terminal record, read with
the institution in one query and kept on the user for the rest of the request."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from common.permissions import INSTITUTION
from medical.models import InstitutionTerminal

_CACHE = "_medical_terminal"


def terminal_of(user) -> InstitutionTerminal | None:
    """The user's terminal and its institution, or None for anyone else."""
    if not user.is_authenticated:
        return None
    if _CACHE not in user.__dict__:
        user.__dict__[_CACHE] = (
            InstitutionTerminal.objects.select_related("institution")
            .filter(user_id=user.pk, user__groups__name=INSTITUTION)
            .first()
        )
    return user.__dict__[_CACHE]


class IsInstitutionTerminal(BasePermission):
    """An institution's terminal; which institution it acts for is its terminal record's."""

    def has_permission(self, request, view) -> bool:
        return terminal_of(request.user) is not None
