"""Registration with a real-name check, sign-in with a lockout after repeated failures, staff
accounts and API tokens.

Whatever here changes or deletes a login or a token drops its entries from the sign-in cache
(accounts/authentication.py) in the same transaction: nothing else would.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable

from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import Token

from accounts.authentication import tokens_forget
from accounts.models import LoginFailure
from common.errors import ApplicationError
from common.id_numbers import looks_like_id_number, normalize_id_number
from common.names import same_name
from common.permissions import AUDITOR, COUNTER_STAFF, COUNTER_SUPERVISOR, INSTITUTION
from insurees.selectors import person_get_by_id_number_for_update
from insurees.services import person_user_link

MAX_FAILURES = 5
LOCKOUT = datetime.timedelta(minutes=15)
STAFF_ROLES = (COUNTER_STAFF, COUNTER_SUPERVISOR, AUDITOR)


def _invalid(message, field: str) -> ApplicationError:
    return ApplicationError("invalid_input", message, field=field)


@transaction.atomic
def user_register(*, id_number: str, name: str, phone: str, password: str) -> User:
    """Creates the login of a person on the roster; the ID number and name must both match."""
    person = person_get_by_id_number_for_update(id_number=id_number)
    if person is None or not same_name(person.name, name):
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
    # A new login has no token yet, so nothing of it or of its person is cached to forget.
    person_user_link(person=person, user=user, phone=phone)
    return user


@transaction.atomic
def staff_user_create(*, username: str, role: str, password: str) -> User:
    """Creates a staff login with a role, or gives an existing one this role and password."""
    if role not in STAFF_ROLES:
        raise ValueError(f"unknown role {role!r}")
    user, _created = User.objects.get_or_create(username=username)
    user.set_password(password)
    # Auditors work in the Django admin too; counter staff only in the portal.
    user.is_staff = role == AUDITOR
    user.save()
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    if role == COUNTER_SUPERVISOR:
        user.groups.add(Group.objects.get_or_create(name=COUNTER_STAFF)[0])
    tokens_forget(user_ids=[user.pk])
    return user


def terminal_user_create(*, username: str, password: str) -> User:
    """Creates the login of an institution's terminal (group `institution`), or sets the password of
    one that exists; a login with any other role or an insuree's is refused."""
    user, _created = User.objects.get_or_create(username=username)
    roles = set(user.groups.values_list("name", flat=True)) - {INSTITUTION}
    if roles or user.is_superuser or user.is_staff or getattr(user, "person", None) is not None:
        raise ValueError(f"{username!r} is another kind of account")
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get_or_create(name=INSTITUTION)[0])
    tokens_forget(user_ids=[user.pk])
    return user


def superuser_create(*, username: str, password: str) -> User:
    return User.objects.create_superuser(username=username, password=password)


@transaction.atomic
def users_delete(*, user_ids: Iterable[int]) -> int:
    """Deletes logins with their tokens; their persons stay on the roster, without a login."""
    user_ids = list(user_ids)
    tokens_forget(user_ids=user_ids)  # first: the delete takes the tokens with it
    _deleted, per_model = User.objects.filter(pk__in=user_ids).delete()
    return per_model.get(User._meta.label, 0)


def token_issue(*, user: User) -> Token:
    """The user's API token: made at the first sign-in, the same one at every later one."""
    token, _created = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def tokens_delete(*, keys: Iterable[str]) -> int:
    """Revokes tokens: the next call with one of them is refused, cached or not."""
    keys = list(keys)
    deleted, _per_model = Token.objects.filter(key__in=keys).delete()
    tokens_forget(keys=keys)
    return deleted


def _recent_failures(identifier: str) -> int:
    return LoginFailure.objects.filter(
        identifier=identifier, created_at__gte=timezone.now() - LOCKOUT
    ).count()


def _identifier_key(identifier: str) -> str:
    """The identifier as failures are counted: an ID number normalised, a username as typed."""
    identifier = identifier.strip()
    number = normalize_id_number(identifier)
    return number if looks_like_id_number(number) else identifier


def _locked_for(identifier: str) -> int:
    """Seconds until the identifier may try again (0: it may now): until enough of its recent failures
    have left the window that fewer than MAX_FAILURES remain."""
    times = list(
        LoginFailure.objects.filter(identifier=identifier, created_at__gte=timezone.now() - LOCKOUT)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    if len(times) < MAX_FAILURES:
        return 0
    unlocks_at = times[len(times) - MAX_FAILURES] + LOCKOUT
    return max(math.ceil((unlocks_at - timezone.now()).total_seconds()), 1)


def login_attempts_left(*, identifier: str) -> int:
    """Failed sign-ins this identifier may still make before it is locked: the same count for an
    identifier that exists and one that does not, so the warning tells nobody which is which."""
    return max(MAX_FAILURES - _recent_failures(_identifier_key(identifier)), 0)


def login_attempt(*, identifier: str, password: str, ip: str | None) -> User:
    """Signs in by ID number (insurees) or username (staff); too many failures lock the identifier."""
    identifier = _identifier_key(identifier)
    locked_for = _locked_for(identifier)
    if locked_for:
        raise ApplicationError(
            "rate_limited",
            _("Too many failed sign-ins. Please try again in 15 minutes or ask the counter."),
            retry_after=locked_for,
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
