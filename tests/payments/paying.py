"""The tests' shorthand for paying: insurees in, the payment services' persons and ID numbers out."""

from __future__ import annotations

from collections.abc import Sequence

from insurees.models import Insuree, PremiumKind
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
    kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL,
) -> list[Payment]:
    return payments_create_for_relatives(
        authorizer=authorizer.person,
        relative_id_numbers=[beneficiary.person.id_number for beneficiary in beneficiaries],
        year=year,
        actor=actor,
        channel=channel,
        kind=kind,
    )


def payment_create_for_relative(
    *,
    authorizer: Insuree,
    beneficiary: Insuree,
    year: int,
    actor: Actor,
    channel: PaymentChannel = PaymentChannel.AUTHORIZER,
    kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL,
) -> Payment:
    [payment] = payments_create_for_family(
        authorizer=authorizer, beneficiaries=[beneficiary], year=year, actor=actor, channel=channel, kind=kind
    )
    return payment


def payment_create_self(
    *,
    beneficiary: Insuree,
    year: int,
    actor: Actor,
    channel: PaymentChannel = PaymentChannel.SELF,
    kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL,
) -> Payment:
    return payment_create_for_self(
        beneficiary=beneficiary.person, year=year, actor=actor, channel=channel, kind=kind
    )


def fund_account_ensure(*, region_code: str, kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL) -> Account:
    """The region's premium fund account of the kind, as its first payment opens it (pay.sql)."""
    if kind == PremiumKind.LONG_TERM_CARE:
        code, name = f"fund:ltc_premium:{region_code}", f"Long-term-care premium fund {region_code}"
    else:
        code, name = f"fund:resident_premium:{region_code}", f"Resident premium fund {region_code}"
    return account_get_or_create(code=code, kind=AccountKind.FUND, name=name)
