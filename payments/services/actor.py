from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.models import User

if TYPE_CHECKING:
    from payments.models import Payment


@dataclass(frozen=True)
class Actor:
    """Who asks: the signed-in user (owner of the idempotency key) and, at a counter, where."""

    user: User
    idempotency_key: str
    operator: User | None = None
    counter_id: str = ""
    # Called inside the payment's own transaction with the new payments: a counter's audit trail
    # is written with the change it records, or not at all.
    record: Callable[[Sequence[Payment]], None] | None = None
