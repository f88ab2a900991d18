"""Setting, changing and releasing allowances: each change is one call of medical's SQL
(medical/migrations/sql/allowances.sql), which takes the locks, applies the rules and moves the money
as one balanced ledger transaction. A binding's end releases its allowance in the database itself
(the trigger there), whichever service ends it.

A refusal is raised as the ApplicationError of its code (medical.services.calls); nothing moved.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

from django.contrib.auth.models import User
from django.utils import timezone

from common.errors import ApplicationError
from common.outcome import ask_until_known
from insurees.models import Person
from medical import errors
from medical.models import Allowance
from medical.services.calls import LOCK_WAIT, function_call
from mutual_aid import errors as binding_errors

REFUSALS: dict[str, Callable[[str], ApplicationError]] = {
    "invalid_input": lambda detail: errors.invalid_amount(),
    "idempotency_conflict": lambda detail: errors.idempotency_conflict(),
    "binding_not_found": lambda detail: binding_errors.binding_not_found(),
    "allowance_not_found": lambda detail: errors.allowance_not_found(),
    "allowance_below_spent": lambda detail: errors.allowance_below_spent(int(detail)),
    "insufficient_balance": lambda detail: errors.insufficient_balance(int(detail)),
}


@dataclass(frozen=True)
class Actor:
    """Who asks: the signed-in user, owner of the idempotency key (blank: no replay)."""

    user: User
    idempotency_key: str = ""


def allowance_set(*, authorizer: Person, binding_id: int, amount_fen: int, actor: Actor) -> Allowance:
    """Sets, raises or lowers the allowance of the authorizer's active binding: the difference moves
    between his personal account and the allowance's hold, all of it or nothing."""
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool):
        raise errors.invalid_amount()
    return _asked(
        "SELECT * FROM medical_allowance_set(%s, %s, %s, %s, %s, %s, %s)",
        [binding_id, amount_fen],
        authorizer=authorizer,
        actor=actor,
    )


def allowance_release(*, authorizer: Person, binding_id: int, actor: Actor) -> Allowance:
    """Releases the allowance of the authorizer's active binding: what is unspent is back in his
    personal account at once."""
    return _asked(
        "SELECT * FROM medical_allowance_release(%s, %s, %s, %s, %s, %s)",
        [binding_id],
        authorizer=authorizer,
        actor=actor,
    )


# The key of a request that came without one (the release page; a DELETE without Idempotency-Key).
SERVER_KEY_PREFIX = "gongji:"
# A key beyond PostgreSQL's bigint names no binding (and the call would find no function to take it).
_KEY_MAX = 2**63 - 1


def _asked(sql: str, args: list, *, authorizer: Person, actor: Actor) -> Allowance:
    if not 0 < args[0] <= _KEY_MAX:
        raise binding_errors.binding_not_found()
    if not actor.idempotency_key:
        # Asking again after a lost answer finds the first ask's change by its key alone: without one,
        # a release that went through would be asked again and answered "no allowance".
        actor = replace(actor, idempotency_key=f"{SERVER_KEY_PREFIX}{uuid.uuid4().hex}")
    return ask_until_known(
        partial(_ask_once, sql, args, authorizer=authorizer, actor=actor),
        what="allowance",
        unknown=errors.allowance_outcome_unknown,
    )


def _ask_once(sql: str, args: list, *, authorizer: Person, actor: Actor) -> Allowance:
    params = [actor.user.pk, actor.idempotency_key, LOCK_WAIT, authorizer.pk, *args, timezone.now()]
    # The notices it wrote to both sides leave through the notices' relay.
    _replayed, allowance_id, _notices = function_call(sql, params, refusals=REFUSALS)
    return Allowance.objects.select_related("authorizer__person", "beneficiary__person").get(pk=allowance_id)
