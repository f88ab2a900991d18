"""E-vouchers (API.md "Allowances", POST vouchers/): a one-time code of one beneficiary, valid about a
minute, the newest one alone; only its SHA-256 is kept. An unknown, forged, malformed, expired, used or
superseded code is voucher_invalid, and a code used once settles nothing again."""

import datetime
import hashlib

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from medical.models import Settlement, Voucher
from medical.services import voucher_issue
from medical.services.vouchers import VOUCHER_DIGITS, VOUCHER_SECONDS, voucher_code_sha256
from tests.factories import DALIAN, BindingFactory, EmployeeFactory, ResidentFactory
from tests.medical.settling import (
    Clinic,
    allowance_for,
    balance,
    clinic_make,
    code_for,
    refused,
    remaining,
)


@pytest.fixture
def allowance(family):
    return allowance_for(family, 50_000)


@pytest.fixture
def clinic(db) -> Clinic:
    return clinic_make("H001", DALIAN)


def test_a_code_is_twenty_digits_valid_a_minute_and_kept_only_as_its_hash(family, allowance):
    before = timezone.now()

    issued = voucher_issue(person=family.beneficiary.person)

    assert len(issued.code) == VOUCHER_DIGITS
    assert issued.code.isdigit()
    voucher = Voucher.objects.get()
    assert voucher.code_sha256 == hashlib.sha256(issued.code.encode()).hexdigest()
    assert not Voucher.objects.filter(code_sha256__contains=issued.code).exists()
    assert voucher.beneficiary_id == family.beneficiary_id
    assert issued.expires_at == voucher.expires_at
    assert voucher.expires_at - voucher.created_at == datetime.timedelta(seconds=VOUCHER_SECONDS)
    assert before <= voucher.created_at <= timezone.now()
    assert (voucher.used_at, voucher.used_by_id, voucher.used_for) == (None, None, "")


def test_codes_differ_each_time(family, allowance):
    codes = {code_for(family.beneficiary) for _ in range(20)}

    assert len(codes) == 20


@pytest.mark.parametrize("who", ["stranger", "authorizer"])
def test_only_a_beneficiary_with_an_allowance_gets_a_code(family, allowance, snapshot, who):
    person = EmployeeFactory().person if who == "stranger" else family.authorizer.person
    before = snapshot()

    refused("no_allowance", lambda: voucher_issue(person=person))

    before.assert_unchanged(codes_too=True)


def test_no_code_for_an_allowance_spent_to_the_end_or_released(family, allowance, clinic):
    clinic.settle(code_for(family.beneficiary), 50_000)
    refused("no_allowance", lambda: code_for(family.beneficiary))

    other = BindingFactory(beneficiary=ResidentFactory())
    allowance_for(other, 10_000)
    from medical.services import Actor, allowance_release
    from tests.factories import user_for

    person = other.authorizer.person
    allowance_release(authorizer=person, binding_id=other.pk, actor=Actor(user=user_for(person)))
    refused("no_allowance", lambda: code_for(other.beneficiary))


def test_a_new_code_stops_the_earlier_one(family, allowance, clinic, snapshot):
    first = code_for(family.beneficiary)
    second = code_for(family.beneficiary)
    before = snapshot()

    refused("voucher_invalid", lambda: clinic.settle(first, 1_000))

    before.assert_unchanged(codes_too=True)
    assert clinic.settle(second, 1_000).paid_fen == 1_000
    assert Voucher.objects.filter(used_at__isnull=True, expires_at__gt=timezone.now()).count() == 0


def test_a_code_works_once(family, allowance, clinic, snapshot):
    code = code_for(family.beneficiary)
    clinic.settle(code, 1_000, settlement_id="S-1")
    other = clinic_make("H002", DALIAN)
    before = snapshot()

    refused("voucher_invalid", lambda: clinic.settle(code, 1_000, settlement_id="S-2"))
    refused("voucher_invalid", lambda: other.settle(code, 1_000, settlement_id="S-1"))

    before.assert_unchanged(codes_too=True)
    assert remaining(allowance) == 49_000


def test_an_expired_code_is_invalid_and_moves_nothing(family, allowance, clinic, snapshot):
    code = code_for(family.beneficiary)
    past = timezone.now() - datetime.timedelta(seconds=VOUCHER_SECONDS + 1)
    Voucher.objects.filter(code_sha256=voucher_code_sha256(code)).update(
        created_at=past, expires_at=past + datetime.timedelta(seconds=VOUCHER_SECONDS)
    )
    before = snapshot()

    refused("voucher_invalid", lambda: clinic.settle(code, 1_000))

    before.assert_unchanged(codes_too=True)
    assert Voucher.objects.get().used_at is None


def _settle_at(clinic: Clinic, code: str, now: datetime.datetime, settlement_id: str):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM medical_settle(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                clinic.user.pk, f"key-{settlement_id}", "5000ms", clinic.institution.pk,
                voucher_code_sha256(code), settlement_id, 1_000, "drugs", False, now.date(), now,
            ],
        )  # fmt: skip
        return cursor.fetchone()


def test_a_code_works_until_the_instant_it_expires(family, allowance, clinic):
    """The SQL's own clock (`p_now`): valid strictly before expires_at, not at it."""
    issued_at = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM medical_voucher_issue(%s, %s, %s, %s)",
            [family.beneficiary.person_id, voucher_code_sha256("1" * 20), issued_at, VOUCHER_SECONDS],
        )
        [(_id, expires_at)] = cursor.fetchall()
    assert expires_at == issued_at + datetime.timedelta(seconds=VOUCHER_SECONDS)

    with pytest.raises(DatabaseError, match="voucher_invalid"), transaction.atomic():
        _settle_at(clinic, "1" * 20, expires_at, "AT-EXPIRY")
    _replayed, settlement_pk, refusal, _detail, _notices = _settle_at(
        clinic, "1" * 20, expires_at - datetime.timedelta(microseconds=1), "JUST-BEFORE"
    )

    assert refusal is None
    assert Settlement.objects.get().pk == settlement_pk


@pytest.mark.parametrize(
    "code",
    [
        "0" * VOUCHER_DIGITS,  # well formed, never issued (forged)
        "1234",  # too short
        "1" * (VOUCHER_DIGITS + 1),  # too long
        "12345abcde12345abcde",  # not digits
        "１" * VOUCHER_DIGITS,  # full-width digits: not ASCII
        12345678901234567890,  # not text
    ],
)
def test_a_forged_or_malformed_code_is_invalid(family, allowance, clinic, snapshot, code):
    live = code_for(family.beneficiary)
    before = snapshot()

    refused("voucher_invalid", lambda: clinic.settle(code, 1_000))

    before.assert_unchanged(codes_too=True)
    assert clinic.settle(live, 1_000).paid_fen == 1_000  # the person's real code still works


@pytest.mark.parametrize("code", [None, "", "  "])
def test_no_code_at_all_is_invalid_input_and_moves_nothing(family, allowance, clinic, snapshot, code):
    before = snapshot()

    error = refused("invalid_input", lambda: clinic.settle(code, 1_000))

    assert error.field == "voucher_code"
    before.assert_unchanged(codes_too=True)


def test_the_hash_of_a_real_code_is_not_a_code(family, allowance, clinic):
    code = code_for(family.beneficiary)

    refused("voucher_invalid", lambda: clinic.settle(voucher_code_sha256(code), 1_000))


def test_a_code_pays_from_its_own_beneficiarys_allowance_only(family, allowance, clinic):
    """The terminal names no one: the code does. Another person's bigger allowance is never touched."""
    neighbour = BindingFactory(authorizer=EmployeeFactory(balance_fen=200_000), beneficiary=ResidentFactory())
    theirs = allowance_for(neighbour, 150_000)
    their_code = code_for(neighbour.beneficiary)
    mine = code_for(family.beneficiary)

    settlement = clinic.settle(mine, 2_000)

    assert (settlement.allowance_id, settlement.beneficiary_id) == (allowance.pk, family.beneficiary_id)
    assert remaining(theirs) == 150_000
    assert clinic.settle(their_code, 3_000).allowance_id == theirs.pk  # each person's code is his own
    assert balance(family.authorizer.account_id) == 50_000
