"""The insuree roster: upserted in chunks, in lanes at once when it is large.

Every row is checked on its own first; a bad row is reported with its line number and reason and
the good rows go in. The insuree roster is upserted by (ID number, scheme) in chunks, a few
statements per chunk whatever its size: new persons, accounts, opening balances (through the
ledger, in bulk) and insurees are inserted in bulk; a status or region change goes through
`insuree_change`, so bindings end as the rules say. A roster's balance is the employee fund's side of
a personal account: when it differs from what the fund has put in so far, the difference is posted
as one adjusting ledger transaction, and premiums paid here meanwhile stay paid. Importing the same
file again changes nothing, whatever was paid in between."""

from __future__ import annotations

import datetime
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.bulk import bulk_insert, draw_keys
from common.errors import ApplicationError
from common.id_numbers import id_number_facts
from insurees.models import Insuree, InsureeStatus, Person, Scheme
from insurees.roster.reading import CHUNK_SIZE, Progress, RosterRow, insuree_rows_read
from insurees.roster.report import ImportReport
from insurees.roster.statistics import Statistics
from insurees.services import (
    OPENING_BALANCE_MEMO,
    ROSTER_ADJUSTMENT_MEMO,
    employee_contributions_account,
    insuree_change,
    personal_account_set_funded,
    personal_accounts_funded,
)
from ledger.models import Account, AccountKind
from ledger.services import transactions_post_opening_balances


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
        elif row.balance_fen is not None and funded.get(insuree.account_id or 0, 0) != row.balance_fen:
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
    # Rows are locked in primary-key order, as payments lock them, so the two never deadlock; the
    # changed insurees and then all their active bindings first, in the order one change takes them
    # (insuree, bindings, their allowances, accounts), so that no change holds an authorizer's accounts
    # while waiting for a binding an allowance change holds (medical's allowances.sql).
    from mutual_aid.services import bindings_lock_active_of_insurees

    changed = sorted(insuree.pk for _row, insuree in followups.changes)
    if changed:
        list(
            Insuree.objects.select_for_update(no_key=True, of=("self",))
            .filter(pk__in=changed)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        bindings_lock_active_of_insurees(insuree_ids=changed)
    for row, insuree in sorted(followups.changes, key=lambda change: change[1].pk):
        insuree_change(insuree=insuree, status=InsureeStatus(row.status), region_code=row.region_code)
    for row, insuree in sorted(followups.adjustments, key=lambda adjustment: adjustment[1].account_id or 0):
        try:
            personal_account_set_funded(
                insuree=insuree, balance_fen=row.balance_fen or 0, memo=ROSTER_ADJUSTMENT_MEMO
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
