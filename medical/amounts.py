"""Amounts as people and clients write them (yuan), as fen, checked at the edge: an allowance's, a
bill's, a refund's, a statement's."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from common.errors import ApplicationError
from common.money import yuan_to_fen
from medical import errors

# Yuan as written: ASCII digits (a Chinese keyboard's full-width ones, ，．and ￥ too), commas only
# between groups of three ("1,000.50": a comma anywhere else, as in "3,00", is no amount), at most two
# decimals, a minus for a statement's net below zero. Not NFKC: it would read "5²" as 52.
_YUAN = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９，．－￥", "0123456789,.-¥")


def _fen_or_none(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).translate(_FULL_WIDTH).strip().removeprefix("¥").strip()
    if not _YUAN.fullmatch(text):
        return None
    return yuan_to_fen(Decimal(text.replace(",", "")))


def _positive_fen(value: object, *, maximum: int, error: Callable[[], ApplicationError]) -> int:
    fen = _fen_or_none(value)
    if fen is None or fen <= 0 or fen > maximum:
        raise error()
    return fen


def amount_fen_from(value: object) -> int:
    """An allowance in yuan (a string such as "300.00", or a whole number) as fen; a fraction of a fen, a
    number that is not above zero or not a number at all is refused (field `amount`)."""
    return _positive_fen(value, maximum=errors.MAX_ALLOWANCE_FEN, error=errors.invalid_amount)


def settlement_amount_fen_from(value: object) -> int:
    """A bill's or a refund's amount in yuan as fen, above zero and at most MAX_SETTLEMENT_FEN."""
    return _positive_fen(value, maximum=errors.MAX_SETTLEMENT_FEN, error=errors.invalid_settlement_amount)


def statement_amount_fen_from(value: object) -> int:
    """A day's net in yuan as fen: zero, or below zero on a day of more refunds than settlements."""
    fen = _fen_or_none(value)
    if fen is None:
        raise errors.invalid_statement_amount()
    return fen


def notify_threshold_fen_from(value: object) -> int:
    """An allowance's notification threshold in yuan as fen: zero (every settlement) or more, at most
    MAX_ALLOWANCE_FEN (field `notify_over`)."""
    fen = _fen_or_none(value)
    if fen is None or not 0 <= fen <= errors.MAX_ALLOWANCE_FEN:
        raise errors.invalid_notify_threshold()
    return fen
