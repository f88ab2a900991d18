"""Money lives in the database as integer fen; yuan Decimals exist only at the edges."""

from decimal import Decimal, InvalidOperation

FEN_PER_YUAN = 100
_CENT = Decimal("0.01")

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ["", "拾", "佰", "仟"]
_BIG_UNITS = ["", "万", "亿", "万亿"]


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(_CENT)


def yuan_to_fen(yuan: Decimal | str | int) -> int:
    """Exact conversion; refuses fractions of a fen rather than rounding money away."""
    try:
        value = Decimal(str(yuan))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {yuan!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount: {yuan!r}")
    fen = value * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise ValueError(f"more than two decimals: {yuan!r}")
    return int(fen)


def format_yuan(fen: int) -> str:
    return f"{fen_to_yuan(fen):,.2f}"


def _four_digits_in_capitals(number: int) -> str:
    out = ""
    zero_pending = False
    for position in range(3, -1, -1):
        digit = number // 10**position % 10
        if digit == 0:
            zero_pending = bool(out)
            continue
        if zero_pending:
            out += "零"
            zero_pending = False
        out += _DIGITS[digit] + _SMALL_UNITS[position]
    return out


def fen_to_chinese_capitals(fen: int) -> str:
    """Amount in Chinese financial capitals (大写), e.g. 40000 fen -> 人民币肆佰元整."""
    if fen < 0:
        raise ValueError("amounts in capitals are never negative")
    yuan, rest = divmod(fen, 100)
    jiao, fen_digit = divmod(rest, 10)
    words = ""
    if yuan:
        groups = []
        while yuan:
            yuan, group = divmod(yuan, 10000)
            groups.append(group)
        need_zero = False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                need_zero = bool(words)
                continue
            if words and (need_zero or group < 1000):
                words += "零"
            words += _four_digits_in_capitals(group) + _BIG_UNITS[index]
            need_zero = False
        words += "元"
    if not jiao and not fen_digit:
        return "人民币" + (words or "零元") + "整"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif words:
        words += "零"
    if fen_digit:
        words += _DIGITS[fen_digit] + "分"
    else:
        words += "整"
    return "人民币" + words
