"""Administrative region codes (GB/T 2260) as the insurance uses them.

A pooling region (统筹地区) is a city-level code: six digits, a real province prefix, ending in
"00" (210200 Dalian, 320100 Nanjing). The four municipalities directly under the central
government pool at their own level, so their province-level code (110000 Beijing, 120000 Tianjin,
310000 Shanghai, 500000 Chongqing) is a pooling region too. A region policy may also name a whole
province by its province code (320000 Jiangsu).

The first six digits of an ID number say where the number was issued, not where its holder is
insured: nothing here derives one from the other.

The names of the province- and city-level codes ship as data (data/regions.csv, written by
data/make_regions.py, which says where they come from); codes stay what is stored and validated.
"""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from common.id_numbers import PROVINCE_CODES

MUNICIPALITIES = frozenset({11, 12, 31, 50})
_SIX_DIGITS = re.compile(r"^[0-9]{6}$")


def is_province_code(code: str) -> bool:
    return bool(_SIX_DIGITS.match(code)) and int(code[:2]) in PROVINCE_CODES and code[2:] == "0000"


def is_pooling_region_code(code: str) -> bool:
    if not _SIX_DIGITS.match(code) or int(code[:2]) not in PROVINCE_CODES or code[4:] != "00":
        return False
    return code[2:4] != "00" or int(code[:2]) in MUNICIPALITIES


def validate_pooling_region_code(value: str) -> None:
    """A city-level code (or a municipality's own code): where an insuree is insured, a premium set."""
    if not is_pooling_region_code(value):
        raise ValidationError(
            _("%(code)s is not a pooling region: give a six-digit city-level code such as 210200."),
            code="invalid_region_code",
            params={"code": value},
        )


def validate_policy_region_code(value: str) -> None:
    """A pooling region or a whole province (320000): what a region policy may cover."""
    if not (is_pooling_region_code(value) or is_province_code(value)):
        raise ValidationError(
            _("%(code)s is neither a pooling region (210200) nor a province (320000)."),
            code="invalid_region_code",
            params={"code": value},
        )


REGIONS_CSV = Path(__file__).with_name("data") / "regions.csv"


class RegionName(NamedTuple):
    zh: str
    en: str


@functools.cache
def region_names() -> dict[str, RegionName]:
    """Every province- and city-level code with its names, read once per process."""
    with REGIONS_CSV.open(encoding="utf-8", newline="") as f:
        return {row["code"]: RegionName(zh=row["name_zh"], en=row["name_en"]) for row in csv.DictReader(f)}


def region_name(code: str, *, language: str | None = None) -> str:
    """The region's name in the language (the active one by default): 大连市, or Dalian in English;
    the code itself when the data has no name for it (a district's, a mistyped one)."""
    names = region_names().get(code)
    if names is None:
        return code
    language = language or translation.get_language() or "zh-hans"
    return names.zh if language.lower().startswith("zh") else names.en
