"""Who may open which staff page, and what the counter keeps in the session."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from common.permissions import COUNTER_STAFF, COUNTER_SUPERVISOR
from insurees.models import Person
from insurees.selectors import person_get

SESSION_PERSON = "staff_person_id"
SESSION_COUNTER = "staff_counter_id"


def role_required(*groups):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not (user.is_superuser or user.groups.filter(name__in=groups).exists()):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


counter_only = role_required(COUNTER_STAFF, COUNTER_SUPERVISOR)


def current_counter(request) -> str:
    return request.session.get(SESSION_COUNTER, "")


def current_person(request) -> Person | None:
    person_id = request.session.get(SESSION_PERSON)
    return person_get(person_id=person_id) if person_id else None


def is_supervisor(user) -> bool:
    return user.is_superuser or user.groups.filter(name=COUNTER_SUPERVISOR).exists()
