"""The roster imports (API.md "Roster import") and the service-level checks they rely on.

The commands are called as an operator would call them, on files written to `tmp_path`; the parsing
and chunking are also driven directly through `insurees.roster` where that is shorter.
"""

import datetime
import gc
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from common.errors import ApplicationError
from insurees.management.commands import import_insurees
from insurees.models import Insuree, InsureeStatus, Person, PremiumKind, PremiumRate, RegionPolicy, Scheme
from insurees.roster import (
    INSUREE_COLUMNS,
    PREMIUM_RATE_COLUMNS,
    REGION_POLICY_COLUMNS,
    RosterFileError,
    amount_fen_from_yuan,
    roster_file_import,
)
from insurees.services import (
    OPENING_BALANCE_MEMO,
    ROSTER_ADJUSTMENT_MEMO,
    employee_contributions_account,
    insuree_register,
    person_create,
    personal_account_set_funded,
    personal_accounts_funded,
    premium_rate_set,
    region_policy_set,
)
from ledger.models import Account, AccountKind, Entry, Transaction
from ledger.selectors import account_balance_from_entries
from ledger.services import account_create, transactions_post_opening_balances
from mutual_aid.models import BindingStatus, EndReason
from tests.factories import (
    DALIAN,
    NANJING,
    SUZHOU,
    BindingFactory,
    EmployeeFactory,
    LongTermCareRateFactory,
    PersonFactory,
    PremiumRateFactory,
    RegionPolicyFactory,
    ResidentFactory,
    id_number_for,
)
from tests.payments.invariants import assert_money_invariants

HEADER = ",".join(INSUREE_COLUMNS)


@pytest.fixture(autouse=True)
def _english():
    """Reasons are asserted in English (the source strings), whatever the catalogue translates."""
    with translation.override("en"):
        yield


def ident(n: int, sex: str = "M") -> str:
    """A valid ID number issued in Nanjing, apart from the factories' Dalian-issued ones."""
    return id_number_for(n, region="320102", sex=sex)


def wrong_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def row(
    id_number: str,
    name: str = "张伟",
    scheme: str = "employee",
    region: str = DALIAN,
    status: str = "active",
    balance: str = "",
    phone: str = "",
) -> str:
    return ",".join([id_number, name, scheme, region, status, balance, phone])


def write_csv(tmp_path: Path, *lines: str, header: str = HEADER, encoding: str = "utf-8") -> Path:
    path = tmp_path / "roster.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding=encoding)
    return path


def run(command: str, path: Path, *args: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(command, str(path), *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def run_refused(command: str, path: Path, *args: str) -> tuple[str, str, CommandError]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(command, str(path), *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue(), raised.value


def import_rows(*lines: str, **kwargs):
    return roster_file_import(file=io.StringIO("\n".join([HEADER, *lines]) + "\n"), **kwargs)


def counts() -> dict[str, int]:
    return {
        "persons": Person.objects.count(),
        "insurees": Insuree.objects.count(),
        "accounts": Account.objects.count(),
        "transactions": Transaction.objects.count(),
        "entries": Entry.objects.count(),
    }


def employee_of(id_number: str) -> Insuree:
    return Insuree.objects.select_related("person", "account").get(
        person__id_number=id_number, scheme=Scheme.EMPLOYEE
    )


# -- the insuree roster: a clean file ----------------------------------------------------------------


def test_a_new_roster_creates_persons_insurees_and_personal_accounts_holding_their_balance(db, tmp_path):
    employee_id, resident_id = ident(1), ident(2, sex="F")
    path = write_csv(
        tmp_path,
        row(employee_id, "张伟", balance="1234.56", phone="13900000001"),
        row(resident_id, "王芳", scheme="resident", region=NANJING, balance="0"),
    )

    stdout, stderr = run("import_insurees", path)

    assert "2 rows: 2 created, 0 updated, 0 unchanged, 0 refused" in stdout
    assert stderr == ""
    employee = employee_of(employee_id)
    assert (employee.person.name, employee.person.phone, employee.region_code) == (
        "张伟",
        "13900000001",
        DALIAN,
    )
    assert employee.person.birth_date.strftime("%Y%m%d") == employee_id[6:14]
    assert employee.person.sex == "M"
    assert (employee.status, employee.since) == (InsureeStatus.ACTIVE, timezone.localdate())
    assert (employee.account.kind, employee.account.code) == (AccountKind.PERSONAL, f"personal:{employee_id}")
    assert employee.account.balance_fen == 123_456
    resident = Insuree.objects.select_related("person").get(person__id_number=resident_id)
    assert (resident.scheme, resident.region_code, resident.account_id) == (Scheme.RESIDENT, NANJING, None)
    assert resident.person.sex == "F"
    assert_money_invariants()


def test_opening_balances_go_through_the_ledger_in_one_balanced_transaction_the_accounts_share(db):
    numbers = [ident(n) for n in range(1, 5)]

    report = import_rows(
        row(numbers[0], balance="100"),
        row(numbers[1], balance="0.5"),
        row(numbers[2], balance="0"),  # opens at zero: no entry
        row(numbers[3]),  # no balance given: opens at zero
    )

    assert (report.created, report.bad) == (4, [])
    balances = [employee_of(number).account.balance_fen for number in numbers]
    assert balances == [10_000, 50, 0, 0]
    for number in numbers:
        account = employee_of(number).account
        assert account_balance_from_entries(account=account) == account.balance_fen
    opening = Transaction.objects.get()
    source = employee_contributions_account()
    assert opening.memo == OPENING_BALANCE_MEMO
    assert sorted(opening.entries.values_list("account_id", "amount_fen")) == sorted(
        [
            (source.pk, -10_050),
            (employee_of(numbers[0]).account_id, 10_000),
            (employee_of(numbers[1]).account_id, 50),
        ]
    )
    assert (source.kind, source.balance_fen) == (AccountKind.EXTERNAL, -10_050)
    assert account_balance_from_entries(account=source) == -10_050
    assert_money_invariants()


def test_a_changed_balance_after_a_shared_opening_adjusts_that_account_alone(db):
    numbers = [ident(n) for n in range(1, 4)]
    import_rows(*(row(number, balance="100") for number in numbers))
    accounts = [employee_of(number).account_id for number in numbers]
    assert personal_accounts_funded(account_ids=accounts) == dict.fromkeys(accounts, 10_000)

    report = import_rows(
        row(numbers[0], balance="100"), row(numbers[1], balance="80"), row(numbers[2], balance="100")
    )

    assert (report.updated, report.unchanged, report.bad) == (1, 2, [])
    assert [employee_of(number).account.balance_fen for number in numbers] == [10_000, 8_000, 10_000]
    assert personal_accounts_funded(account_ids=accounts) == {
        accounts[0]: 10_000,
        accounts[1]: 8_000,
        accounts[2]: 10_000,
    }
    assert list(Transaction.objects.values_list("memo", flat=True).order_by("pk")) == [
        OPENING_BALANCE_MEMO,
        ROSTER_ADJUSTMENT_MEMO,
    ]
    assert_money_invariants()


def test_a_byte_order_mark_before_the_header_is_accepted(db, tmp_path):
    path = write_csv(tmp_path, row(ident(1), balance="10"), encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    stdout, _stderr = run("import_insurees", path)

    assert "1 created" in stdout
    assert employee_of(ident(1)).account.balance_fen == 1_000


def test_a_byte_order_mark_is_also_stripped_when_the_file_is_read_without_utf8_sig(db):
    report = roster_file_import(file=io.StringIO("\ufeff" + HEADER + "\n" + row(ident(1)) + "\n"))

    assert (report.created, report.bad) == (1, [])


def test_columns_may_come_in_any_order_with_extra_columns_ignored(db, tmp_path):
    number = ident(1)
    path = write_csv(
        tmp_path,
        f"13900000001,8.00,{number},note,active,{DALIAN},employee,张伟",
        header="phone,balance,id_number,remark,status,region_code,scheme,name",
    )

    run("import_insurees", path)

    employee = employee_of(number)
    assert (employee.person.name, employee.person.phone, employee.account.balance_fen) == (
        "张伟",
        "13900000001",
        800,
    )


def test_a_header_only_file_imports_nothing_and_succeeds(db, tmp_path):
    stdout, _stderr = run("import_insurees", write_csv(tmp_path))

    assert "0 rows: 0 created" in stdout
    assert Person.objects.count() == 0


def test_a_lowercase_x_check_character_is_stored_uppercase(db):
    number = "11010519491231002X"

    import_rows(row(number.lower(), name="王芳"))

    assert Person.objects.get().id_number == number


def test_progress_is_reported_chunk_by_chunk_and_chunks_import_like_one(db):
    numbers = [ident(n) for n in range(1, 8)]
    done: list[int] = []
    totals: list[int] = []

    def progress_factory(total):
        totals.append(total)
        return done.append

    report = import_rows(
        *(row(number, balance=f"{n}.00") for n, number in enumerate(numbers, 1)),
        chunk_size=3,
        progress_factory=progress_factory,
    )

    assert (totals, done) == ([7], [3, 3, 1])
    assert report.created == 7
    assert [employee_of(number).account.balance_fen for number in numbers] == [n * 100 for n in range(1, 8)]
    assert_money_invariants()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_person_watching_the_command_gets_a_progress_bar_on_stderr(db, tmp_path, capsys):
    path = write_csv(tmp_path, row(ident(1)), row(ident(2)))
    stdout = _Terminal()

    call_command("import_insurees", str(path), stdout=stdout, stderr=io.StringIO())

    assert "2 created" in stdout.getvalue()
    assert "2/2" in capsys.readouterr().err


@pytest.mark.parametrize("good", [True, False], ids=["imported", "refused"])
def test_the_command_imports_with_the_cycle_collector_paused_and_restarts_it(db, tmp_path, monkeypatch, good):
    path = write_csv(tmp_path, row(ident(1)) if good else row(wrong_check_digit(ident(1))))
    collecting: list[bool] = []

    def importer(**options):
        collecting.append(gc.isenabled())
        return roster_file_import(**options)

    monkeypatch.setattr(import_insurees.Command, "importer", staticmethod(importer))
    assert gc.isenabled()

    if good:
        run("import_insurees", path)
    else:
        run_refused("import_insurees", path)

    assert collecting == [False]
    assert gc.isenabled()


def test_a_person_listed_in_both_schemes_is_created_once(db):
    number = ident(1)

    report = import_rows(row(number, balance="5"), row(number, scheme="resident"))

    assert report.created == 2
    person = Person.objects.get()
    assert sorted(person.insurances.values_list("scheme", flat=True)) == [Scheme.EMPLOYEE, Scheme.RESIDENT]


# -- the whole file refused ----------------------------------------------------------------------------


def test_a_header_missing_a_column_refuses_the_whole_file_and_imports_nothing(db, tmp_path):
    path = write_csv(
        tmp_path,
        ",".join([ident(1), "张伟", "employee", DALIAN, "active", "13900000001"]),
        header="id_number,name,scheme,region_code,status,phone",
    )
    before = counts()

    _stdout, _stderr, error = run_refused("import_insurees", path)

    assert "balance" in str(error)
    assert "lacks the columns" in str(error)
    assert counts() == before


def test_an_empty_file_is_refused_for_its_missing_header(db, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    _stdout, _stderr, error = run_refused("import_insurees", path)

    assert "lacks the columns id_number, name, scheme" in str(error)


def test_a_file_that_is_not_utf8_is_refused_and_imports_nothing(db, tmp_path):
    path = write_csv(tmp_path, row(ident(1), "张伟"), row(ident(2), "王芳"), encoding="gbk")
    before = counts()

    _stdout, _stderr, error = run_refused("import_insurees", path)

    assert "not UTF-8" in str(error)
    assert counts() == before


def test_a_missing_file_is_a_command_error(db, tmp_path):
    _stdout, _stderr, error = run_refused("import_insurees", tmp_path / "nowhere.csv")

    assert "no such file" in str(error)


def test_the_parser_raises_a_file_error_for_a_missing_column(db):
    with pytest.raises(RosterFileError):
        roster_file_import(file=io.StringIO("id_number,name\n"))


# -- bad rows --------------------------------------------------------------------------------------


def test_a_file_mixing_good_and_bad_rows_reports_each_bad_row_by_line_and_imports_the_good_ones(db, tmp_path):
    good_employee, good_resident = ident(1), ident(2)
    path = write_csv(
        tmp_path,
        row(good_employee, "张伟", balance="100.00"),  # line 2
        row(wrong_check_digit(ident(3))),  # 3
        row(ident(4), scheme="staff"),  # 4
        row(ident(5), status="dead"),  # 5
        row(ident(6), region="210201"),  # 6
        row(ident(7), balance="-5"),  # 7
        row(ident(8), balance="1.005"),  # 8
        row(ident(9), balance="100000000"),  # 9
        row(ident(10), scheme="resident", balance="12.00"),  # 10
        row(good_employee, "张伟", balance="200.00"),  # 11: same ID number and scheme as line 2
        row(good_employee, "李娜", scheme="resident"),  # 12: another name for line 2's number
        "",  # 13: a blank line is skipped, and still counted
        row(good_resident, "王芳", scheme="resident"),  # 14
    )

    stdout, stderr, error = run_refused("import_insurees", path)

    # Each bad row is one stderr line "FILE:LINE: REASON".
    reported = {}
    for message in stderr.splitlines():
        where, reason = message.split(": ", 1)
        reported[where.rsplit(":", 1)[1]] = reason
    assert sorted(reported, key=int) == ["3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]
    assert reported["3"] == "id_number: The ID number's check digit is wrong; please check it."
    assert reported["4"] == "scheme: 'staff' is not one of employee, resident"
    assert reported["5"] == "status: 'dead' is not one of active, suspended, terminated"
    assert reported["6"].startswith("region_code: 210201 is not a pooling region")
    assert reported["7"] == "balance: the amount is negative"
    assert reported["8"] == "balance: the amount has more than two decimals"
    assert reported["9"] == "balance: the amount is implausibly large"
    assert reported["10"] == "balance: a resident-scheme insuree has no personal account"
    assert reported["11"] == "the same ID number and scheme as line 2"
    assert reported["12"] == "name: differs from the name given for this ID number on line 2"
    assert all(line.startswith(f"{path}:") for line in stderr.splitlines())
    assert "12 rows: 2 created, 0 updated, 0 unchanged, 10 refused" in stdout
    assert str(error) == f"10 bad rows in {path}; the other rows were imported"
    assert error.returncode == 1
    # The good rows are in, the first of a duplicated pair wins, nothing of a bad row is.
    assert set(Person.objects.values_list("id_number", flat=True)) == {good_employee, good_resident}
    assert employee_of(good_employee).account.balance_fen == 10_000
    assert not Insuree.objects.filter(person__id_number=good_employee, scheme=Scheme.RESIDENT).exists()
    assert Account.objects.filter(kind=AccountKind.PERSONAL).count() == 1
    assert_money_invariants()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (row("21020219780512023"), "id_number: An ID number has 18 characters"),
        (row(wrong_check_digit(ident(1))), "id_number: The ID number's check digit is wrong"),
        (row("99020219780512023X"), "id_number: The ID number's region code does not exist."),
        (row(ident(1), name=""), "name: the name is empty"),
        (row(ident(1), name="张" * 65), "name: not a plausible name"),
        (row(ident(1), scheme="Employee"), "scheme: 'Employee' is not one of"),
        (row(ident(1), status=""), "status: '' is not one of"),
        (row(ident(1), region="320000"), "region_code: 320000 is not a pooling region"),
        (row(ident(1), region="21020"), "region_code: 21020 is not a pooling region"),
        (row(ident(1), region="990100"), "region_code: 990100 is not a pooling region"),
        (row(ident(1), balance="-0.01"), "balance: the amount is negative"),
        (row(ident(1), balance="0.001"), "balance: the amount has more than two decimals"),
        (row(ident(1), balance="1e5"), "balance: '1e5' is not an amount in yuan"),
        (row(ident(1), balance="+5"), "balance: '+5' is not an amount in yuan"),
        (row(ident(1), balance="１００"), "is not an amount in yuan"),
        (row(ident(1), balance="99999999999"), "balance: the amount is implausibly large"),
        (row(ident(1), scheme="resident", balance="0.01"), "balance: a resident-scheme insuree has no"),
        (row(ident(1), phone="call me"), "phone: 'call me' is not a phone number"),
        # The column holds 20 characters: a longer number must be a bad row, not a database error.
        (row(ident(1), phone="+86 139 0000 0000 000"), "is not a phone number"),
        (",".join([ident(1), "张伟", "employee", DALIAN, "active", ""]), "expected 7 fields, found 6"),
        (row(ident(1)) + ",extra", "expected 7 fields, found 8"),
    ],
)
def test_a_bad_row_is_refused_with_its_reason_and_writes_nothing(db, line, reason):
    employee_contributions_account()  # the import makes sure its source exists, rows or not
    before = counts()

    report = import_rows(line)

    assert (report.rows, report.created, report.updated, report.unchanged) == (1, 0, 0, 0)
    assert [bad.line for bad in report.bad] == [2]
    assert reason in report.bad[0].reason
    assert counts() == before


def test_the_longest_phone_the_column_holds_is_accepted(db):
    phone = "+86 139 0000 000000"
    assert len(phone) == 19

    report = import_rows(row(ident(1), phone=phone + "0"))

    assert report.bad == []
    assert Person.objects.get().phone == phone + "0"


def test_a_name_that_differs_from_the_registered_person_is_refused(db, tmp_path):
    person = PersonFactory(id_number=ident(1), name="王芳")
    resident = ResidentFactory(person=person)
    employee_contributions_account()
    before = counts()

    path = write_csv(tmp_path, row(ident(1), "王芳芳"))

    _stdout, stderr, _error = run_refused("import_insurees", path)

    assert f"{path}:2: name: does not match the name registered for this ID number" in stderr
    assert counts() == before
    assert Insuree.objects.get() == resident


@pytest.mark.parametrize(
    ("text", "fen"),
    [("0", 0), ("400", 40_000), ("400.5", 40_050), ("400.50", 40_050), ("0.01", 1), ("007.10", 710)],
)
def test_amounts_in_yuan_become_whole_fen(text, fen):
    assert amount_fen_from_yuan(text) == fen


# -- re-import and changes -------------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(db, tmp_path):
    path = write_csv(
        tmp_path,
        row(ident(1), "张伟", balance="300.00", phone="13900000001"),
        row(ident(1), "张伟", scheme="resident"),
        row(ident(2), "王芳", balance="", phone="13900000002"),
        row(ident(3), "李娜", scheme="resident", region=NANJING, status="suspended"),
    )
    run("import_insurees", path)
    before = counts()
    stamps = dict(Insuree.objects.values_list("pk", "updated_at"))
    balances = dict(Account.objects.values_list("pk", "balance_fen"))

    stdout, _stderr = run("import_insurees", path)

    assert "4 rows: 0 created, 0 updated, 4 unchanged, 0 refused" in stdout
    assert counts() == before
    assert dict(Insuree.objects.values_list("pk", "updated_at")) == stamps
    assert dict(Account.objects.values_list("pk", "balance_fen")) == balances
    assert_money_invariants()


@pytest.mark.parametrize(
    ("factory", "changes", "reason"),
    [
        (EmployeeFactory, {"status": "terminated"}, EndReason.AUTHORIZER_NOT_ACTIVE),
        (EmployeeFactory, {"status": "suspended"}, EndReason.AUTHORIZER_NOT_ACTIVE),
        (EmployeeFactory, {"region": NANJING}, EndReason.AUTHORIZER_MOVED),
        (EmployeeFactory, {"region": NANJING, "status": "terminated"}, EndReason.AUTHORIZER_MOVED),
        (ResidentFactory, {"status": "terminated"}, EndReason.BENEFICIARY_NOT_ACTIVE),
        (ResidentFactory, {"region": NANJING}, EndReason.BENEFICIARY_MOVED),
    ],
)
def test_a_status_or_region_change_ends_the_active_bindings_with_its_reason(db, factory, changes, reason):
    insuree = factory()
    side = "authorizer" if insuree.scheme == Scheme.EMPLOYEE else "beneficiary"
    active = [BindingFactory(**{side: insuree}) for _ in range(2)]
    other = BindingFactory()  # someone else's binding stays
    values = {"region": insuree.region_code, "status": "active", **changes}

    report = import_rows(row(insuree.person.id_number, insuree.person.name, scheme=insuree.scheme, **values))

    assert (report.created, report.updated, report.unchanged, report.bad) == (0, 1, 0, [])
    insuree.refresh_from_db()
    assert (insuree.status, insuree.region_code) == (values["status"], values["region"])
    for binding in active:
        binding.refresh_from_db()
        assert (binding.status, binding.end_reason) == (BindingStatus.ENDED, reason)
        assert binding.ended_at is not None
    other.refresh_from_db()
    assert other.status == BindingStatus.ACTIVE


def test_an_unchanged_status_and_region_leave_the_bindings_alone(db):
    binding = BindingFactory()
    person = binding.authorizer.person

    report = import_rows(row(person.id_number, person.name, phone="13911112222"))

    assert (report.updated, report.unchanged) == (1, 0)  # the phone changed
    binding.refresh_from_db()
    assert binding.status == BindingStatus.ACTIVE
    person.refresh_from_db()
    assert person.phone == "13911112222"


def test_reactivating_a_terminated_employee_updates_him_and_lets_him_bind_again(db):
    employee = EmployeeFactory(status=InsureeStatus.TERMINATED)

    report = import_rows(row(employee.person.id_number, employee.person.name, status="active"))

    assert report.updated == 1
    employee.refresh_from_db()
    assert employee.status == InsureeStatus.ACTIVE


@pytest.mark.parametrize(("balance", "delta"), [("1500.00", 50_000), ("250", -75_000), ("0", -100_000)])
def test_a_changed_balance_posts_one_adjusting_transaction(db, balance, delta):
    employee = EmployeeFactory(balance_fen=100_000)
    before = Transaction.objects.count()

    report = import_rows(row(employee.person.id_number, employee.person.name, balance=balance))

    assert (report.updated, report.bad) == (1, [])
    employee.account.refresh_from_db()
    assert employee.account.balance_fen == 100_000 + delta
    adjustment = Transaction.objects.get(pk__gt=Transaction.objects.order_by("pk")[before - 1].pk)
    assert adjustment.memo == ROSTER_ADJUSTMENT_MEMO
    assert dict(adjustment.entries.values_list("account_id", "amount_fen")) == {
        employee.account_id: delta,
        employee_contributions_account().pk: -delta,
    }
    assert account_balance_from_entries(account=employee.account) == employee.account.balance_fen
    assert_money_invariants()


def _pay_a_premium(employee, amount_fen=42_000):
    from payments.services import Actor
    from tests.factories import BindingFactory, PremiumRateFactory, UserFactory
    from tests.payments.paying import payment_create_for_relative

    year = timezone.localdate().year + 1
    PremiumRateFactory(year=year, amount_fen=amount_fen, region_code=employee.region_code)
    binding = BindingFactory(authorizer=employee)
    payment_create_for_relative(
        authorizer=employee,
        beneficiary=binding.beneficiary,
        year=year,
        actor=Actor(user=UserFactory(), idempotency_key="roster-premium"),
    )


def test_importing_the_same_balance_after_a_payment_leaves_the_payment_paid(db):
    employee = EmployeeFactory(balance_fen=100_000)
    _pay_a_premium(employee)
    before = counts()

    report = import_rows(row(employee.person.id_number, employee.person.name, balance="1000.00"))

    assert (report.unchanged, report.updated, report.bad) == (1, 0, [])
    employee.account.refresh_from_db()
    assert employee.account.balance_fen == 100_000 - 42_000
    assert counts() == before
    assert_money_invariants()


def test_a_raised_balance_after_a_payment_credits_only_the_raise(db):
    employee = EmployeeFactory(balance_fen=100_000)
    _pay_a_premium(employee)

    report = import_rows(row(employee.person.id_number, employee.person.name, balance="1200.00"))

    assert (report.updated, report.bad) == (1, [])
    employee.account.refresh_from_db()
    assert employee.account.balance_fen == 100_000 - 42_000 + 20_000
    assert_money_invariants()


def test_a_roster_that_takes_back_more_than_the_account_holds_is_a_bad_row(db):
    employee = EmployeeFactory(balance_fen=100_000)
    _pay_a_premium(employee)
    before = counts()

    report = import_rows(row(employee.person.id_number, employee.person.name, balance="100.00"))

    assert (report.updated, [bad.line for bad in report.bad]) == (0, [2])
    assert report.bad[0].reason.startswith("balance:")
    employee.account.refresh_from_db()
    assert employee.account.balance_fen == 100_000 - 42_000
    assert counts() == before


def test_an_empty_balance_keeps_the_existing_balance(db):
    employee = EmployeeFactory(balance_fen=100_000)
    before = counts()

    report = import_rows(row(employee.person.id_number, employee.person.name, balance=""))

    assert report.unchanged == 1
    employee.account.refresh_from_db()
    assert employee.account.balance_fen == 100_000
    assert counts() == before


def test_a_new_employee_row_for_an_existing_resident_reuses_the_person(db):
    resident = ResidentFactory()
    person = resident.person

    report = import_rows(row(person.id_number, person.name, region=NANJING, balance="88.80"))

    assert (report.created, report.bad) == (1, [])
    assert Person.objects.count() == 1
    employee = employee_of(person.id_number)
    assert employee.person == person
    assert (employee.region_code, employee.account.balance_fen) == (NANJING, 8_880)
    resident.refresh_from_db()
    assert (resident.scheme, resident.region_code, resident.status) == (
        Scheme.RESIDENT,
        DALIAN,
        InsureeStatus.ACTIVE,
    )
    assert_money_invariants()


def test_a_known_persons_name_and_birth_date_are_not_rewritten(db):
    person = PersonFactory(id_number=ident(1), name="张伟", phone="13900000001")

    import_rows(row(person.id_number, "张伟", scheme="resident"))

    assert Person.objects.get() == person
    person.refresh_from_db()
    assert (person.name, person.phone) == ("张伟", "13900000001")  # an empty phone keeps the known one


# -- dry run -----------------------------------------------------------------------------------------


def test_a_dry_run_checks_and_counts_every_row_but_saves_nothing(db, tmp_path):
    binding = BindingFactory()
    authorizer = binding.authorizer
    path = write_csv(
        tmp_path,
        row(ident(1), balance="10.00"),
        row(authorizer.person.id_number, authorizer.person.name, status="terminated", balance="5"),
    )
    before = counts()
    balances = dict(Account.objects.values_list("pk", "balance_fen"))

    stdout, _stderr = run("import_insurees", path, "--dry-run")

    assert "2 rows: 1 created, 1 updated, 0 unchanged, 0 refused (dry run: nothing saved)" in stdout
    assert counts() == before
    assert dict(Account.objects.values_list("pk", "balance_fen")) == balances
    authorizer.refresh_from_db()
    assert authorizer.status == InsureeStatus.ACTIVE
    binding.refresh_from_db()
    assert binding.status == BindingStatus.ACTIVE


def test_a_dry_run_with_a_bad_row_fails_and_still_saves_nothing(db, tmp_path):
    path = write_csv(tmp_path, row(ident(1), balance="10.00"), row(ident(2), scheme="staff"))
    before = counts()

    stdout, stderr, _error = run_refused("import_insurees", path, "--dry-run")

    assert "1 created" in stdout
    assert "(dry run: nothing saved)" in stdout
    assert ":3: scheme:" in stderr
    assert counts() == before


# -- queries -----------------------------------------------------------------------------------------


def _queries_to_import(lines: list[str]) -> int:
    employee_contributions_account()  # the fund source exists, as after the first import
    with CaptureQueriesContext(connection) as captured:
        report = import_rows(*lines)
    assert report.bad == []
    return len(captured)


def _sizes() -> tuple[int, int]:
    return (10, 200)


def test_the_queries_for_new_rows_do_not_grow_with_the_number_of_rows(db):
    small, large = _sizes()
    numbers = [ident(n) for n in range(1, small + large + 1)]

    few = _queries_to_import([row(number, balance="1.00") for number in numbers[:small]])
    many = _queries_to_import([row(number, balance="1.00") for number in numbers[small:]])

    assert many == few
    assert Insuree.objects.count() == small + large
    assert_money_invariants()


def test_the_queries_for_unchanged_rows_do_not_grow_with_the_number_of_rows(db):
    small, large = _sizes()
    lines = [row(ident(n), balance="1.00") for n in range(1, large + 1)]
    import_rows(*lines)

    few = _queries_to_import(lines[:small])
    many = _queries_to_import(lines)

    assert many == few


# -- premium rates -----------------------------------------------------------------------------------

RATE_HEADER = ",".join(PREMIUM_RATE_COLUMNS)


def test_premium_rates_are_created_then_updated_then_left_unchanged(db, tmp_path):
    PremiumRateFactory(region_code=NANJING, year=2026, amount_fen=38_000)
    path = write_csv(
        tmp_path,
        f"{DALIAN},2026,400,2025-09-01,2025-12-31",
        f"{NANJING},2026,420.50,2025-10-01,2026-02-28",
        header=RATE_HEADER,
    )

    stdout, _stderr = run("import_premium_rates", path)

    assert "2 rows: 1 created, 1 updated, 0 unchanged, 0 refused" in stdout
    rates = {
        (rate.region_code, rate.year): (rate.amount_fen, rate.collection_start, rate.collection_end)
        for rate in PremiumRate.objects.all()
    }
    assert rates == {
        (DALIAN, 2026): (40_000, datetime.date(2025, 9, 1), datetime.date(2025, 12, 31)),
        (NANJING, 2026): (42_050, datetime.date(2025, 10, 1), datetime.date(2026, 2, 28)),
    }

    stdout, _stderr = run("import_premium_rates", path)

    assert "2 rows: 0 created, 0 updated, 2 unchanged, 0 refused" in stdout
    assert PremiumRate.objects.count() == 2


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (f"{DALIAN},2026,400,2025-12-31,2025-09-01", "collection_end: the collection period ends before"),
        (f"{DALIAN},26,400,2025-09-01,2025-12-31", "year: '26' is not a year"),
        (f"{DALIAN},2026.0,400,2025-09-01,2025-12-31", "year: '2026.0' is not a year"),
        (f"{DALIAN},1999,400,2025-09-01,2025-12-31", "year: '1999' is not a year"),
        (f"{DALIAN},2026,0,2025-09-01,2025-12-31", "amount: a premium is more than zero"),
        (f"{DALIAN},2026,-400,2025-09-01,2025-12-31", "amount: the amount is negative"),
        (f"{DALIAN},2026,400.001,2025-09-01,2025-12-31", "amount: the amount has more than two decimals"),
        (f"{DALIAN},2026,400,2025/09/01,2025-12-31", "collection_start: '2025/09/01' is not a date"),
        (f"{DALIAN},2026,400,2025-09-01,2025-02-30", "collection_end: '2025-02-30' is not a date"),
        ("210000,2026,400,2025-09-01,2025-12-31", "region_code: 210000 is not a pooling region"),
        (f"{DALIAN},2026,400,2025-09-01", "expected 5 fields, found 4"),
    ],
)
def test_a_bad_premium_rate_row_is_refused_and_saves_nothing(db, tmp_path, line, reason):
    path = write_csv(tmp_path, line, header=RATE_HEADER)

    _stdout, stderr, error = run_refused("import_premium_rates", path)

    assert f"{path}:2: {reason}" in stderr
    assert error.returncode == 1
    assert PremiumRate.objects.count() == 0


def test_a_premium_rate_file_keeps_its_good_rows_and_refuses_a_repeated_region_and_year(db, tmp_path):
    path = write_csv(
        tmp_path,
        f"{DALIAN},2026,400,2025-09-01,2025-12-31",
        f"{DALIAN},2026,410,2025-09-01,2025-12-31",
        f"{DALIAN},2027,430,2026-09-01,2026-12-31",
        header=RATE_HEADER,
    )

    stdout, stderr, _error = run_refused("import_premium_rates", path)

    assert f"{path}:3: the same region, year and kind as line 2" in stderr
    assert "3 rows: 2 created, 0 updated, 0 unchanged, 1 refused" in stdout
    assert dict(PremiumRate.objects.values_list("year", "amount_fen")) == {2026: 40_000, 2027: 43_000}


def test_a_premium_rate_file_without_a_collection_end_column_is_refused_whole(db, tmp_path):
    path = write_csv(
        tmp_path, f"{DALIAN},2026,400,2025-09-01", header="region_code,year,amount,collection_start"
    )

    _stdout, _stderr, error = run_refused("import_premium_rates", path)

    assert "collection_end" in str(error)
    assert PremiumRate.objects.count() == 0


def test_a_premium_rate_dry_run_saves_nothing(db, tmp_path):
    path = write_csv(tmp_path, f"{DALIAN},2026,400,2025-09-01,2025-12-31", header=RATE_HEADER)

    stdout, _stderr = run("import_premium_rates", path, "--dry-run")

    assert "1 created" in stdout
    assert PremiumRate.objects.count() == 0


def test_a_premium_rate_file_with_a_kind_column_sets_each_kind_apart(db, tmp_path):
    """The optional kind column: an empty cell is the resident premium, as a file without the column."""
    PremiumRateFactory(
        region_code=SUZHOU,
        year=2026,
        amount_fen=44_000,
        collection_start=datetime.date(2025, 9, 1),
        collection_end=datetime.date(2026, 2, 28),
    )
    path = write_csv(
        tmp_path,
        f"{SUZHOU},2026,440,2025-09-01,2026-02-28,",
        f"{SUZHOU},2026,100,2025-09-01,2026-02-28,long_term_care",
        f"{SUZHOU},2027,460,2026-09-01,2027-02-28,resident_medical",
        header=f"{RATE_HEADER},kind",
    )

    stdout, _stderr = run("import_premium_rates", path)

    assert "3 rows: 2 created, 0 updated, 1 unchanged, 0 refused" in stdout
    assert sorted(PremiumRate.objects.values_list("year", "kind", "amount_fen")) == [
        (2026, PremiumKind.LONG_TERM_CARE, 10_000),
        (2026, PremiumKind.RESIDENT_MEDICAL, 44_000),
        (2027, PremiumKind.RESIDENT_MEDICAL, 46_000),
    ]


def test_a_premium_rate_file_without_a_kind_column_sets_resident_premiums_beside_long_term_care_ones(
    db, tmp_path
):
    LongTermCareRateFactory(region_code=SUZHOU, year=2026, amount_fen=10_000)
    path = write_csv(tmp_path, f"{SUZHOU},2026,440,2025-09-01,2026-02-28", header=RATE_HEADER)

    stdout, _stderr = run("import_premium_rates", path)

    assert "1 rows: 1 created" in stdout
    assert dict(PremiumRate.objects.filter(year=2026).values_list("kind", "amount_fen")) == {
        PremiumKind.LONG_TERM_CARE: 10_000,
        PremiumKind.RESIDENT_MEDICAL: 44_000,
    }


def test_a_bad_kind_is_a_bad_row_with_its_line_number(db, tmp_path):
    path = write_csv(
        tmp_path,
        f"{SUZHOU},2026,100,2025-09-01,2026-02-28,long_term_care",
        f"{SUZHOU},2027,120,2026-09-01,2027-02-28,nursing",
        f"{SUZHOU},2027,110,2026-09-01,2027-02-28,long_term_care",
        f"{SUZHOU},2027,115,2026-09-01,2027-02-28,long_term_care",
        header=f"{RATE_HEADER},kind",
    )

    stdout, stderr, error = run_refused("import_premium_rates", path)

    assert f"{path}:3: kind: 'nursing' is not one of resident_medical, long_term_care" in stderr
    assert f"{path}:5: the same region, year and kind as line 4" in stderr
    assert "4 rows: 2 created, 0 updated, 0 unchanged, 2 refused" in stdout
    assert error.returncode == 1
    assert sorted(PremiumRate.objects.values_list("year", "kind", "amount_fen")) == [
        (2026, PremiumKind.LONG_TERM_CARE, 10_000),
        (2027, PremiumKind.LONG_TERM_CARE, 11_000),
    ]


# -- region policies ---------------------------------------------------------------------------------

POLICY_HEADER = ",".join(REGION_POLICY_COLUMNS)


def test_region_policies_accept_a_province_code_and_the_usual_ways_of_writing_booleans(db, tmp_path):
    path = write_csv(
        tmp_path,
        "320000,province,true",
        f"{DALIAN},city,否",
        "310000,city,YES",
        "330100,province,0",
        "440300,city,是",
        header=POLICY_HEADER,
    )

    stdout, _stderr = run("import_region_policies", path)

    assert "5 rows: 5 created, 0 updated, 0 unchanged, 0 refused" in stdout
    assert {
        policy.region_code: (policy.scope, policy.exclusive_family) for policy in RegionPolicy.objects.all()
    } == {
        "320000": ("province", True),
        DALIAN: ("city", False),
        "310000": ("city", True),
        "330100": ("province", False),
        "440300": ("city", True),
    }


def test_region_policies_are_updated_and_a_repeated_import_changes_nothing(db, tmp_path):
    RegionPolicyFactory(region_code="320000", scope="province", exclusive_family=True)
    path = write_csv(tmp_path, "320000,province,false", f"{DALIAN},city,false", header=POLICY_HEADER)

    first, _stderr = run("import_region_policies", path)
    again, _stderr = run("import_region_policies", path)

    assert "2 rows: 1 created, 1 updated, 0 unchanged, 0 refused" in first
    assert "2 rows: 0 created, 0 updated, 2 unchanged, 0 refused" in again
    assert RegionPolicy.objects.get(region_code="320000").exclusive_family is False


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("320000,province,maybe", "exclusive_family: 'maybe' is not true or false"),
        ("320000,province,", "exclusive_family: '' is not true or false"),
        ("320000,country,true", "scope: 'country' is not one of city, province"),
        ("990000,province,true", "region_code: 990000 is neither a pooling region"),
        ("320101,city,true", "region_code: 320101 is neither a pooling region"),
    ],
)
def test_a_bad_region_policy_row_is_refused_and_the_good_rows_kept(db, tmp_path, line, reason):
    path = write_csv(tmp_path, f"{DALIAN},city,false", line, header=POLICY_HEADER)

    stdout, stderr, _error = run_refused("import_region_policies", path)

    assert f"{path}:3: {reason}" in stderr
    assert "2 rows: 1 created, 0 updated, 0 unchanged, 1 refused" in stdout
    assert list(RegionPolicy.objects.values_list("region_code", flat=True)) == [DALIAN]


def test_a_region_repeated_in_the_policy_file_is_refused(db, tmp_path):
    path = write_csv(tmp_path, "320000,province,true", "320000,city,false", header=POLICY_HEADER)

    _stdout, stderr, _error = run_refused("import_region_policies", path)

    assert f"{path}:3: the same region as line 2" in stderr
    assert RegionPolicy.objects.get().scope == "province"


# -- the services the imports rely on ----------------------------------------------------------------


def test_person_create_takes_birth_date_and_sex_from_the_id_number(db):
    person = person_create(id_number=f" {ident(1, sex='F')} ", name=" 王芳 ", phone=" 139 ")

    assert (person.id_number, person.name, person.phone) == (ident(1, sex="F"), "王芳", "139")
    assert person.birth_date.strftime("%Y%m%d") == ident(1)[6:14]
    assert person.sex == "F"


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"id_number": "not a number", "name": "王芳"}, "invalid_id_number", "id_number"),
        ({"id_number": wrong_check_digit(ident(1)), "name": "王芳"}, "invalid_id_number", "id_number"),
        ({"id_number": ident(1), "name": "  "}, "invalid_input", "name"),
    ],
)
def test_person_create_refuses_a_bad_number_or_an_empty_name(db, kwargs, code, field):
    with pytest.raises(ApplicationError) as raised:
        person_create(**kwargs)

    assert (raised.value.code, raised.value.field) == (code, field)
    assert Person.objects.count() == 0


def test_insuree_register_opens_an_employees_account_through_the_ledger(db):
    person = person_create(id_number=ident(1), name="张伟")

    insuree = insuree_register(
        person=person,
        scheme=Scheme.EMPLOYEE,
        region_code=DALIAN,
        since=datetime.date(2020, 1, 1),
        opening_balance_fen=12_345,
    )

    insuree.account.refresh_from_db()
    assert insuree.account.balance_fen == 12_345
    assert Transaction.objects.get().memo == OPENING_BALANCE_MEMO
    assert_money_invariants()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"scheme": "staff"}, "scheme"),
        ({"status": "dead"}, "status"),
        ({"region_code": "210201"}, "region_code"),
        ({"region_code": "320000"}, "region_code"),
        ({"opening_balance_fen": -1}, "balance"),
        ({"scheme": Scheme.RESIDENT, "opening_balance_fen": 100}, "balance"),
    ],
)
def test_insuree_register_refuses_bad_input_and_writes_nothing(db, kwargs, field):
    person = person_create(id_number=ident(1), name="张伟")
    before = counts()
    arguments = {
        "person": person,
        "scheme": Scheme.EMPLOYEE,
        "region_code": DALIAN,
        "since": datetime.date(2020, 1, 1),
        **kwargs,
    }

    with pytest.raises(ApplicationError) as raised:
        insuree_register(**arguments)

    assert (raised.value.code, raised.value.field) == ("invalid_input", field)
    assert counts() == before


def test_premium_rate_set_upserts_by_region_and_year(db):
    first = premium_rate_set(
        region_code=DALIAN,
        year=2026,
        amount_fen=40_000,
        collection_start=datetime.date(2025, 9, 1),
        collection_end=datetime.date(2025, 12, 31),
    )
    second = premium_rate_set(
        region_code=DALIAN,
        year=2026,
        amount_fen=41_000,
        collection_start=datetime.date(2025, 9, 1),
        collection_end=datetime.date(2025, 12, 31),
    )

    assert first.pk == second.pk
    assert PremiumRate.objects.get().amount_fen == 41_000


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"region_code": "320000"}, "region_code"),
        ({"amount_fen": 0}, "amount"),
        ({"amount_fen": -1}, "amount"),
        ({"collection_end": datetime.date(2025, 8, 31)}, "collection_end"),
    ],
)
def test_premium_rate_set_refuses_bad_input(db, kwargs, field):
    arguments = {
        "region_code": DALIAN,
        "year": 2026,
        "amount_fen": 40_000,
        "collection_start": datetime.date(2025, 9, 1),
        "collection_end": datetime.date(2025, 12, 31),
        **kwargs,
    }

    with pytest.raises(ApplicationError) as raised:
        premium_rate_set(**arguments)

    assert (raised.value.code, raised.value.field) == ("invalid_input", field)
    assert PremiumRate.objects.count() == 0


@pytest.mark.parametrize(
    ("region_code", "scope"), [("320000", "province"), (NANJING, "city"), ("110000", "city")]
)
def test_region_policy_set_accepts_a_province_or_a_pooling_region(db, region_code, scope):
    policy = region_policy_set(region_code=region_code, scope=scope, exclusive_family=True)

    assert RegionPolicy.objects.get() == policy
    assert (policy.scope, policy.exclusive_family) == (scope, True)


@pytest.mark.parametrize(
    ("region_code", "scope", "field"),
    [("990000", "city", "region_code"), ("320101", "city", "region_code"), ("320000", "country", "scope")],
)
def test_region_policy_set_refuses_bad_input(db, region_code, scope, field):
    with pytest.raises(ApplicationError) as raised:
        region_policy_set(region_code=region_code, scope=scope, exclusive_family=False)

    assert raised.value.field == field
    assert RegionPolicy.objects.count() == 0


@pytest.mark.parametrize(("target", "delta"), [(150_000, 50_000), (20_000, -80_000), (0, -100_000)])
def test_personal_account_set_funded_posts_the_difference_once(db, target, delta):
    employee = EmployeeFactory(balance_fen=100_000)
    before = Transaction.objects.count()

    posted = personal_account_set_funded(insuree=employee, balance_fen=target, memo=ROSTER_ADJUSTMENT_MEMO)

    assert posted == delta
    assert Transaction.objects.count() == before + 1
    employee.account.refresh_from_db()
    assert employee.account.balance_fen == target
    assert_money_invariants()


def test_personal_account_set_funded_to_the_same_balance_posts_nothing(db):
    employee = EmployeeFactory(balance_fen=100_000)
    before = counts()

    assert personal_account_set_funded(insuree=employee, balance_fen=100_000, memo="x") == 0
    assert counts() == before


def test_personal_account_set_funded_refuses_a_negative_balance(db):
    employee = EmployeeFactory(balance_fen=100_000)
    before = counts()

    with pytest.raises(ApplicationError) as raised:
        personal_account_set_funded(insuree=employee, balance_fen=-1, memo="x")

    assert (raised.value.code, raised.value.field) == ("invalid_input", "balance")
    employee.account.refresh_from_db()
    assert employee.account.balance_fen == 100_000
    assert counts() == before


def test_opening_balances_share_transactions_of_at_most_the_given_number_of_accounts(db):
    source = employee_contributions_account()
    credits = [(Account(code=f"personal:{n}", kind=AccountKind.PERSONAL), 100 * n) for n in range(1, 6)]

    posted = transactions_post_opening_balances(
        source=source, credits=credits, memo=OPENING_BALANCE_MEMO, per_transaction=2
    )

    assert posted == 3
    shares = [
        dict(txn.entries.values_list("account_id", "amount_fen"))
        for txn in Transaction.objects.order_by("pk")
    ]
    keys = [account.pk for account, _amount in credits]
    assert shares == [
        {source.pk: -300, keys[0]: 100, keys[1]: 200},
        {source.pk: -700, keys[2]: 300, keys[3]: 400},
        {source.pk: -500, keys[4]: 500},
    ]
    assert source.balance_fen == -1_500
    assert_money_invariants()


def test_opening_balances_open_new_accounts_and_credit_saved_ones(db):
    source = employee_contributions_account()
    saved = account_create(code="personal:saved", kind=AccountKind.PERSONAL)
    funded = Account(code="personal:funded", kind=AccountKind.PERSONAL)
    empty = Account(code="personal:empty", kind=AccountKind.PERSONAL)

    posted = transactions_post_opening_balances(
        source=source, credits=[(funded, 700), (empty, 0), (saved, 300)], memo=OPENING_BALANCE_MEMO
    )

    assert posted == 1
    assert dict(Transaction.objects.get().entries.values_list("account_id", "amount_fen")) == {
        source.pk: -1_000,
        funded.pk: 700,
        saved.pk: 300,
    }
    assert dict(Account.objects.values_list("code", "balance_fen")) == {
        source.code: -1_000,
        "personal:saved": 300,
        "personal:funded": 700,
        "personal:empty": 0,
    }
    assert (funded.pk is not None, funded.balance_fen, saved.balance_fen, source.balance_fen) == (
        True,
        700,
        300,
        -1_000,
    )
    assert not Entry.objects.filter(account__code="personal:empty").exists()
    assert_money_invariants()


def _opening_refusals():
    def twice_saved(source):
        saved = account_create(code="personal:saved", kind=AccountKind.PERSONAL)
        return source, [(saved, 1), (saved, 2)]

    def twice_new(source):
        return source, [(Account(code="personal:a", kind=AccountKind.PERSONAL), 1)] * 2

    def same_code(source):
        return source, [(Account(code="personal:a", kind=AccountKind.PERSONAL), amount) for amount in (1, 2)]

    def negative(source):
        return source, [(Account(code="personal:a", kind=AccountKind.PERSONAL), -1)]

    def not_whole(source):
        return source, [(Account(code="personal:a", kind=AccountKind.PERSONAL), 1.5)]

    def boolean(source):
        return source, [(Account(code="personal:a", kind=AccountKind.PERSONAL), True)]

    def unsaved_source(_source):
        unsaved = Account(code="external:new", kind=AccountKind.EXTERNAL)
        return unsaved, [(Account(code="personal:a", kind=AccountKind.PERSONAL), 1)]

    def source_credited(source):
        return source, [(source, 1)]

    return [twice_saved, twice_new, same_code, negative, not_whole, boolean, unsaved_source, source_credited]


@pytest.mark.parametrize("case", _opening_refusals(), ids=lambda case: case.__name__)
def test_opening_balances_refuse_bad_credits_and_write_nothing(db, case):
    source, credits = case(employee_contributions_account())
    before = counts()

    with pytest.raises(ApplicationError) as raised:
        transactions_post_opening_balances(source=source, credits=credits, memo=OPENING_BALANCE_MEMO)

    assert raised.value.code == "invalid_input"
    assert counts() == before


def test_a_premium_too_large_for_its_column_is_a_bad_row_not_a_database_error(db, tmp_path):
    path = write_csv(
        tmp_path,
        f"{DALIAN},2026,400,2025-09-01,2025-12-31",
        f"{NANJING},2026,30000000,2025-09-01,2025-12-31",
        header=RATE_HEADER,
    )

    stdout, stderr, _error = run_refused("import_premium_rates", path)

    assert f"{path}:3: amount: the amount is implausibly large" in stderr
    assert "1 created" in stdout
    assert list(PremiumRate.objects.values_list("region_code", flat=True)) == [DALIAN]


def test_a_person_given_two_different_phones_in_one_file_is_refused_on_the_second_line(db):
    number = ident(1)

    report = import_rows(
        row(number, phone="13900000001"), row(number, scheme="resident", phone="13900000002")
    )

    assert [(bad.line, bad.reason) for bad in report.bad] == [
        (3, "phone: differs from the phone given for this ID number on line 2")
    ]
    assert Person.objects.get().phone == "13900000001"


@pytest.mark.parametrize("known", [False, True])
def test_a_phone_given_on_one_of_a_persons_rows_is_kept_and_a_second_import_changes_nothing(db, known):
    number = ident(1)
    if known:
        PersonFactory(id_number=number, name="张伟", phone="13800000000")
    lines = [row(number, balance="1"), row(number, scheme="resident", phone="13900000002")]

    import_rows(*lines)
    again = import_rows(*lines)

    assert Person.objects.get().phone == "13900000002"
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
