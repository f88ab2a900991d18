"""The register's commands (API.md "Roster import"): import_institutions upserts by code, reports bad
rows by line and exits non-zero, opens one payable account per institution; create_institution_terminal
makes an institution's login without ever showing its password."""

import io

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from common.permissions import INSTITUTION
from ledger.models import Account, AccountKind
from medical.models import Institution, InstitutionTerminal
from tests.factories import DALIAN, NANJING, EmployeeFactory, user_for

HEADER = "code,name,kind,region_code,status\n"
PASSWORD = "Terminal-pass-2026"


def write(tmp_path, text, name="institutions.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def run_refused(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command(*args, stdout=out, stderr=err, **options)
    return str(error.value), out.getvalue(), err.getvalue()


# --- import_institutions -----------------------------------------------------------------------------


def test_import_creates_each_institution_with_its_payable_account(db, tmp_path):
    path = write(
        tmp_path,
        HEADER
        + f"H001,大连市中心医院,hospital,{DALIAN},active\nP002,南京大药房,pharmacy,{NANJING},inactive\n",
    )

    out, err = run("import_institutions", str(path))

    assert "2 rows: 2 created, 0 updated, 0 unchanged, 0 refused" in out
    assert err == ""
    hospital, pharmacy = Institution.objects.order_by("code")
    assert (hospital.code, hospital.name, hospital.kind, hospital.region_code, hospital.status) == (
        "H001", "大连市中心医院", "hospital", DALIAN, "active",
    )  # fmt: skip
    assert (pharmacy.kind, pharmacy.status) == ("pharmacy", "inactive")
    for institution in (hospital, pharmacy):
        assert institution.account.kind == AccountKind.PAYABLE
        assert institution.account.balance_fen == 0
        assert institution.account.code == f"payable:institution:{institution.code}"


def test_import_upserts_by_code_and_opens_the_payable_account_once(db, tmp_path):
    run("import_institutions", str(write(tmp_path, HEADER + f"H001,旧名称,hospital,{DALIAN},active\n")))
    account_id = Institution.objects.get().account_id

    out, _err = run(
        "import_institutions",
        str(
            write(
                tmp_path,
                HEADER + f"H001,新名称,hospital,{NANJING},inactive\nH002,二院,hospital,{DALIAN},active\n",
            )
        ),
    )
    again, _err = run(
        "import_institutions", str(write(tmp_path, HEADER + f"H001,新名称,hospital,{NANJING},inactive\n"))
    )

    assert "2 rows: 1 created, 1 updated, 0 unchanged, 0 refused" in out
    assert "1 rows: 0 created, 0 updated, 1 unchanged, 0 refused" in again
    renamed = Institution.objects.get(code="H001")
    assert (renamed.name, renamed.region_code, renamed.status, renamed.account_id) == (
        "新名称", NANJING, "inactive", account_id,
    )  # fmt: skip
    assert Account.objects.filter(kind=AccountKind.PAYABLE).count() == 2  # one per institution, ever


def test_bad_rows_are_reported_with_their_line_and_the_command_exits_non_zero(db, tmp_path):
    path = write(
        tmp_path,
        HEADER
        + f"H001,好医院,hospital,{DALIAN},active\n"  # line 2: good
        + f"H-2,连字符,hospital,{DALIAN},active\n"  # 3: the code
        + f"H003,,hospital,{DALIAN},active\n"  # 4: no name
        + f"H004,诊所,clinic,{DALIAN},active\n"  # 5: the kind
        + "H005,医院,hospital,999999,active\n"  # 6: no such region
        + f"H006,医院,hospital,{DALIAN},closed\n"  # 7: the status
        + f"H007,医院,hospital,{DALIAN}\n"  # 8: a field short
        + f"H001,重复,pharmacy,{DALIAN},active\n"  # 9: the same code as line 2
        + f"P008,好药房,pharmacy,{NANJING},active\n",  # 10: good
    )

    with translation.override("en"):
        message, out, err = run_refused("import_institutions", str(path))

    assert "7 bad rows" in message
    assert "9 rows: 2 created, 0 updated, 0 unchanged, 7 refused" in out
    lines = err.strip().splitlines()
    assert [line.split(":")[1] for line in lines] == ["3", "4", "5", "6", "7", "8", "9"]
    assert all(line.startswith(f"{path}:") for line in lines)
    reasons = ["code", "name", "clinic", "region_code", "closed", "expected 5 fields", "line 2"]
    assert all(reason in line for reason, line in zip(reasons, lines, strict=True)), lines
    # The good rows are imported all the same; the first H001 row stands.
    assert sorted(Institution.objects.values_list("code", "name")) == [("H001", "好医院"), ("P008", "好药房")]


def test_a_dry_run_checks_and_counts_but_saves_nothing(db, tmp_path):
    path = write(tmp_path, HEADER + f"H001,医院,hospital,{DALIAN},active\n")

    out, _err = run("import_institutions", str(path), dry_run=True)

    assert "1 rows: 1 created" in out
    assert "dry run: nothing saved" in out
    assert not Institution.objects.exists()
    assert not Account.objects.filter(kind=AccountKind.PAYABLE).exists()


def test_a_file_without_the_columns_or_not_there_is_refused_whole(db, tmp_path):
    message, _out, _err = run_refused("import_institutions", str(write(tmp_path, "code,name\nH001,医院\n")))
    assert "kind, region_code" in message

    message, _out, _err = run_refused("import_institutions", str(tmp_path / "missing.csv"))
    assert "no such file" in message
    assert not Institution.objects.exists()


# --- create_institution_terminal ----------------------------------------------------------------------


@pytest.fixture
def hospital(db, tmp_path):
    run("import_institutions", str(write(tmp_path, HEADER + f"H001,医院,hospital,{DALIAN},active\n")))
    return Institution.objects.get()


def test_a_terminal_login_of_the_institution_is_created(hospital, capsys):
    out, err = run("create_institution_terminal", "H001", "h001-till-1", password=PASSWORD)

    terminal = InstitutionTerminal.objects.get()
    assert (terminal.institution, terminal.user.username) == (hospital, "h001-till-1")
    assert list(terminal.user.groups.values_list("name", flat=True)) == [INSTITUTION]
    assert (terminal.user.is_staff, terminal.user.is_superuser) == (False, False)
    assert authenticate(username="h001-till-1", password=PASSWORD) == terminal.user
    assert "h001-till-1" in out
    assert PASSWORD not in out + err + "".join(capsys.readouterr())


def test_running_it_again_sets_a_new_password_on_the_same_terminal(hospital):
    run("create_institution_terminal", "H001", "h001-till-1", password=PASSWORD)

    run("create_institution_terminal", "H001", "h001-till-1", password="Another-pass-2027")

    assert InstitutionTerminal.objects.count() == 1
    assert authenticate(username="h001-till-1", password="Another-pass-2027") is not None
    assert authenticate(username="h001-till-1", password=PASSWORD) is None


def test_the_password_comes_from_the_environment_when_not_given(hospital, monkeypatch):
    monkeypatch.setenv("GONGJI_TERMINAL_PASSWORD", PASSWORD)

    out, err = run("create_institution_terminal", "H001", "h001-till-2")

    assert authenticate(username="h001-till-2", password=PASSWORD) is not None
    assert PASSWORD not in out + err


def test_without_a_password_and_no_terminal_to_ask_it_is_refused(hospital, monkeypatch):
    monkeypatch.delenv("GONGJI_TERMINAL_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    message, _out, _err = run_refused("create_institution_terminal", "H001", "h001-till-3")

    assert "--password" in message
    assert not User.objects.filter(username="h001-till-3").exists()


def test_a_prompted_password_is_asked_twice_without_echo(hospital, monkeypatch):
    monkeypatch.delenv("GONGJI_TERMINAL_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    answers = iter([PASSWORD, PASSWORD, PASSWORD, "typo"])
    monkeypatch.setattr(
        "medical.management.commands.create_institution_terminal.getpass", lambda prompt: next(answers)
    )

    run("create_institution_terminal", "H001", "h001-till-4")
    message, _out, _err = run_refused("create_institution_terminal", "H001", "h001-till-5")

    assert authenticate(username="h001-till-4", password=PASSWORD) is not None
    assert "differ" in message
    assert not User.objects.filter(username="h001-till-5").exists()


def test_a_weak_password_is_refused(hospital):
    message, _out, _err = run_refused("create_institution_terminal", "H001", "h001-till-6", password="123")

    assert message
    assert not User.objects.filter(username="h001-till-6").exists()


def test_an_unknown_institution_or_another_kind_of_login_is_refused(hospital):
    message, _out, _err = run_refused("create_institution_terminal", "NOPE", "till-x", password=PASSWORD)
    assert "NOPE" in message
    assert not User.objects.filter(username="till-x").exists()

    insuree_login = user_for(EmployeeFactory().person)
    message, _out, _err = run_refused(
        "create_institution_terminal", "H001", insuree_login.username, password=PASSWORD
    )
    assert "another kind of account" in message
    assert not InstitutionTerminal.objects.exists()
    assert not insuree_login.groups.exists()


def test_a_terminal_of_one_institution_is_not_moved_to_another(hospital, tmp_path):
    run(
        "import_institutions",
        str(write(tmp_path, HEADER + f"H002,二院,hospital,{DALIAN},active\n", "two.csv")),
    )
    run("create_institution_terminal", "H001", "till-1", password=PASSWORD)

    message, _out, _err = run_refused(
        "create_institution_terminal", "H002", "till-1", password="Changed-pass-2026"
    )

    assert "another institution" in message
    assert InstitutionTerminal.objects.get().institution == hospital
    assert authenticate(username="till-1", password=PASSWORD) is not None  # rolled back, password too
