"""Writes to persons and insurances; status and region changes end bindings as the rules say."""

from __future__ import annotations

import datetime

from django.db import transaction

from insurees.id_numbers import normalize_id_number, parse_id_number
from insurees.models import Insuree, InsureeStatus, Person, PremiumRate, RegionPolicy, RegionScope, Scheme
from ledger.models import AccountKind
from ledger.services import account_create, account_get_or_create, transaction_post

EMPLOYEE_CONTRIBUTIONS = "external:employee_contributions"


def personal_account_code(person: Person) -> str:
    return f"personal:{person.id_number}"


def person_create(*, id_number: str, name: str, phone: str = "", email: str = "") -> Person:
    number = normalize_id_number(id_number)
    facts = parse_id_number(number)
    return Person.objects.create(
        id_number=number,
        name=name.strip(),
        phone=phone,
        email=email,
        birth_date=facts.birth_date,
        sex=facts.sex,
    )


def personal_account_credit(*, insuree: Insuree, amount_fen: int, memo: str) -> None:
    """Money entering a personal account from the employee fund (opening balance, adjustments)."""
    if amount_fen == 0:
        return
    source = account_get_or_create(code=EMPLOYEE_CONTRIBUTIONS, kind=AccountKind.EXTERNAL)
    transaction_post(legs=[(source, -amount_fen), (insuree.account, amount_fen)], memo=memo)


@transaction.atomic
def insuree_register(
    *,
    person: Person,
    scheme: Scheme,
    region_code: str,
    status: InsureeStatus = InsureeStatus.ACTIVE,
    since: datetime.date,
    opening_balance_fen: int = 0,
) -> Insuree:
    account = None
    if scheme == Scheme.EMPLOYEE:
        account = account_create(
            code=personal_account_code(person), kind=AccountKind.PERSONAL, name=person.name
        )
    insuree = Insuree.objects.create(
        person=person, scheme=scheme, region_code=region_code, status=status, since=since, account=account
    )
    if opening_balance_fen:
        personal_account_credit(insuree=insuree, amount_fen=opening_balance_fen, memo="opening balance")
    return insuree


@transaction.atomic
def insuree_change(
    *, insuree: Insuree, status: InsureeStatus | None = None, region_code: str | None = None
) -> Insuree:
    """Changes status or pooling region; leaving `active` or moving ends every binding at once."""
    from mutual_aid.models import EndReason
    from mutual_aid.services import binding_end_all_for_insuree

    insuree = Insuree.objects.select_for_update().get(pk=insuree.pk)
    left_active = (
        status is not None and status != InsureeStatus.ACTIVE and insuree.status == InsureeStatus.ACTIVE
    )
    moved = region_code is not None and region_code != insuree.region_code
    if status is not None:
        insuree.status = status
    if region_code is not None:
        insuree.region_code = region_code
    insuree.save(update_fields=["status", "region_code", "updated_at"])

    employee = insuree.scheme == Scheme.EMPLOYEE
    if moved:
        reason = EndReason.AUTHORIZER_MOVED if employee else EndReason.BENEFICIARY_MOVED
        binding_end_all_for_insuree(insuree=insuree, reason=reason)
    elif left_active:
        reason = EndReason.AUTHORIZER_NOT_ACTIVE if employee else EndReason.BENEFICIARY_NOT_ACTIVE
        binding_end_all_for_insuree(insuree=insuree, reason=reason)
    return insuree


def premium_rate_set(
    *,
    region_code: str,
    year: int,
    amount_fen: int,
    collection_start: datetime.date,
    collection_end: datetime.date,
) -> PremiumRate:
    rate, _created = PremiumRate.objects.update_or_create(
        region_code=region_code,
        year=year,
        defaults={
            "amount_fen": amount_fen,
            "collection_start": collection_start,
            "collection_end": collection_end,
        },
    )
    return rate


def region_policy_set(*, region_code: str, scope: RegionScope, exclusive_family: bool) -> RegionPolicy:
    policy, _created = RegionPolicy.objects.update_or_create(
        region_code=region_code, defaults={"scope": scope, "exclusive_family": exclusive_family}
    )
    return policy
