"""Reading one allowance change by the request that made it: the counter's audit trail and its
confirmation page say what moved (before and after), which only the change row knows exactly."""

from __future__ import annotations

from django.contrib.auth.models import User

from medical.models import AllowanceChange


def allowance_change_for_key(*, user: User, key: str) -> AllowanceChange | None:
    """The change the user's request under this Idempotency-Key made, with its allowance and both
    sides, or None if no change was made under it."""
    if not key:
        return None
    return (
        AllowanceChange.objects.filter(user=user, idempotency_key=key)
        .select_related(
            "allowance__authorizer__person", "allowance__beneficiary__person", "allowance__binding"
        )
        .first()
    )
