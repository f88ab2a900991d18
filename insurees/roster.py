"""Roster imports (API.md): insurees, premium rates and region policies from UTF-8 CSV files.

Every row is checked on its own first; a bad row is reported with its line number and reason and
the good rows go in. The insuree roster is upserted by (ID number, scheme) in chunks, a few
statements per chunk whatever its size: new persons, accounts, opening balances (through the
ledger, in bulk) and insurees are inserted in bulk; a status or region change goes through
`insuree_change`, so bindings end as the rules say. A roster's balance is the employee fund's side of
a personal account: when it differs from what the fund has put in so far, the difference is posted
as one adjusting ledger transaction, and premiums paid here meanwhile stay paid. Importing the same
file again changes nothing, whatever was paid in between.
"""

from __future__ import annotations

import csv
import datetime
import re
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.bulk import bulk_insert, draw_keys
from common.errors import ApplicationError
from common.id_numbers import id_number_facts, normalize_id_number, parse_id_number
from insurees.models import Insuree, InsureeStatus, Person, PremiumRate, RegionPolicy, RegionScope, Scheme
from insurees.regions import validate_policy_region_code, validate_pooling_region_code
from insurees.services import (
    OPENING_BALANCE_MEMO,
    ROSTER_ADJUSTMENT_MEMO,
    employee_contributions_account,
    insuree_change,
    personal_account_set_funded,
    personal_accounts_funded,
    premium_rate_set,
    region_policy_set,
)
from ledger.models import Account, AccountKind, Entry, Transaction
from ledger.services import transactions_post_opening_balances

INSUREE_COLUMNS = ("id_number", "name", "scheme", "region_code", "status", "balance", "phone")
PREMIUM_RATE_COLUMNS = ("region_code", "year", "amount", "collection_start", "collection_end")
REGION_POLICY_COLUMNS = ("region_code", "scope", "exclusive_family")

CHUNK_SIZE = 5_000
MAX_AMOUNT_FEN = 100_000_000 * 100  # a hundred million yuan: anything larger is a typo
MAX_PREMIUM_FEN = 2**31 - 1  # PremiumRate.amount_fen is a 32-bit column on PostgreSQL
_AMOUNT = re.compile(r"^([0-9]+)(?:\.([0-9]+))?$")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,19}$")
_PHONE_MAX_LENGTH = Person._meta.get_field("phone").max_length  # a longer one fails at the database
SCHEMES = tuple(Scheme.values)
STATUSES = tuple(InsureeStatus.values)
SCOPES = tuple(RegionScope.values)
_TRUE = {"true", "yes", "y", "1", "是"}
_FALSE = {"false", "no", "n", "0", "否"}

Progress = Callable[[int], None]


class RosterFileError(Exception):
    """The file as a whole cannot be read (no header, missing columns, not UTF-8)."""


class RowError(Exception):
    """One row is refused; the message says why."""


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    bad: list[BadRow] = field(default_factory=list)

    def refuse(self, line: int, reason: str) -> None:
        self.bad.append(BadRow(line, reason))


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
                error = _("expected %(expected)d fields, found %(found)d") % {
                    "expected": len(header),
                    "found": len(row),
                }
                yield CsvRecord(reader.line_num, {}, error)
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


def _validated(validator: Callable[[str], None], value: str, column: str) -> str:
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


def roster_import(
    *,
    rows: list[RosterRow],
    report: ImportReport,
    chunk_size: int = CHUNK_SIZE,
    progress: Progress | None = None,
    lanes: int | None = None,
) -> ImportReport:
    """Upserts the parsed rows chunk by chunk, each chunk in its own database transaction.

    Outside any transaction of the caller's, a roster of several chunks is inserted in
    `IMPORT_LANES` lanes at once, each on its own connection: one lane's Python prepares a chunk while
    the database writes another's, so both cores work. A person's rows all go to one lane (by ID
    number), so lanes share no row but the fund's account, which each chunk locks once. Changes to
    existing insurees, which reach across persons (a status change ends bindings), are then applied
    by this thread alone, as a single lane applies them.
    """
    source = employee_contributions_account()
    statistics = Statistics.of_database()
    if lanes is None:
        concurrent = not connection.in_atomic_block
        lanes = IMPORT_LANES if concurrent and len(rows) > chunk_size else 1
    if lanes == 1:
        _import_lane(
            rows,
            report=report,
            source=source,
            chunk_size=chunk_size,
            progress=progress,
            statistics=statistics,
        )
        statistics.finish()
        return report

    by_lane: list[list[RosterRow]] = [[] for _ in range(lanes)]
    for row in rows:
        by_lane[lane_of(row.id_number, lanes)].append(row)
    reports = [ImportReport() for _ in range(lanes)]
    followups = [Followups() for _ in range(lanes)]
    failures: list[BaseException] = []
    advance = _shared(progress) if progress else None

    def run(lane: int) -> None:
        try:
            _import_lane(
                by_lane[lane],
                report=reports[lane],
                source=source,
                chunk_size=chunk_size,
                progress=advance,
                statistics=statistics,
                deferred=followups[lane],
            )
        except BaseException as error:  # raised again below, in the caller's thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(lane,), name=f"roster-{lane}") for lane in range(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The chunks that committed stand, failed lane or not; their changes are applied all the same.
    for lane_report in reports:
        report.created += lane_report.created
        report.updated += lane_report.updated
        report.unchanged += lane_report.unchanged
        report.bad.extend(lane_report.bad)
    pending = Followups()
    for lane_followups in followups:
        pending.extend(lane_followups)
    try:
        statistics.finish()
        for start in range(0, max(len(pending.changes), len(pending.adjustments)), chunk_size):
            with transaction.atomic():
                _apply_followups(
                    Followups(
                        pending.changes[start : start + chunk_size],
                        pending.adjustments[start : start + chunk_size],
                    ),
                    report=report,
                )
    except Exception:
        if not failures:
            raise
        # The lane's failure (the database went away, say) is the one to report.
    report.bad.sort(key=lambda bad: bad.line)
    if failures:
        raise failures[0]
    return report


# Two cores: one lane's Python beside another lane's database work.
IMPORT_LANES = 2


def lane_of(id_number: str, lanes: int) -> int:
    """A person's lane. Not a digit of the number: the 17th is the sex, and a roster of one sex (a
    factory, a kindergarten's staff) would all go down one lane."""
    return zlib.crc32(id_number.encode()) % lanes


def _shared(progress: Progress) -> Progress:
    lock = threading.Lock()

    def advance(done: int) -> None:
        with lock:
            progress(done)

    return advance


def _import_lane(
    rows: list[RosterRow],
    *,
    report: ImportReport,
    source: Account,
    chunk_size: int,
    progress: Progress | None,
    statistics: Statistics,
    deferred: Followups | None = None,
) -> None:
    """Imports the rows chunk by chunk; a chunk's changes go in with it, or into `deferred`."""
    today = timezone.localdate()
    for start in range(0, len(rows), chunk_size):
        chunk = rows[start : start + chunk_size]
        created = report.created
        with transaction.atomic():
            followups = _import_chunk(chunk, report=report, source=source, today=today)
            if deferred is None:
                _apply_followups(followups, report=report)
            else:
                deferred.extend(followups)
        statistics.grown(report.created - created)
        if progress:
            progress(len(chunk))


class Statistics:
    """Keeps the planner's statistics of the roster tables fit for the rows an import adds.

    A bulk load outruns autovacuum: chunks' lookups (and the next import's) were planned on the
    statistics of nearly empty tables, and a million-row re-import took 25 times a 100,000-row one.
    A plan holds while its tables stay within about twice the size it was made for, so the tables
    are analysed whenever the import has doubled the insurees counted at the last analysis (after
    5,000, 10,000, 20,000... new rows into an empty database), and once at the end if it added a
    tenth more, as autovacuum would later. An import that adds nothing analyses nothing: analysing
    the five tables at a million rows costs about a second of the database's time.

    Inside a caller's transaction (a dry run) nothing is analysed: its rows are rolled back, while
    ANALYZE would hold the tables against autovacuum until then and leave behind a count
    (pg_class.reltuples, written in place) that the rollback does not undo.
    """

    def __init__(self, counted: int, *, enabled: bool = True) -> None:
        self._lock = threading.Lock()
        self._enabled = enabled
        self._counted = counted  # insurees at the last analysis
        self._added = 0  # new insurees since

    @classmethod
    def of_database(cls) -> Statistics:
        if connection.in_atomic_block:
            return cls(0, enabled=False)
        return cls(_insurees_counted())

    def grown(self, created: int) -> None:
        """Called after each chunk with the insurees it created; analyses when they are due."""
        if self._due(created, growth=1):
            self._analyse()

    def finish(self) -> None:
        """Called once the rows are in."""
        if self._due(0, growth=0.1):
            self._analyse()

    def _due(self, created: int, *, growth: float) -> bool:
        with self._lock:  # lanes share one: a growth is analysed once, by the lane that saw it
            self._added += created
            if not self._enabled or not self._added or self._added < growth * self._counted:
                return False
            self._counted += self._added
            self._added = 0
            return True

    def _analyse(self) -> None:
        _analyze_roster_tables()
        counted = _insurees_counted()
        with self._lock:
            # What ANALYZE found: the count at the start may have been stale (a restored database).
            self._counted = counted


_ROSTER_TABLES = (Person, Insuree, Account, Transaction, Entry)


def _insurees_counted() -> int:
    """The insurees as the planner's statistics count them (0 before the first analysis)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Insuree._meta.db_table])
        return max(int(cursor.fetchone()[0]), 0)


def _analyze_roster_tables() -> None:
    with connection.cursor() as cursor:
        for model in _ROSTER_TABLES:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@dataclass(frozen=True)
class _Known:
    """What a chunk needs to know of an existing insuree: read as plain values, not model instances."""

    pk: int
    status: str
    region_code: str
    account_id: int | None


def _import_chunk(
    chunk: list[RosterRow], *, report: ImportReport, source: Account, today: datetime.date
) -> Followups:
    """Inserts the chunk's new persons, accounts (with their opening balances) and insurees; returns
    the changes to existing insurees, for `_apply_followups`."""
    # Two queries per chunk, whatever its size: the persons, then their insurances.
    persons = {
        id_number: (pk, name, phone)
        for pk, id_number, name, phone in Person.objects.filter(
            id_number__any_of={row.id_number for row in chunk}
        ).values_list("pk", "id_number", "name", "phone")
    }
    known = {
        (person_id, scheme): _Known(pk, status, region_code, account_id)
        for pk, person_id, scheme, status, region_code, account_id in Insuree.objects.filter(
            person_id__any_of=[pk for pk, _name, _phone in persons.values()]
        ).values_list("pk", "person_id", "scheme", "status", "region_code", "account_id")
    }

    # What the fund has put into each account so far: a roster balance is compared with that, not
    # with the balance, which premiums paid since have lowered (one query per chunk).
    funded = personal_accounts_funded(
        account_ids=[k.account_id for k in known.values() if k.account_id is not None]
    )

    new_persons: dict[str, list] = {}  # id number: [name, phone, birth date, sex], as Person's columns
    phones: dict[int, str] = {}
    new_insurees: list[tuple[RosterRow, Account | None]] = []
    changes: list[tuple[RosterRow, Insuree]] = []
    adjustments: list[tuple[RosterRow, Insuree]] = []
    accounts_to_open: list[tuple[int, Account]] = []
    credits: list[tuple[Account, int]] = []
    for row in chunk:
        person_id, name, phone = persons.get(row.id_number, (None, row.name, row.phone))
        if name != row.name:
            report.refuse(row.line, _("name: does not match the name registered for this ID number"))
            continue
        if person_id is None and row.id_number not in new_persons:
            facts = id_number_facts(row.id_number)  # checked when the row was read
            new_persons[row.id_number] = [row.name, row.phone, facts.birth_date, facts.sex]
        elif person_id is None and row.phone:
            new_persons[row.id_number][1] = row.phone  # an earlier row of this person had none
        changed = False
        if person_id is not None and row.phone and phone != row.phone:
            phones[person_id] = row.phone
            changed = True

        insuree = known.get((person_id, row.scheme)) if person_id is not None else None
        if insuree is None:
            account = None
            if row.scheme == Scheme.EMPLOYEE:
                account = _personal_account(row)
                credits.append((account, row.balance_fen or 0))
            new_insurees.append((row, account))
            report.created += 1
            continue
        if insuree.status != row.status or insuree.region_code != row.region_code:
            changes.append((row, Insuree(pk=insuree.pk, scheme=row.scheme)))
            changed = True
        if row.scheme == Scheme.EMPLOYEE and insuree.account_id is None:
            account = _personal_account(row)
            accounts_to_open.append((insuree.pk, account))
            credits.append((account, row.balance_fen or 0))
            changed = True
        elif row.balance_fen is not None and funded.get(insuree.account_id, 0) != row.balance_fen:
            adjustments.append((row, Insuree(pk=insuree.pk, account_id=insuree.account_id)))
            changed = True
        if changed:
            report.updated += 1
        else:
            report.unchanged += 1

    person_keys = dict(
        zip(
            new_persons,
            bulk_insert(
                Person,
                ("id_number", "name", "phone", "birth_date", "sex"),
                [(id_number, *columns) for id_number, columns in new_persons.items()],
            ),
            strict=True,
        )
    )
    if phones:
        Person.objects.bulk_update([Person(pk=pk, phone=phone) for pk, phone in phones.items()], ["phone"])
    # The new accounts' keys first, so the insurees can point at them before the ledger opens them:
    # the ledger goes last, as it ends by locking the fund's account, which every chunk shares.
    opened = [account for account, _amount in credits]
    for account, key in zip(opened, draw_keys(Account, len(opened)), strict=True):
        account.pk = key
    for insuree_id, account in accounts_to_open:
        Insuree.objects.filter(pk=insuree_id, account__isnull=True).update(account_id=account.pk)
    bulk_insert(
        Insuree,
        ("person_id", "scheme", "region_code", "status", "since", "account_id"),
        [
            (
                person_keys[row.id_number] if row.id_number in person_keys else persons[row.id_number][0],
                row.scheme,
                row.region_code,
                row.status,
                today,
                account.pk if account is not None else None,
            )
            for row, account in new_insurees
        ],
    )
    if credits:
        transactions_post_opening_balances(source=source, credits=credits, memo=OPENING_BALANCE_MEMO)
    return Followups(changes, adjustments)


@dataclass
class Followups:
    """A chunk's changes to existing insurees: a status or region, a balance."""

    changes: list[tuple[RosterRow, Insuree]] = field(default_factory=list)
    adjustments: list[tuple[RosterRow, Insuree]] = field(default_factory=list)

    def extend(self, other: Followups) -> None:
        self.changes.extend(other.changes)
        self.adjustments.extend(other.adjustments)


def _apply_followups(followups: Followups, *, report: ImportReport) -> None:
    # Changes are few next to a whole roster; each goes through the one path that applies the rules.
    # Rows are locked in primary-key order, as payments lock them, so the two never deadlock.
    for row, insuree in sorted(followups.changes, key=lambda change: change[1].pk):
        insuree_change(insuree=insuree, status=row.status, region_code=row.region_code)
    for row, insuree in sorted(followups.adjustments, key=lambda adjustment: adjustment[1].account_id):
        try:
            personal_account_set_funded(
                insuree=insuree, balance_fen=row.balance_fen, memo=ROSTER_ADJUSTMENT_MEMO
            )
        except ApplicationError as error:
            report.updated -= 1
            report.refuse(row.line, f"balance: {error.message}")


def _personal_account(row: RosterRow) -> Account:
    """A personal account not saved yet: the ledger opens it with its opening balance, in bulk."""
    return Account(code=f"personal:{row.id_number}", kind=AccountKind.PERSONAL, name=row.name)


def roster_file_import(
    *, file: TextIO, chunk_size: int = CHUNK_SIZE, progress_factory: Callable[[int], Progress] | None = None
) -> ImportReport:
    """Reads and imports an insuree roster; `progress_factory(total)` gives a per-chunk callback."""
    report = ImportReport()
    rows = insuree_rows_read(file=file, report=report)
    progress = progress_factory(len(rows)) if progress_factory else None
    return roster_import(rows=rows, report=report, chunk_size=chunk_size, progress=progress)


# -- premium rates and region policies (small files: one service call per changed row) -----------


def premium_rates_file_import(*, file: TextIO) -> ImportReport:
    report = ImportReport()
    parsed: dict[tuple[str, int], tuple[int, dict]] = {}
    for csv_record in csv_records(file=file, columns=PREMIUM_RATE_COLUMNS):
        line, record = csv_record.line, csv_record.values
        report.rows += 1
        try:
            if csv_record.error:
                raise RowError(csv_record.error)
            region_code = _validated(validate_pooling_region_code, record["region_code"], "region_code")
            if not re.fullmatch(r"20[0-9]{2}", record["year"]):
                raise RowError(_("year: %(value)r is not a year") % {"value": record["year"]})
            year = int(record["year"])
            try:
                amount_fen = amount_fen_from_yuan(record["amount"])
            except RowError as error:
                raise RowError(f"amount: {error}") from None
            if amount_fen == 0:
                raise RowError(_("amount: a premium is more than zero"))
            if amount_fen > MAX_PREMIUM_FEN:
                raise RowError(_("amount: the amount is implausibly large"))
            start = _date(record["collection_start"], "collection_start")
            end = _date(record["collection_end"], "collection_end")
            if end < start:
                raise RowError(_("collection_end: the collection period ends before it starts"))
            if (region_code, year) in parsed:
                raise RowError(
                    _("the same region and year as line %(line)d") % {"line": parsed[region_code, year][0]}
                )
        except RowError as error:
            report.refuse(line, str(error))
            continue
        parsed[region_code, year] = (
            line,
            {"amount_fen": amount_fen, "collection_start": start, "collection_end": end},
        )

    existing = {
        (rate.region_code, rate.year): rate
        for rate in PremiumRate.objects.filter(region_code__in={region for region, _year in parsed})
    }
    with transaction.atomic():
        for (region_code, year), (line, values) in parsed.items():
            rate = existing.get((region_code, year))
            if rate and all(getattr(rate, key) == value for key, value in values.items()):
                report.unchanged += 1
                continue
            try:
                premium_rate_set(region_code=region_code, year=year, **values)
            except ApplicationError as error:
                report.refuse(line, str(error.message))
                continue
            if rate:
                report.updated += 1
            else:
                report.created += 1
    return report


def _boolean(value: str, column: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise RowError(_("%(column)s: %(value)r is not true or false") % {"column": column, "value": value})


def region_policies_file_import(*, file: TextIO) -> ImportReport:
    report = ImportReport()
    parsed: dict[str, tuple[int, str, bool]] = {}
    for csv_record in csv_records(file=file, columns=REGION_POLICY_COLUMNS):
        line, record = csv_record.line, csv_record.values
        report.rows += 1
        try:
            if csv_record.error:
                raise RowError(csv_record.error)
            region_code = _validated(validate_policy_region_code, record["region_code"], "region_code")
            scope = _choice(record["scope"], SCOPES, "scope")
            exclusive = _boolean(record["exclusive_family"], "exclusive_family")
            if region_code in parsed:
                raise RowError(_("the same region as line %(line)d") % {"line": parsed[region_code][0]})
        except RowError as error:
            report.refuse(line, str(error))
            continue
        parsed[region_code] = (line, scope, exclusive)

    existing = {policy.region_code: policy for policy in RegionPolicy.objects.filter(region_code__in=parsed)}
    with transaction.atomic():
        for region_code, (_line, scope, exclusive) in parsed.items():
            policy = existing.get(region_code)
            if policy and (policy.scope, policy.exclusive_family) == (scope, exclusive):
                report.unchanged += 1
                continue
            region_policy_set(region_code=region_code, scope=scope, exclusive_family=exclusive)
            if policy:
                report.updated += 1
            else:
                report.created += 1
    return report
