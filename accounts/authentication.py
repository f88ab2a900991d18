"""Token authentication with the token's user, and his person, kept in the cache.

Every API call starts by looking its token up; cached, that costs one cache read instead of two
queries (the token with its user, then the person). Whatever deletes or moves a token, or changes or
deletes a user or a person, calls `tokens_forget` in the same transaction: the services in
accounts/services.py and the admin pages of users, tokens and persons do. An entry expires after
TOKEN_CACHE_SECONDS whatever happens, so a change made anywhere else (a bulk update of the roster's
phone numbers, a shell) is seen within that time.

An app above this one may keep more on the cached user (medical: a terminal's institution, asked on
every institution call) by registering a sign-in loader; whatever changes what a loader read calls
`tokens_forget` as well.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from functools import cache, partial
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache as django_cache
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from common.faults import FaultLog
from common.rows import columns, instances
from insurees.models import Person

User = get_user_model()
logger = logging.getLogger(__name__)
# Logged when Redis goes away and when it is back, not on each of the calls in between (issue 17).
sign_in_cache = FaultLog("sign-in cache", logger)

TOKEN_CACHE_SECONDS = 300
# The password hash stays out of the cache: deferred, it is read only if used, and save() leaves it.
NOT_CACHED = ("password",)

# Called with a user just read from the database, before he is cached: each may set attributes of his
# (in his __dict__), which the cache then keeps with him.
_sign_in_loaders: list[Callable[[Any], None]] = []


def sign_in_loader_register(loader: Callable[[Any], None]) -> None:
    if loader not in _sign_in_loaders:
        _sign_in_loaders.append(loader)


def token_cache_key(key: str) -> str:
    # The cache holds a digest, never the token itself: a copy of the cache signs nobody in.
    return "auth:token:" + hashlib.sha256(key.encode()).hexdigest()


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str):
        cache_key = token_cache_key(key)
        user = _cache_call(django_cache.get, cache_key)
        if user is None:
            user = _user_of_token(key)
            if user is None:
                raise AuthenticationFailed(_("Invalid token."))
            _cache_call(django_cache.set, cache_key, user, TOKEN_CACHE_SECONDS)
        if not user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        return user, Token(key=key, user=user)


def tokens_forget(*, user_ids: Iterable[int | None] = (), keys: Iterable[str] = ()) -> None:
    """Drops the cached entries of these tokens and of all these users' tokens, now and again when
    the caller's transaction commits: a request that read the old row just before the commit may
    have cached it meanwhile. A user's tokens are looked up now, so forget before deleting a user."""
    keys = list(keys)
    users = [user_id for user_id in user_ids if user_id is not None]  # a person without a login: None
    if users:
        keys += Token.objects.filter(user_id__in=users).values_list("key", flat=True)
    if not keys:
        return
    cache_keys = [token_cache_key(key) for key in keys]
    _cache_call(django_cache.delete_many, cache_keys)
    transaction.on_commit(partial(_cache_call, django_cache.delete_many, cache_keys))


def _cache_call(method, *args):
    """The cache is a shortcut: with Redis away, sign-in reads the database, and an entry that could
    not be dropped expires after TOKEN_CACHE_SECONDS."""
    try:
        result = method(*args)
    except Exception as exc:
        sign_in_cache.failed(exc)
        return None
    sign_in_cache.recovered()
    return result


def _user_of_token(key: str):
    """The token's user with his person (None for staff) in one statement written once."""
    with connection.cursor() as cursor:
        cursor.execute(_user_of_token_sql(), [key])
        row = cursor.fetchone()
    if row is None:
        return None
    user, person = instances(row, [User, Person], without={User: NOT_CACHED})
    if user is None:  # never: the token's user comes by an inner join
        return None
    person_user = Person._meta.get_field("user")
    person_user.remote_field.set_cached_value(user, person)  # user.person, or its absence
    if person is not None:
        person_user.set_cached_value(person, user)
    for load in _sign_in_loaders:
        load(user)
    return user


@cache
def _user_of_token_sql() -> str:
    return (
        f"SELECT {columns(User, 'u', without=NOT_CACHED)}, {columns(Person, 'p')} "  # noqa: S608 - names from the models
        f"FROM {Token._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
        f"LEFT JOIN {Person._meta.db_table} p ON p.user_id = u.id WHERE t.key = %s"
    )
