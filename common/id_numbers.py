"""Resident ID numbers (GB 11643-1999): region prefix, birth date, sequence, ISO 7064 MOD 11-2 check."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from operator import mul

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB/T 2260 province-level codes: the first two digits of every issuing region.
PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Each ASCII digit's byte is its value plus ord("0"): the weighted sum of the bytes, less this, is the
# weighted sum of the digits, computed without a Python call per digit (a roster checks millions).
_ZEROS = ord("0") * sum(_WEIGHTS)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[1-9][0-9]{16}[0-9X]$")
EARLIEST_BIRTH = datetime.date(1900, 1, 1)


@dataclass(frozen=True)
class IdNumberFacts:
    birth_date: datetime.date
    sex: str  # "M" or "F", from the parity of the 17th digit


def check_character(first_17: str) -> str:
    if len(first_17) != len(_WEIGHTS) or not (first_17.isascii() and first_17.isdigit()):
        raise ValueError(f"not 17 digits: {first_17!r}")
    return _CHECK_CHARS[(sum(map(mul, first_17.encode(), _WEIGHTS)) - _ZEROS) % 11]


# What people type or paste between the groups of a number (spaces, hyphens and dashes, their
# full-width forms) is dropped; full-width digits and X become ASCII. Nothing else is changed, so
# anything that is still not 17 digits and a digit or X is refused by the shape check.
ID_NUMBER_SEPARATORS = " \t\u00a0\u3000-\u2010\u2011\u2012\u2013\u2014\u2212\uff0d"
_NORMALIZE = str.maketrans(
    {
        **{0xFF10 + digit: str(digit) for digit in range(10)},
        0xFF38: "X",  # Ｘ
        0xFF58: "X",  # ｘ
        **dict.fromkeys(map(ord, ID_NUMBER_SEPARATORS)),
    }
)


def normalize_id_number(value: str) -> str:
    """The number as stored: ASCII digits and an upper-case X, without separators."""
    if len(value) == 18 and value.isascii() and value.isalnum():
        return value.upper()  # the common case, and a roster's millions: no translation needed
    return value.translate(_NORMALIZE).strip().upper()


def looks_like_id_number(value: str) -> bool:
    """Whether a normalised value has the shape of a number (sign-in takes usernames too)."""
    return bool(_SHAPE.match(value))


def parse_id_number(value: str, *, today: datetime.date | None = None) -> IdNumberFacts:
    """Returns the facts a valid number encodes, or raises ValidationError(code="invalid_id_number")."""
    number = normalize_id_number(value)
    if not _SHAPE.match(number):
        raise ValidationError(
            _("An ID number has 18 characters: 17 digits and a digit or X."), code="invalid_id_number"
        )
    if int(number[:2]) not in PROVINCE_CODES or number[2:6] == "0000":
        raise ValidationError(_("The ID number's region code does not exist."), code="invalid_id_number")
    try:
        birth_date = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("The ID number's birth date does not exist."), code="invalid_id_number"
        ) from None
    today = today or datetime.date.today()  # noqa: DTZ011 - a calendar date is all that is compared
    if not EARLIEST_BIRTH <= birth_date <= today:
        raise ValidationError(_("The ID number's birth date does not exist."), code="invalid_id_number")
    if check_character(number[:17]) != number[17]:
        raise ValidationError(
            _("The ID number's check digit is wrong; please check it."), code="invalid_id_number"
        )
    return IdNumberFacts(birth_date=birth_date, sex=_sex(number))


def id_number_facts(number: str) -> IdNumberFacts:
    """The facts of a number parse_id_number has accepted already, without checking it again."""
    return IdNumberFacts(
        birth_date=datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14])), sex=_sex(number)
    )


def _sex(number: str) -> str:
    return "M" if int(number[16]) % 2 else "F"


def validate_id_number(value: str) -> None:
    parse_id_number(value)


def make_id_number(region: str, birth_date: datetime.date, sequence: int, sex: str) -> str:
    """Builds a valid number: for demo data, factories and benchmarks."""
    sequence = sequence % 500
    order = sequence * 2 + (1 if sex == "M" else 0)
    first_17 = f"{region}{birth_date:%Y%m%d}{order:03d}"
    return first_17 + check_character(first_17)
