"""An institution confirms its day's statement with its own totals; the latest confirmation of the day
is kept with our figures of that moment, for the auditors' list."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from medical import errors
from medical.models import Institution, StatementConfirmation
from medical.statement_selectors import Difference, statement_differences, statement_get

# A day's count and net fit these; anything larger is a typo.
MAX_STATEMENT_COUNT = 100_000_000
MAX_STATEMENT_FEN = 10**15


@transaction.atomic
def statement_confirm(
    *, user: User, institution: Institution, date: datetime.date, count: int, amount_fen: int
) -> tuple[StatementConfirmation, list[Difference]]:
    if date > timezone.localdate():
        raise errors.statement_date_in_future()
    if not 0 <= count <= MAX_STATEMENT_COUNT:
        raise errors.invalid_statement_count()
    if not -MAX_STATEMENT_FEN <= amount_fen <= MAX_STATEMENT_FEN:
        raise errors.invalid_statement_amount()
    statement = statement_get(institution=institution, date=date)
    differences = statement_differences(statement=statement, count=count, amount_fen=amount_fen)
    confirmation, _created = StatementConfirmation.objects.update_or_create(
        institution=institution,
        date=date,
        defaults={
            "their_count": count,
            "their_amount_fen": amount_fen,
            "our_count": statement.settled.count,
            "our_amount_fen": statement.net_fen,
            "matched": not differences,
            "user": user,
            "confirmed_at": timezone.now(),
        },
    )
    return confirmation, differences
