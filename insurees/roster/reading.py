"""Reading roster files: UTF-8 CSV records, each row checked on its own."""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from common.id_numbers import normalize_id_number, parse_id_number
from insurees.models import InsureeStatus, Person, PremiumKind, RegionScope, Scheme
from insurees.regions import validate_pooling_region_code
from insurees.roster.report import ImportReport, RosterFileError, RowError

INSUREE_COLUMNS = ("id_number", "name", "scheme", "region_code", "status", "balance", "phone")
# And optionally `kind` (PremiumKind): the resident medical premium where it is missing or empty.
PREMIUM_RATE_COLUMNS = ("region_code", "year", "amount", "collection_start", "collection_end")
REGION_POLICY_COLUMNS = ("region_code", "scope", "exclusive_family")

CHUNK_SIZE = 5_000
MAX_AMOUNT_FEN = 100_000_000 * 100  # a hundred million yuan: anything larger is a typo
MAX_PREMIUM_FEN = 2**31 - 1  # PremiumRate.amount_fen is a 32-bit column on PostgreSQL
_AMOUNT = re.compile(r"^([0-9]+)(?:\.([0-9]+))?$")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,19}$")
_PHONE_MAX_LENGTH: int = (
    Person._meta.get_field("phone").max_length or 20
)  # a longer one fails at the database
SCHEMES = tuple(Scheme.values)
STATUSES = tuple(InsureeStatus.values)
SCOPES = tuple(RegionScope.values)
PREMIUM_KINDS = tuple(PremiumKind.values)
_TRUE = {"true", "yes", "y", "1", "是"}
_FALSE = {"false", "no", "n", "0", "否"}

Progress = Callable[[int], None]


@dataclass(frozen=True)
class RosterRow:
    line: int
    id_number: str
    name: str
    scheme: str
    region_code: str
    status: str
    balance_fen: int | None  # None: the file says nothing about the balance
    phone: str


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvRecord:
    line: int
    values: dict[str, str]
    error: str = ""  # why the row cannot be read at all (wrong number of fields)


def csv_records(*, file: TextIO, columns: tuple[str, ...]) -> Iterator[CsvRecord]:
    """Every data row with its line number; raises RosterFileError when the file cannot be read."""
    # A plain reader, each record zipped once: csv.DictReader's dict per row, built again to strip
    # it, had cost a tenth of reading a roster.
    reader = csv.reader(file)
    try:
        try:
            header = [name.strip().lstrip("\ufeff") for name in next(reader, [])]
        except csv.Error as error:
            raise RosterFileError(str(error)) from error
        missing = [column for column in columns if column not in header]
        if missing:
            raise RosterFileError(
                _("The header lacks the columns %(missing)s; expected %(expected)s.")
                % {"missing": ", ".join(missing), "expected": ",".join(columns)}
            )
        for row in reader:
            if not row:
                continue  # a blank line
            if len(row) != len(header):
                mismatch = _("expected %(expected)d fields, found %(found)d") % {
                    "expected": len(header),
                    "found": len(row),
                }
                yield CsvRecord(reader.line_num, {}, mismatch)
                continue
            yield CsvRecord(reader.line_num, dict(zip(header, map(str.strip, row), strict=True)))
    except UnicodeDecodeError as error:
        raise RosterFileError(_("The file is not UTF-8 text.")) from error
    except csv.Error as error:
        raise RosterFileError(
            _("line %(line)d: %(error)s") % {"line": reader.line_num, "error": error}
        ) from error


def amount_fen_from_yuan(text: str) -> int:
    """'400', '400.5' or '400.50' yuan -> fen; refuses signs, exponents, commas, a third decimal."""
    if text.startswith("-"):
        raise RowError(_("the amount is negative"))
    match = _AMOUNT.match(text)
    if not match:
        raise RowError(_("%(text)r is not an amount in yuan") % {"text": text})
    whole, decimals = match.group(1), match.group(2) or ""
    if len(decimals) > 2:
        raise RowError(_("the amount has more than two decimals"))
    fen = int(whole) * 100 + int(decimals.ljust(2, "0"))
    if fen >= MAX_AMOUNT_FEN:
        raise RowError(_("the amount is implausibly large"))
    return fen


def _choice(value: str, choices: Iterable[str], column: str) -> str:
    if value not in choices:
        raise RowError(
            _("%(column)s: %(value)r is not one of %(choices)s")
            % {"column": column, "value": value, "choices": ", ".join(choices)}
        )
    return value


def _validated(validator: Callable[[str], object], value: str, column: str) -> str:
    try:
        validator(value)
    except ValidationError as error:
        raise RowError(f"{column}: {' '.join(error.messages)}") from None
    return value


def _date(value: str, column: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise RowError(
            _("%(column)s: %(value)r is not a date (YYYY-MM-DD)") % {"column": column, "value": value}
        ) from None


def insuree_row_parse(line: int, record: dict[str, str]) -> RosterRow:
    id_number = normalize_id_number(record["id_number"])
    _validated(parse_id_number, id_number, "id_number")
    name = record["name"]
    if not name:
        raise RowError(_("name: the name is empty"))
    if len(name) > 64 or not name.isprintable():
        raise RowError(_("name: not a plausible name"))
    scheme = _choice(record["scheme"], SCHEMES, "scheme")
    region_code = _validated(validate_pooling_region_code, record["region_code"], "region_code")
    status = _choice(record["status"], STATUSES, "status")
    balance_fen = None
    if record["balance"]:
        try:
            balance_fen = amount_fen_from_yuan(record["balance"])
        except RowError as error:
            raise RowError(f"balance: {error}") from None
        if scheme == Scheme.RESIDENT:
            if balance_fen:
                raise RowError(_("balance: a resident-scheme insuree has no personal account"))
            balance_fen = None
    phone = record["phone"]
    if phone and (len(phone) > _PHONE_MAX_LENGTH or not _PHONE.match(phone)):
        raise RowError(_("phone: %(phone)r is not a phone number") % {"phone": phone})
    return RosterRow(line, id_number, name, scheme, region_code, status, balance_fen, phone)


def insuree_rows_read(*, file: TextIO, report: ImportReport) -> list[RosterRow]:
    """The file's good rows; bad ones (including duplicates and clashing names) go to the report."""
    rows: list[RosterRow] = []
    first_line: dict[tuple[str, str], int] = {}
    names: dict[str, tuple[str, int]] = {}
    phones: dict[str, tuple[str, int]] = {}
    for record in csv_records(file=file, columns=INSUREE_COLUMNS):
        line = record.line
        report.rows += 1
        try:
            if record.error:
                raise RowError(record.error)
            row = insuree_row_parse(line, record.values)
            if (row.id_number, row.scheme) in first_line:
                raise RowError(
                    _("the same ID number and scheme as line %(line)d")
                    % {"line": first_line[row.id_number, row.scheme]}
                )
            known_name, known_line = names.setdefault(row.id_number, (row.name, line))
            if known_name != row.name:
                raise RowError(
                    _("name: differs from the name given for this ID number on line %(line)d")
                    % {"line": known_line}
                )
            # One person, one phone: two rows disagreeing would flip it back and forth on every import.
            known_phone, known_line = phones.get(row.id_number, (row.phone, line))
            if row.phone and known_phone != row.phone:
                raise RowError(
                    _("phone: differs from the phone given for this ID number on line %(line)d")
                    % {"line": known_line}
                )
        except RowError as error:
            report.refuse(line, str(error))
            continue
        first_line[row.id_number, row.scheme] = line
        if row.phone:
            phones.setdefault(row.id_number, (row.phone, line))
        rows.append(row)
    return rows


# -- the insuree roster --------------------------------------------------------------------------


def _boolean(value: str, column: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise RowError(_("%(column)s: %(value)r is not true or false") % {"column": column, "value": value})
