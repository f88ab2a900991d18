"""Writes to persons and insurances; status and region changes end bindings as the rules say."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from common.id_numbers import normalize_id_number, parse_id_number
from insurees.models import (
    Insuree,
    InsureeStatus,
    Person,
    PremiumKind,
    PremiumRate,
    RegionPolicy,
    RegionScope,
    Scheme,
)
from insurees.regions import validate_policy_region_code, validate_pooling_region_code
from ledger.models import Account, AccountKind
from ledger.selectors import accounts_received_from
from ledger.services import account_create, account_get_or_create, accounts_lock, transaction_post

EMPLOYEE_CONTRIBUTIONS = "external:employee_contributions"
OPENING_BALANCE_MEMO = "opening balance"
ROSTER_ADJUSTMENT_MEMO = "roster balance adjustment"


def personal_account_code(person: Person) -> str:
    return f"personal:{person.id_number}"


def employee_contributions_account() -> Account:
    """The external source every personal account's money comes from."""
    return account_get_or_create(
        code=EMPLOYEE_CONTRIBUTIONS, kind=AccountKind.EXTERNAL, name="Employee fund contributions"
    )


def _invalid(field: str, error: ValidationError) -> ApplicationError:
    code = "invalid_id_number" if field == "id_number" else "invalid_input"
    return ApplicationError(code, " ".join(error.messages), field=field)


def _check_pooling_region(region_code: str) -> None:
    try:
        validate_pooling_region_code(region_code)
    except ValidationError as error:
        raise _invalid("region_code", error) from None


def insurees_lock(*, insuree_ids: list[int]) -> dict[int, Insuree]:
    """Locks the insurees in primary-key order (both sides of a binding: opposite requests never
    deadlock) and returns them as they are once the locks are granted."""
    locked = Insuree.objects.filter(pk__in=insuree_ids).order_by("pk").select_for_update(of=("self",))
    return {insuree.pk: insuree for insuree in locked}


def person_create(*, id_number: str, name: str, phone: str = "", email: str = "") -> Person:
    """A person as the ID number says: birth date and sex come from the number, never from input."""
    number = normalize_id_number(id_number)
    try:
        facts = parse_id_number(number)
    except ValidationError as error:
        raise _invalid("id_number", error) from None
    name = name.strip()
    if not name:
        raise ApplicationError("invalid_input", _("A name is required."), field="name")
    return Person.objects.create(
        id_number=number,
        name=name,
        phone=phone.strip(),
        email=email.strip(),
        birth_date=facts.birth_date,
        sex=facts.sex,
    )


def person_user_link(*, person: Person, user: User, phone: str = "") -> Person:
    """Gives the person (locked by the caller) his login, and the phone he registered with if any."""
    person.user = user
    if phone:
        person.phone = phone
    person.save(update_fields=["user", "phone"])
    return person


def personal_account_credit(*, insuree: Insuree, amount_fen: int, memo: str) -> None:
    """Money entering (or, negative, leaving) a personal account from the employee fund."""
    if amount_fen == 0:
        return
    source = employee_contributions_account()
    transaction_post(legs=[(source, -amount_fen), (_personal_account(insuree), amount_fen)], memo=memo)


def _personal_account(insuree: Insuree) -> Account:
    account = insuree.account
    if account is None:
        raise _no_personal_account()
    return account


def _personal_account_id(insuree: Insuree) -> int:
    if insuree.account_id is None:
        raise _no_personal_account()
    return insuree.account_id


def _no_personal_account() -> ApplicationError:
    return ApplicationError(
        "wrong_scheme", _("Only an employee-scheme insuree has a personal account."), field="balance"
    )


def personal_accounts_funded(*, account_ids: list[int]) -> dict[int, int]:
    """What each personal account has received from the employee fund in all (opening balance and
    roster adjustments): the figure a roster's balance is compared with."""
    return accounts_received_from(account_ids=account_ids, source=employee_contributions_account())


@transaction.atomic
def personal_account_set_funded(*, insuree: Insuree, balance_fen: int, memo: str) -> int:
    """Brings what the account has received from the employee fund to the roster's balance, with one
    adjusting transaction of the difference.

    The roster's balance is the fund's side of the account; premiums paid here since are not in it
    and stay paid. So importing the same file again posts nothing, even after payments, and a
    roster that raises a balance by 200.00 credits exactly 200.00. A roster that would take back
    more than the account still holds is refused. Returns the difference posted.
    """
    if balance_fen < 0:
        raise ApplicationError("invalid_input", _("A balance is never below zero."), field="balance")
    source = employee_contributions_account()
    # Locked first (the source then the account, in the ledger's primary-key order), read after.
    account_id = _personal_account_id(insuree)
    locked = accounts_lock(account_ids=[source.pk, account_id])
    account = locked[account_id]
    delta = balance_fen - personal_accounts_funded(account_ids=[account.pk]).get(account.pk, 0)
    if account.balance_fen + delta < 0:
        raise ApplicationError(
            "invalid_input",
            _(
                "The roster lowers this balance by more than the account has left after the premiums paid "
                "from it and what its allowances hold."
            ),
            field="balance",
        )
    if delta:
        transaction_post(
            legs=[(locked[source.pk], -delta), (account, delta)], memo=memo, locked_by_caller=True
        )
    return delta


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
    """Registers a person in a scheme; an employee gets his personal account, funded through the ledger."""
    if scheme not in Scheme.values:
        raise ApplicationError("invalid_input", _("Unknown scheme."), field="scheme")
    if status not in InsureeStatus.values:
        raise ApplicationError("invalid_input", _("Unknown insurance status."), field="status")
    _check_pooling_region(region_code)
    if opening_balance_fen < 0 or (opening_balance_fen and scheme != Scheme.EMPLOYEE):
        raise ApplicationError(
            "invalid_input",
            _("Only an employee-scheme personal account opens with a balance, and never below zero."),
            field="balance",
        )
    account = None
    if scheme == Scheme.EMPLOYEE:
        account = account_create(
            code=personal_account_code(person), kind=AccountKind.PERSONAL, name=person.name
        )
    insuree = Insuree.objects.create(
        person=person, scheme=scheme, region_code=region_code, status=status, since=since, account=account
    )
    if opening_balance_fen:
        personal_account_credit(insuree=insuree, amount_fen=opening_balance_fen, memo=OPENING_BALANCE_MEMO)
    return insuree


@transaction.atomic
def insuree_change(
    *, insuree: Insuree, status: InsureeStatus | None = None, region_code: str | None = None
) -> Insuree:
    """Changes status or pooling region; leaving `active` or moving ends every binding at once.

    The employee side ends as authorizer (AUTHORIZER_*), the resident side as beneficiary
    (BENEFICIARY_*). The row is locked first and judged as it is now, not as the caller last read it.
    """
    from mutual_aid.models import EndReason
    from mutual_aid.services import binding_end_all_for_insuree

    if status is not None and status not in InsureeStatus.values:
        raise ApplicationError("invalid_input", _("Unknown insurance status."), field="status")
    if region_code is not None:
        _check_pooling_region(region_code)

    insuree = (
        Insuree.objects.select_for_update(no_key=True, of=("self",))
        .select_related("person")
        .get(pk=insuree.pk)
    )
    left_active = (
        status is not None and status != InsureeStatus.ACTIVE and insuree.status == InsureeStatus.ACTIVE
    )
    moved = region_code is not None and region_code != insuree.region_code
    if (status is None or status == insuree.status) and not moved:
        return insuree
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
    kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL,
) -> PremiumRate:
    """Sets a region's premium of a kind for a year (upsert by region, year and kind)."""
    _check_pooling_region(region_code)
    if amount_fen <= 0:
        raise ApplicationError("invalid_input", _("A premium is more than zero."), field="amount")
    if collection_end < collection_start:
        raise ApplicationError(
            "invalid_input", _("The collection period ends before it starts."), field="collection_end"
        )
    if kind not in PremiumKind.values:
        raise ApplicationError(
            "invalid_input", _("Choose a premium kind: resident_medical or long_term_care."), field="kind"
        )
    rate, _created = PremiumRate.objects.update_or_create(
        region_code=region_code,
        year=year,
        kind=kind,
        defaults={
            "amount_fen": amount_fen,
            "collection_start": collection_start,
            "collection_end": collection_end,
        },
    )
    return rate


def region_policy_set(*, region_code: str, scope: RegionScope, exclusive_family: bool) -> RegionPolicy:
    """Sets how far a region's bindings reach; a province code (320000) covers all its cities."""
    try:
        validate_policy_region_code(region_code)
    except ValidationError as error:
        raise _invalid("region_code", error) from None
    if scope not in RegionScope.values:
        raise ApplicationError("invalid_input", _("The scope is city or province."), field="scope")
    policy, _created = RegionPolicy.objects.update_or_create(
        region_code=region_code, defaults={"scope": scope, "exclusive_family": exclusive_family}
    )
    return policy
