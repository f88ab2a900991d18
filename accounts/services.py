"""Registration with a real-name check, and sign-in with a lockout after repeated failures."""

from __future__ import annotations

import datetime

from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import LoginFailure
from common.errors import ApplicationError
from common.id_numbers import normalize_id_number
from insurees.models import Person

MAX_FAILURES = 5
LOCKOUT = datetime.timedelta(minutes=15)


def _invalid(message, field: str) -> ApplicationError:
    return ApplicationError("invalid_input", message, field=field)


@transaction.atomic
def user_register(*, id_number: str, name: str, phone: str, password: str) -> User:
    """Creates the login of a person on the roster; the ID number and name must both match."""
    person = Person.objects.select_for_update().filter(id_number=normalize_id_number(id_number)).first()
    if person is None or person.name != name.strip():
        raise ApplicationError(
            "not_insured",
            _("No insured person with this ID number and name was found. Please check both."),
            field="id_number",
        )
    if person.user_id is not None:
        raise _invalid(_("An account already exists for this ID number. Please sign in."), "id_number")
    user = User(username=person.id_number)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise _invalid(" ".join(exc.messages), "password") from None
    user.set_password(password)
    user.save()
    person.user = user
    if phone:
        person.phone = phone
    person.save(update_fields=["user", "phone"])
    return user


def _recent_failures(identifier: str) -> int:
    return LoginFailure.objects.filter(
        identifier=identifier, created_at__gte=timezone.now() - LOCKOUT
    ).count()


def login_is_locked(*, identifier: str) -> bool:
    return _recent_failures(identifier) >= MAX_FAILURES


def login_attempt(*, identifier: str, password: str, ip: str | None) -> User:
    """Signs in by ID number (insurees) or username (staff); too many failures lock the identifier."""
    identifier = identifier.strip()
    if len(identifier) == 18:
        identifier = normalize_id_number(identifier)
    if login_is_locked(identifier=identifier):
        raise ApplicationError(
            "rate_limited", _("Too many failed sign-ins. Please try again in 15 minutes or ask the counter.")
        )
    user = authenticate(username=identifier, password=password)
    if user is None:
        LoginFailure.objects.create(identifier=identifier, ip=ip)
        raise ApplicationError(
            "not_authenticated", _("The ID number (or username) or the password is wrong."), field="password"
        )
    LoginFailure.objects.filter(identifier=identifier).delete()
    return user


def login_lockout_clear(*, identifier: str) -> int:
    deleted, _details = LoginFailure.objects.filter(identifier=identifier).delete()
    return deleted
