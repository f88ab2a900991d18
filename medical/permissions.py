"""Who acts for an institution: a login of group `institution` with its terminal record, read with
the institution in one statement and kept on the user: for the rest of the request, and with the
token's user in the sign-in cache (accounts.authentication), so that a terminal's calls do not ask
again. What changes a terminal or its institution forgets its tokens (medical.services.institutions)."""

from __future__ import annotations

from functools import cache

from django.contrib.auth.models import Group, User
from django.db import connection
from rest_framework.permissions import BasePermission

from common.permissions import INSTITUTION
from common.rows import columns, instances
from medical.models import Institution, InstitutionTerminal

_CACHE = "_medical_terminal"


def terminal_of(user) -> InstitutionTerminal | None:
    """The user's terminal and its institution, or None for anyone else."""
    if not user.is_authenticated:
        return None
    if _CACHE not in user.__dict__:
        user.__dict__[_CACHE] = _terminal_of_user(user.pk)
    return user.__dict__[_CACHE]


def terminal_load(user) -> None:
    """The sign-in loader: a login without a person (a terminal, staff) is read with its terminal or
    its absence, cached with it. An insuree's login is never a terminal's (terminal_user_create)."""
    if getattr(user, "person", None) is None:
        terminal_of(user)


def _terminal_of_user(user_id: int) -> InstitutionTerminal | None:
    # Every institution request asks this first: a statement written once rather than compiled anew.
    with connection.cursor() as cursor:
        cursor.execute(_terminal_sql(), [user_id, INSTITUTION])
        row = cursor.fetchone()
    if row is None:
        return None
    terminal, institution = instances(row, [InstitutionTerminal, Institution])
    if terminal is None:  # never: the terminal is the row's first model, found
        return None
    InstitutionTerminal._meta.get_field("institution").set_cached_value(terminal, institution)
    return terminal  # type: ignore[return-value]  # instances() gives Model


@cache
def _terminal_sql() -> str:
    terminals, institutions = InstitutionTerminal._meta.db_table, Institution._meta.db_table
    return (
        f"SELECT {columns(InstitutionTerminal, 't')}, {columns(Institution, 'i')} "  # noqa: S608 - names from the models
        f"FROM {terminals} t JOIN {institutions} i ON i.id = t.institution_id "
        f"WHERE t.user_id = %s AND EXISTS (SELECT 1 FROM {User.groups.through._meta.db_table} ug "
        f"JOIN {Group._meta.db_table} g ON g.id = ug.group_id WHERE ug.user_id = t.user_id AND g.name = %s)"
    )


class IsInstitutionTerminal(BasePermission):
    """An institution's terminal; which institution it acts for is its terminal record's."""

    def has_permission(self, request, view) -> bool:
        return terminal_of(request.user) is not None
