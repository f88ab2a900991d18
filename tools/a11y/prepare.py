"""The audit's data beside seed_demo's: a settled payment and a refunded one, so that the payment
pages, the receipt check and the notices have something to show; a settlement of today at the demo
pharmacy, for the cashier's day, its slip and reversal page and both sides' statements. Idempotent
(fixed idempotency keys, a refund only once, one settlement a day), so the audit can run again on the
same database.

    DJANGO_SETTINGS_MODULE=config.settings.local python tools/a11y/prepare.py   -> JSON on stdout
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.utils import timezone  # noqa: E402

from common.errors import ApplicationError  # noqa: E402
from insurees.selectors import person_get_by_id_number  # noqa: E402
from medical.services import Actor as AllowanceActor  # noqa: E402
from medical.services import Terminal, allowance_set, settlement_create, voucher_issue  # noqa: E402
from medical.settlement_selectors import settlement_get_for_institution  # noqa: E402
from mutual_aid.models import BindingStatus  # noqa: E402
from mutual_aid.selectors import binding_list_for_person  # noqa: E402
from payments.models import PaymentStatus, RefundReason  # noqa: E402
from payments.selectors import payment_list_for_idempotency_key  # noqa: E402
from payments.services import Actor, payment_refund, payments_create_for_relatives  # noqa: E402
from staff.services import counter_allowance_set, counter_payment_create  # noqa: E402

# seed_demo's people (portal/management/commands/seed_demo.py prints them).
AUTHORIZER = "210202197805120232"  # 张伟, employee, Dalian
RELATIVE = "210202195003080313"  # 张建国, his father: left unpaid, to pay his own premium
PAID_RELATIVE = "210202195307160320"  # 李秀英, his mother: paid by him
SUZHOU_AUTHORIZER = "320102198511200282"  # 陈静
SUZHOU_RELATIVE = "32050219550418039X"  # 陈志强: paid by her, then refunded
COUNTER_KEY = "a11y-audit-counter"
ALLOWANCE_KEY = "a11y-audit-allowance"
COUNTER_ALLOWANCE_KEY = "a11y-audit-counter-allowance"
CASHIER = "pharmacy"  # seed_demo's terminal login at its pharmacy


def _open_year(pay):
    """Calls pay(year) for next year, else this year: whichever collection period is open today."""
    this_year = timezone.localdate().year
    refusals = []
    for year in (this_year + 1, this_year):
        try:
            return pay(year)
        except ApplicationError as error:
            refusals.append(f"{year}: {error.code}")
    raise SystemExit(f"no payment could be made for the audit ({', '.join(refusals)})")


def _pay(payer_number: str, relative_number: str, key: str):
    payer = person_get_by_id_number(id_number=payer_number)
    if payer is None or payer.user is None:
        raise SystemExit(f"{payer_number} has no login: run seed_demo first")
    done = payment_list_for_idempotency_key(user=payer.user, key=key)
    if done:
        return done[0]
    actor = Actor(user=payer.user, idempotency_key=key)
    return _open_year(
        lambda year: payments_create_for_relatives(
            authorizer=payer, relative_id_numbers=[relative_number], year=year, actor=actor
        )[0]
    )


def _pay_at_the_counter(payer_number: str, relative_number: str, key: str):
    clerk = User.objects.get(username="counter")
    done = payment_list_for_idempotency_key(user=clerk, key=key)
    if done:
        return done[0]
    return _open_year(
        lambda year: counter_payment_create(
            operator=clerk,
            counter_id="A11Y-01",
            beneficiary_id_number=relative_number,
            authorizer_id_number=payer_number,
            year=year,
            idempotency_key=key,
        )
    )


def main() -> None:
    paid = _pay(AUTHORIZER, PAID_RELATIVE, "a11y-audit-paid")
    refunded = _pay(SUZHOU_AUTHORIZER, SUZHOU_RELATIVE, "a11y-audit-refunded")
    if refunded.status != PaymentStatus.REFUNDED:
        refunded = payment_refund(
            payment=refunded,
            reason=RefundReason.PAID_TWICE,
            note="a11y audit",
            operator=User.objects.get(username="supervisor"),
            counter_id="A11Y-01",
        )
    # Refunded, his premium is due again: the counter pays it (the counter's confirmation page).
    _pay_at_the_counter(SUZHOU_AUTHORIZER, SUZHOU_RELATIVE, COUNTER_KEY)
    allowance = _allowance(AUTHORIZER, PAID_RELATIVE, 50_000)
    counter_allowance = _allowance_at_the_counter(SUZHOU_AUTHORIZER, SUZHOU_RELATIVE, 20_000)
    settlement = _settlement_today(RELATIVE)
    json.dump(
        {
            "paid": {"id": paid.pk, "reference": paid.reference, "code": paid.verification_code},
            "refunded": {
                "id": refunded.pk,
                "reference": refunded.reference,
                "code": refunded.verification_code,
            },
            "paid_key": "a11y-audit-paid",
            "counter_key": COUNTER_KEY,
            "allowance_binding_id": allowance.binding_id,
            "allowance_key": ALLOWANCE_KEY,
            "counter_allowance_binding_id": counter_allowance.binding_id,
            "counter_allowance_key": COUNTER_ALLOWANCE_KEY,
            "settlement_id": settlement.settlement_id,
            "spending_binding_id": settlement.allowance.binding_id,
        },
        sys.stdout,
    )


def _active_binding(payer, relative_number: str):
    return next(
        b
        for b in binding_list_for_person(person=payer)
        if b.beneficiary.person.id_number == relative_number and b.status == BindingStatus.ACTIVE
    )


def _allowance_at_the_counter(payer_number: str, relative_number: str, amount_fen: int):
    """An allowance the supervisor set at the counter for a walk-in authorizer (replayed on a second
    run), so that the counter's confirmation page has something to show."""
    payer = person_get_by_id_number(id_number=payer_number)
    if payer is None:
        raise SystemExit(f"{payer_number} is not on the roster: run seed_demo first")
    return counter_allowance_set(
        operator=User.objects.get(username="supervisor"),
        counter_id="A11Y-01",
        binding=_active_binding(payer, relative_number),
        amount_fen=amount_fen,
        idempotency_key=COUNTER_ALLOWANCE_KEY,
    )


def _allowance(payer_number: str, relative_number: str, amount_fen: int):
    """An allowance of the payer for his relative (a replay of the same key on a second run), so that
    his home page, the allowance pages and the release page show one."""
    payer = person_get_by_id_number(id_number=payer_number)
    if payer is None or payer.user is None:
        raise SystemExit(f"{payer_number} has no login: run seed_demo first")
    binding = _active_binding(payer, relative_number)
    actor = AllowanceActor(user=payer.user, idempotency_key=ALLOWANCE_KEY)
    return allowance_set(authorizer=payer, binding_id=binding.pk, amount_fen=amount_fen, actor=actor)


def _settlement_today(relative_number: str):
    """A bill of the relative's settled today at the demo pharmacy from seed_demo's allowance (made once
    a day: reversals are for the day's settlements)."""
    cashier = User.objects.select_related("terminal__institution").get(username=CASHIER)
    institution = cashier.terminal.institution
    settlement_id = f"A11Y-{timezone.localdate():%Y%m%d}"
    done = settlement_get_for_institution(institution=institution, settlement_id=settlement_id)
    if done is not None:
        return done
    relative = person_get_by_id_number(id_number=relative_number)
    if relative is None:
        raise SystemExit(f"{relative_number} is not on the roster: run seed_demo first")
    return settlement_create(
        terminal=Terminal(user=cashier, institution=institution, idempotency_key=f"a11y-{settlement_id}"),
        voucher_code=voucher_issue(person=relative).code,
        settlement_id=settlement_id,
        amount_fen=3_550,
        category="drugs",
    )


if __name__ == "__main__":
    main()
