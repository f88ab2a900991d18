"""A paying journey's choice between its steps (choose, check, confirm), kept in the session under
the journey's idempotency key: the URLs carry only the key, never an ID number."""

from __future__ import annotations

import uuid
from typing import Any

from insurees.models import PremiumKind
from payments.selectors import payment_list_for_idempotency_key

SESSION_DRAFTS = "pay_drafts"
# Enough for a few tabs or journeys at once; the oldest goes first.
MAX_DRAFTS = 10


def draft_key(request, *, key: str) -> str:
    """The key for a choice just made on step 1: its own, unless that already paid (step 1 resent
    from the browser's history after paying), which then gets a new one rather than the old result."""
    return key if not payment_list_for_idempotency_key(user=request.user, key=key) else uuid.uuid4().hex


def draft_save(request, *, key: str, draft: dict[str, Any]) -> None:
    drafts = dict(request.session.get(SESSION_DRAFTS, {}))
    drafts.pop(key, None)
    drafts[key] = draft
    request.session[SESSION_DRAFTS] = dict(list(drafts.items())[-MAX_DRAFTS:])


def draft_get(request, *, key: str, kind: str) -> dict[str, Any] | None:
    """The journey's choice, if it is of this kind (a counter's draft never opens a portal page)."""
    draft = request.session.get(SESSION_DRAFTS, {}).get(key)
    return draft if isinstance(draft, dict) and draft.get("kind") == kind else None


def draft_premium_kind(draft: dict[str, Any]) -> PremiumKind:
    """The premium a journey's choice pays; a choice made before there were kinds pays the resident one."""
    return PremiumKind(draft.get("premium_kind", PremiumKind.RESIDENT_MEDICAL))
