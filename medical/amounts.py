"""An allowance's amount as people and clients write it (yuan), as fen, checked at the edge."""

from __future__ import annotations

from decimal import Decimal

from common.money import yuan_to_fen
from medical import errors


def amount_fen_from(value: object) -> int:
    """An amount in yuan (a string such as "300.00", or a whole number) as fen; a fraction of a fen, a
    number that is not above zero or not a number at all is refused (field `amount`)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise errors.invalid_amount()
    text = str(value).strip().replace(",", "").removeprefix("¥").strip()
    try:
        fen = yuan_to_fen(Decimal(text)) if text and "e" not in text.lower() else None
    except (ValueError, ArithmeticError):
        fen = None
    if fen is None or fen <= 0 or fen > errors.MAX_ALLOWANCE_FEN:
        raise errors.invalid_amount()
    return fen
