"""Settlements racing each other, their codes, reversals, refunds, the authorizer's changes, a binding's
end by the roster import, and a lost connection, on the real PostgreSQL: each thread has its own
connection (closed when it is done); the database's locks and checks decide, and the books balance.

One person has one working code at a time (a new one stops the earlier), so terminals race on one
allowance either with the same code (a code settles once), or each with a code of its own issued
meanwhile (most are stopped by the next one before they are used), or against what else moves the
allowance: the authorizer lowering or releasing it, the binding ending, refunds and reversals of its
earlier settlements."""

import csv
import io
import threading
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Sum

from common.errors import ApplicationError
from insurees.roster import INSUREE_COLUMNS, roster_file_import
from ledger.models import Transaction
from medical.models import Allowance, AllowanceChange, AllowanceStatus, Settlement, SettlementStatus, Voucher
from medical.services import Actor, allowance_release, allowance_set, voucher_issue
from mutual_aid.models import Binding, BindingStatus
from tests.db_proxy import SETTLE_CALL, database_through_proxy
from tests.factories import DALIAN, BindingFactory, EmployeeFactory, ResidentFactory, user_for
from tests.medical.settling import (
    allowance_for,
    balance,
    clinic_make,
    code_for,
    terminal_user,
    transactions_with,
)
from tests.payments.invariants import assert_money_invariants
from tests.payments.test_concurrency import run_concurrently

# Other sessions share the server (PostgreSQL allows 100 clients): at most this many threads at once.
THREADS = 20


def _outcomes(outcomes):
    settled = [o for o in outcomes if isinstance(o, int)]
    refused = Counter(o for o in outcomes if isinstance(o, str))
    unexpected = [o for o in outcomes if not isinstance(o, int | str)]
    assert unexpected == [], unexpected  # no deadlock, no database error
    return settled, refused


def _paid(allowance) -> int:
    return (
        Settlement.objects.filter(allowance=allowance, status=SettlementStatus.SETTLED).aggregate(
            total=Sum("paid_fen")
        )["total"]
        or 0
    )


def test_terminals_racing_with_one_code_settle_it_once(transactional_db):
    family = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000))
    allowance = allowance_for(family, 50_000)
    clinics = [clinic_make("H001", DALIAN), clinic_make("H002", DALIAN)]
    tills = [(clinic, terminal_user(clinic.institution)) for clinic in clinics for _ in range(2)]
    code = code_for(family.beneficiary)
    calls = [
        (lambda i=i: tills[i % 4][0].settle(code, 10_000, settlement_id=f"RACE-{i}", key=f"k-{i}"))
        for i in range(THREADS)
    ]

    settled, refused = _outcomes(run_concurrently(calls, max_connections=THREADS))

    assert len(settled) == 1
    assert refused == {"voucher_invalid": THREADS - 1}
    allowance.refresh_from_db()
    assert allowance.spent_fen == 10_000
    assert transactions_with("settlement") == 1
    assert sum(balance(c.institution.account_id) for c in clinics) == 10_000
    assert_money_invariants()


def test_fifty_bills_each_with_a_fresh_code_never_spend_more_than_the_allowance(transactional_db):
    """50 terminals each ask the father for a new code and settle ¥200 with it at once (every other one
    allowing a partial payment): ¥10,000 asked of a ¥500 allowance. A code stopped by the next one
    before its use is voucher_invalid; what settles adds up to at most ¥500; a refused bill moved
    nothing."""
    family = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000))
    allowance = allowance_for(family, 50_000)
    clinic = clinic_make("H001", DALIAN)

    def bill(i):
        code = voucher_issue(person=family.beneficiary.person).code
        return clinic.settle(code, 20_000, settlement_id=f"B{i}", allow_partial=bool(i % 2))

    settled, refused = _outcomes(
        run_concurrently([(lambda i=i: bill(i)) for i in range(50)], max_connections=THREADS)
    )

    assert set(refused) <= {"voucher_invalid", "insufficient_allowance", "no_allowance"}, refused
    assert len(settled) >= 1
    allowance.refresh_from_db()
    paid = [s.paid_fen for s in Settlement.objects.filter(pk__in=settled)]
    assert allowance.spent_fen == sum(paid) == _paid(allowance) <= 50_000
    assert transactions_with("settlement") == len(settled)  # a refused bill moved nothing
    assert balance(allowance.hold_account_id) == 50_000 - allowance.spent_fen
    assert_money_invariants()


def test_bills_of_many_relatives_at_one_hospital_all_settle(transactional_db):
    """40 relatives of one authorizer at one hospital at once: its payable account is every
    settlement's, locked in the one order; none waits in a circle."""
    authorizer = EmployeeFactory(balance_fen=400_000)
    bindings = [BindingFactory(authorizer=authorizer, beneficiary=ResidentFactory()) for _ in range(40)]
    for binding in bindings:
        allowance_for(binding, 10_000)
    codes = [code_for(binding.beneficiary) for binding in bindings]
    clinic = clinic_make("H001", DALIAN)

    settled, refused = _outcomes(
        run_concurrently(
            [(lambda code=code: clinic.settle(code, 2_500)) for code in codes], max_connections=THREADS
        )
    )

    assert (len(settled), refused) == (40, Counter())
    assert balance(clinic.institution.account_id) == 40 * 2_500
    assert_money_invariants()


def test_many_codes_asked_at_once_leave_one_that_works(transactional_db):
    family = BindingFactory()
    allowance_for(family, 10_000)

    def ask():
        try:
            return voucher_issue(person=family.beneficiary.person).code
        finally:
            connection.close()

    threads_codes: list = []
    start = threading.Barrier(10)

    def run():
        start.wait()
        threads_codes.append(ask())

    threads = [threading.Thread(target=run) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(threads_codes) == 10
    clinic = clinic_make("H001", DALIAN)
    works = []
    for i, code in enumerate(threads_codes):
        try:
            works.append(clinic.settle(code, 100, settlement_id=f"C{i}"))
        except ApplicationError as refused:
            assert refused.code == "voucher_invalid"  # noqa: PT017 - each of the others
    assert len(works) == 1
    assert Voucher.objects.filter(used_at__isnull=True).count() == 9
    assert_money_invariants()


def test_refunds_and_reversals_racing_a_settlement_on_one_allowance_add_up(transactional_db):
    family = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000))
    allowance = allowance_for(family, 50_000)
    clinic = clinic_make("H001", DALIAN)
    for i in range(8):
        clinic.settle(code_for(family.beneficiary), 5_000, settlement_id=f"E{i}")  # ¥400 spent, ¥100 left
    code = code_for(family.beneficiary)
    calls = [
        *[(lambda i=i: clinic.refund(f"E{i}", 2_000, refund_id=f"R{i}")) for i in range(4)],
        *[(lambda i=i: clinic.refund(f"E{i}", 3_001, refund_id=f"R{i}-big")) for i in range(4)],  # one fits
        *[(lambda i=i: clinic.reverse(f"E{i}")) for i in range(4, 8)],
        lambda: clinic.settle(code, 20_000, settlement_id="NEW", allow_partial=True),
    ]

    settled, refused = _outcomes(run_concurrently(calls, max_connections=THREADS))

    assert set(refused) <= {"refund_exceeds_settlement"}, refused
    new = Settlement.objects.get(settlement_id="NEW")
    # It paid what was left when it took the allowance's lock: ¥100, plus what the returns before it
    # had put back.
    assert 10_000 <= new.paid_fen <= 20_000
    assert new.paid_fen + new.cash_due_fen == 20_000
    allowance.refresh_from_db()
    assert allowance.spent_fen == _paid(allowance) - sum(
        s.refunded_fen
        for s in Settlement.objects.filter(allowance=allowance, status=SettlementStatus.SETTLED)
    )
    assert_money_invariants()


def _set(binding, amount_fen, key):
    person = binding.authorizer.person
    return allowance_set(
        authorizer=person, binding_id=binding.pk, amount_fen=amount_fen,
        actor=Actor(user=user_for(person), idempotency_key=key),
    )  # fmt: skip


def _release(binding, key):
    person = binding.authorizer.person
    return allowance_release(
        authorizer=person, binding_id=binding.pk, actor=Actor(user=user_for(person), idempotency_key=key)
    )


def _relatives_settling_while(change, rounds=4):
    """One authorizer, four relatives with ¥100 each; each relative's bill of ¥60 at once with
    `change(bindings, round)` (the authorizer's, or the roster's). Returns each round's outcomes."""
    clinic = clinic_make("H001", DALIAN)
    results = []
    for round_ in range(rounds):
        authorizer = EmployeeFactory(balance_fen=100_000)
        bindings = [BindingFactory(authorizer=authorizer, beneficiary=ResidentFactory()) for _ in range(4)]
        allowances = [allowance_for(binding, 10_000) for binding in bindings]
        codes = [code_for(binding.beneficiary) for binding in bindings]
        calls = [
            *[
                (lambda code=code, sid=f"R{round_}-{i}": clinic.settle(code, 6_000, settlement_id=sid))
                for i, code in enumerate(codes)
            ],
            lambda bindings=bindings, round_=round_: change(bindings, round_),
        ]
        outcomes = run_concurrently(calls, max_connections=THREADS)
        unexpected = [o for o in outcomes if not isinstance(o, int | str)]
        assert unexpected == [], unexpected
        results.append((authorizer, bindings, allowances, outcomes))
        assert_money_invariants()
    return results


def _released_after_what_settled(allowance):
    """A released allowance kept exactly what settled before the release committed: its release's
    amount after is what its settlements paid, so none settled after."""
    allowance.refresh_from_db()
    assert allowance.status == AllowanceStatus.RELEASED
    release = AllowanceChange.objects.filter(allowance=allowance).order_by("pk").last()
    assert release.amount_after_fen == _paid(allowance) == allowance.spent_fen
    assert balance(allowance.hold_account_id) == 0


def test_the_authorizer_releasing_while_terminals_settle_keeps_only_what_settled_before(transactional_db):
    def release_first(bindings, round_):
        return _release(bindings[0], f"release-{round_}")

    for authorizer, _bindings, allowances, outcomes in _relatives_settling_while(release_first):
        first = outcomes[0]
        assert first == "no_allowance" or isinstance(first, int), outcomes
        _released_after_what_settled(allowances[0])
        assert all(isinstance(o, int) for o in outcomes[1:4]), outcomes  # the others' allowances stand
        spent = sum(_paid(a) for a in allowances)
        assert balance(authorizer.account_id) == 100_000 - 4 * 10_000 + 10_000 - _paid(allowances[0])
        assert spent == 6_000 * sum(isinstance(o, int) for o in outcomes[:4])


def test_the_authorizer_lowering_while_terminals_settle_never_goes_below_what_is_spent(transactional_db):
    def lower_first(bindings, round_):
        return _set(bindings[0], 5_000 if round_ % 2 else 7_000, f"lower-{round_}")

    for _authorizer, _bindings, allowances, outcomes in _relatives_settling_while(lower_first):
        settle, lowered = outcomes[0], outcomes[4]
        allowance = allowances[0]
        allowance.refresh_from_db()
        # Either the lowering came first (¥70: the bill of ¥60 fits; ¥50: it does not), or the bill did
        # (¥60 spent: lowering to ¥50 is below it, to ¥70 fine).
        assert {
            settle if isinstance(settle, str) else "settled",
            lowered if isinstance(lowered, str) else "set",
        } in (
            {"settled", "set"},
            {"insufficient_allowance", "set"},
            {"settled", "allowance_below_spent"},
        ), outcomes
        assert allowance.spent_fen == _paid(allowance) <= allowance.amount_fen
        assert balance(allowance.hold_account_id) == allowance.amount_fen - allowance.spent_fen


def _roster_row(insuree, status):
    file = io.StringIO()
    writer = csv.writer(file)
    writer.writerow(INSUREE_COLUMNS)
    person = insuree.person
    writer.writerow(
        [person.id_number, person.name, insuree.scheme, insuree.region_code, status, "", person.phone]
    )
    file.seek(0)
    return file


def test_the_roster_ending_a_binding_while_its_relative_settles_releases_what_is_unspent(transactional_db):
    def roster_ends_first(bindings, round_):
        report = roster_file_import(file=_roster_row(bindings[0].beneficiary, "terminated"))
        assert report.bad == []
        return Binding.objects.get(pk=bindings[0].pk)

    for authorizer, bindings, allowances, outcomes in _relatives_settling_while(roster_ends_first):
        assert Binding.objects.get(pk=bindings[0].pk).status == BindingStatus.ENDED
        assert outcomes[0] == "no_allowance" or isinstance(outcomes[0], int), outcomes
        _released_after_what_settled(allowances[0])
        assert not Allowance.objects.filter(binding=bindings[0], status=AllowanceStatus.ACTIVE).exists()
        assert balance(authorizer.account_id) == 100_000 - 4 * 10_000 + 10_000 - _paid(allowances[0])


# --- a lost connection ----------------------------------------------------------------------------------


@pytest.fixture
def fast_recheck(monkeypatch):
    monkeypatch.setattr("common.outcome.OUTCOME_RECHECK_PAUSES", (0.05, 0.05))


def test_a_settlement_whose_answer_is_lost_is_asked_again_and_settles_once(transactional_db):
    family = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000))
    allowance = allowance_for(family, 50_000)
    clinic = clinic_make("H001", DALIAN)
    code = code_for(family.beneficiary)

    with database_through_proxy() as proxy:
        proxy.drop_after_commit_of(SETTLE_CALL)
        settlement = clinic.settle(code, 12_000, settlement_id="LOST-1", key="lost-1")
        assert proxy.dropped.is_set()  # the server committed, and its answer never arrived

    [only] = Settlement.objects.all()
    assert settlement.pk == only.pk
    assert transactions_with("settlement") == 1
    allowance.refresh_from_db()
    assert allowance.spent_fen == 12_000
    assert_money_invariants()


def test_when_the_database_stays_away_the_outcome_is_unknown_and_a_retry_settles_once(
    transactional_db, fast_recheck
):
    family = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000))
    allowance_for(family, 50_000)
    clinic = clinic_make("H001", DALIAN)
    code = code_for(family.beneficiary)

    with database_through_proxy() as proxy:
        proxy.stay_away = True
        proxy.drop_after_commit_of(SETTLE_CALL)
        with pytest.raises(ApplicationError) as unknown:
            clinic.settle(code, 12_000, settlement_id="LOST-2", key="lost-2")
        assert proxy.dropped.is_set()

    assert unknown.value.code == "service_unavailable"
    retry = clinic.settle(code, 12_000, settlement_id="LOST-2", key="lost-2")
    retry_other_key = clinic.settle(code, 12_000, settlement_id="LOST-2", key="lost-2b")
    assert retry.pk == retry_other_key.pk == Settlement.objects.get().pk
    assert Transaction.objects.filter(memo="settlement").count() == 1
    assert_money_invariants()
