"""A large roster goes in by two lanes at once (insurees/roster/importing.py): the outcome is the
one lane's, row for row; changes to existing insurees are applied after the lanes, by one thread; a
lane that fails fails the import."""

import threading

import pytest
from django.db import transaction
from django.utils import translation

import insurees.roster.importing as roster
from insurees.models import Insuree, InsureeStatus, Person, Scheme
from ledger.models import Account
from mutual_aid.models import BindingStatus, EndReason
from tests.factories import NANJING, BindingFactory
from tests.insurees.test_roster_import import counts, ident, import_rows, row, wrong_check_digit
from tests.payments.invariants import assert_money_invariants


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def lanes_seen(monkeypatch):
    """The threads each lane ran on."""
    seen: list[str] = []
    lane = roster._import_lane

    def recorded(*args, **kwargs):
        seen.append(threading.current_thread().name)
        return lane(*args, **kwargs)

    monkeypatch.setattr(roster, "_import_lane", recorded)
    return seen


def test_a_roster_of_one_sex_still_spreads_over_both_lanes():
    men = [ident(n, sex="M") for n in range(1, 41)]

    lanes = [roster.lane_of(number, 2) for number in men]

    assert 10 <= lanes.count(0) <= 30


def new_roster() -> list[str]:
    lines = [row(ident(n), name=f"职工{n}", balance=f"{n}00.00") for n in range(1, 9)]
    lines += [row(ident(n), name=f"居民{n}", scheme="resident") for n in range(20, 26)]
    lines.append(row(ident(3), name="职工3", scheme="resident"))  # one person in both schemes
    lines.append(row(wrong_check_digit(ident(99)), name="坏号"))  # a bad row, reported with its line
    return lines


def test_a_new_roster_in_two_lanes_comes_out_as_in_one(transactional_db, lanes_seen):
    report = import_rows(*new_roster(), chunk_size=3)

    assert sorted(lanes_seen) == ["roster-0", "roster-1"]
    assert (report.created, report.updated, report.unchanged) == (15, 0, 0)
    assert [bad.line for bad in report.bad] == [17]
    # One opening transaction per chunk that opened funded accounts: the fund's entry, then theirs.
    assert counts() == {"persons": 14, "insurees": 15, "accounts": 9, "transactions": 4, "entries": 12}
    for n in range(1, 9):
        account = Insuree.objects.get(person__id_number=ident(n), scheme=Scheme.EMPLOYEE).account
        assert account.balance_fen == n * 100 * 100
    assert Person.objects.get(id_number=ident(3)).insurances.count() == 2
    assert_money_invariants()

    again = import_rows(*new_roster(), chunk_size=3)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 15)
    assert counts()["transactions"] == 4


def test_changes_after_the_lanes_end_bindings_and_adjust_balances_as_one_lane_does(
    transactional_db, lanes_seen
):
    import_rows(*new_roster(), chunk_size=3)
    lanes_seen.clear()
    mover = Insuree.objects.get(person__id_number=ident(1), scheme=Scheme.EMPLOYEE)
    binding = BindingFactory(authorizer=mover)
    changed = new_roster()
    changed[0] = row(ident(1), name="职工1", region=NANJING, balance="100.00")  # moves away
    changed[1] = row(ident(2), name="职工2", balance="250.00")  # the fund put in more
    changed[8] = row(ident(20), name="居民20", scheme="resident", status="suspended")

    report = import_rows(*changed, chunk_size=3)

    assert sorted(lanes_seen) == ["roster-0", "roster-1"]
    assert (report.created, report.updated, report.unchanged) == (0, 3, 12)
    binding.refresh_from_db()
    assert (binding.status, binding.end_reason) == (BindingStatus.ENDED, EndReason.AUTHORIZER_MOVED)
    assert Insuree.objects.get(pk=mover.pk).region_code == NANJING
    assert Account.objects.get(code=f"personal:{ident(2)}").balance_fen == 25_000
    resident = Insuree.objects.get(person__id_number=ident(20), scheme=Scheme.RESIDENT)
    assert resident.status == InsureeStatus.SUSPENDED
    assert_money_invariants()


@pytest.fixture
def fail_lane_one(monkeypatch):
    """Makes every chunk of lane 1 fail from then on, as if its connection had gone."""
    chunk = roster._import_chunk

    def fail_in_lane_one(rows, **kwargs):
        if threading.current_thread().name == "roster-1":
            raise RuntimeError("the database went away")
        return chunk(rows, **kwargs)

    return lambda: monkeypatch.setattr(roster, "_import_chunk", fail_in_lane_one)


def test_a_lane_that_fails_fails_the_import(transactional_db, fail_lane_one, monkeypatch):
    fail_lane_one()
    with pytest.raises(RuntimeError, match="went away"):
        import_rows(*new_roster(), chunk_size=3)

    # The other lane's chunks committed, as each chunk commits on its own; a re-run completes the rest.
    monkeypatch.undo()
    report = import_rows(*new_roster(), chunk_size=3)
    assert report.created + report.unchanged == 15
    assert counts()["insurees"] == 15
    assert_money_invariants()


def test_the_changes_of_a_healthy_lane_are_applied_when_the_other_lane_fails(transactional_db, fail_lane_one):
    import_rows(*new_roster(), chunk_size=3)
    residents = {roster.lane_of(ident(n), 2): n for n in range(20, 26)}
    changed = new_roster()
    for n in residents.values():
        changed[changed.index(row(ident(n), name=f"居民{n}", scheme="resident"))] = row(
            ident(n), name=f"居民{n}", scheme="resident", status="suspended"
        )
    fail_lane_one()

    with pytest.raises(RuntimeError, match="went away"):
        import_rows(*changed, chunk_size=3)

    status = {
        lane: Insuree.objects.get(person__id_number=ident(n), scheme=Scheme.RESIDENT).status
        for lane, n in residents.items()
    }
    assert status == {0: InsureeStatus.SUSPENDED, 1: InsureeStatus.ACTIVE}


def test_a_small_roster_or_one_inside_a_transaction_takes_one_lane(transactional_db, lanes_seen):
    import_rows(row(ident(1), balance="1.00"), row(ident(2)), chunk_size=3)
    with transaction.atomic():  # a dry run: the lanes' own connections could not see its rows
        import_rows(*new_roster(), chunk_size=3)

    assert lanes_seen == ["MainThread", "MainThread"]


def test_two_lanes_that_meet_at_the_funds_lock_take_it_in_turn_without_deadlock(
    transactional_db, monkeypatch
):
    """Each lane's ledger posting locks the fund's account (FOR NO KEY UPDATE) once every other row of
    its chunk is written, and checks its foreign keys (KEY SHARE on the same account) after. Both
    lanes are held just before that lock together: the second waits for the first's commit, and
    neither waits for the other in a cycle."""
    import ledger.services as ledger

    both_ready = threading.Barrier(2, timeout=10)
    lock = ledger.accounts_for_update

    def meet_then_lock(account_ids):
        if threading.current_thread().name.startswith("roster-"):
            both_ready.wait()
        return lock(account_ids)

    monkeypatch.setattr(ledger, "accounts_for_update", meet_then_lock)
    numbers = [ident(n) for n in range(1, 40)]
    by_lane = [[n for n in numbers if roster.lane_of(n, 2) == lane][:2] for lane in (0, 1)]
    lines = [row(number, name=f"职工{i}", balance="10.00") for i, number in enumerate(sum(by_lane, []))]

    report = import_rows(*lines, chunk_size=2)  # one chunk in each lane

    assert (report.created, report.bad) == (4, [])
    assert_money_invariants()
