"""An institution confirms its day's statement with its own totals; each confirmation is kept with our
figures of that moment, the day's latest for the auditors' list."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from medical import errors
from medical.models import Institution, StatementConfirmation
from medical.statement_selectors import (
    Difference,
    confirmation_differences,
    statement_differences,
    statement_get,
)

# A day's count and net fit these; anything larger is a typo.
MAX_STATEMENT_COUNT = 100_000_000
MAX_STATEMENT_FEN = 10**15


@transaction.atomic
def statement_confirm(
    *,
    user: User,
    institution: Institution,
    date: datetime.date,
    count: int,
    amount_fen: int,
    idempotency_key: str,
) -> tuple[StatementConfirmation, list[Difference]]:
    """Compares the institution's totals with ours and keeps the confirmation; a retry under the same
    key is answered as the first time, and the same key for other figures is idempotency_conflict."""
    if date > timezone.localdate():
        raise errors.statement_date_in_future()
    if not 0 <= count <= MAX_STATEMENT_COUNT:
        raise errors.invalid_statement_count()
    if not -MAX_STATEMENT_FEN <= amount_fen <= MAX_STATEMENT_FEN:
        raise errors.invalid_statement_amount()
    asked = (institution.pk, date, count, amount_fen)
    earlier = _confirmation_for_key(user, idempotency_key)
    if earlier is not None:
        return _replayed(earlier, asked)
    statement = statement_get(institution=institution, date=date)
    differences = statement_differences(statement=statement, count=count, amount_fen=amount_fen)
    try:
        with transaction.atomic():
            confirmation = StatementConfirmation.objects.create(
                institution=institution,
                date=date,
                their_count=count,
                their_amount_fen=amount_fen,
                our_count=statement.settled.count,
                our_amount_fen=statement.net_fen,
                matched=not differences,
                user=user,
                idempotency_key=idempotency_key,
                confirmed_at=timezone.now(),
            )
    except IntegrityError:  # a twin under the same key committed first: its answer is this one's
        twin = _confirmation_for_key(user, idempotency_key)
        if twin is None:
            raise
        return _replayed(twin, asked)
    return confirmation, differences


def _confirmation_for_key(user: User, key: str) -> StatementConfirmation | None:
    return StatementConfirmation.objects.filter(user=user, idempotency_key=key).first() if key else None


def _replayed(
    confirmation: StatementConfirmation, asked: tuple[int, datetime.date, int, int]
) -> tuple[StatementConfirmation, list[Difference]]:
    made = (
        confirmation.institution_id,
        confirmation.date,
        confirmation.their_count,
        confirmation.their_amount_fen,
    )
    if made != asked:
        raise errors.idempotency_conflict()
    return confirmation, confirmation_differences(confirmation=confirmation)
