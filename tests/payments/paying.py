"""The tests' shorthand for paying: insurees in, the payment services' persons and ID numbers out."""

from __future__ import annotations

from collections.abc import Sequence

from insurees.models import Insuree
from ledger.models import Account, AccountKind
from ledger.services import account_get_or_create
from payments.models import Payment, PaymentChannel
from payments.services import Actor, payment_create_for_self, payments_create_for_relatives


def payments_create_for_family(
    *,
    authorizer: Insuree,
    beneficiaries: Sequence[Insuree],
    year: int,
    actor: Actor,
    channel: PaymentChannel = PaymentChannel.AUTHORIZER,
) -> list[Payment]:
    return payments_create_for_relatives(
        authorizer=authorizer.person,
        relative_id_numbers=[beneficiary.person.id_number for beneficiary in beneficiaries],
        year=year,
        actor=actor,
        channel=channel,
    )


def payment_create_for_relative(
    *,
    authorizer: Insuree,
    beneficiary: Insuree,
    year: int,
    actor: Actor,
    channel: PaymentChannel = PaymentChannel.AUTHORIZER,
) -> Payment:
    [payment] = payments_create_for_family(
        authorizer=authorizer, beneficiaries=[beneficiary], year=year, actor=actor, channel=channel
    )
    return payment


def payment_create_self(
    *, beneficiary: Insuree, year: int, actor: Actor, channel: PaymentChannel = PaymentChannel.SELF
) -> Payment:
    return payment_create_for_self(beneficiary=beneficiary.person, year=year, actor=actor, channel=channel)


def fund_account_ensure(*, region_code: str) -> Account:
    """The region's resident premium fund account, as its first payment opens it."""
    return account_get_or_create(
        code=f"fund:resident_premium:{region_code}",
        kind=AccountKind.FUND,
        name=f"Resident premium fund {region_code}",
    )
