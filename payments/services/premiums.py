"""Paying premiums: each payment is one call of payments_pay (payments/migrations/sql/pay.sql), which
resolves the people, takes the locks, applies every rule of DESIGN.md and refuses in a fixed order.

A refusal comes back as SQLSTATE GJ001 with the refusal's code and facts, and is raised here as the
ApplicationError of that code.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from django.db import DatabaseError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from common.errors import ApplicationError
from common.id_numbers import normalize_id_number
from common.outcome import ask_until_known
from insurees.models import Insuree, Person, PremiumKind, Scheme
from insurees.selectors import no_premium_rate, not_insured
from mutual_aid import errors as binding_errors
from payments import errors
from payments.models import Payment, PaymentChannel, PaymentStatus
from payments.outbox.producer import outbox_publish_after_commit
from payments.services.actor import Actor

M = TypeVar("M", bound=Model)

REFUSED = "GJ001"
LOCK_NOT_AVAILABLE = "55P03"
# How long a retry waits for its twin (the first request with the same key) to finish before it
# answers idempotency_in_flight instead of holding its client any longer.
IDEMPOTENCY_WAIT_MS = 5_000


# The refusals the function raises, by the code in its message; `detail` carries their facts.
REFUSALS: dict[str, Callable[[int, str], ApplicationError]] = {
    "invalid_year": lambda year, detail: errors.invalid_year(),
    "idempotency_conflict": lambda year, detail: errors.idempotency_conflict(),
    "beneficiary_not_resident": lambda year, detail: binding_errors.beneficiary_not_resident(),
    "beneficiary_not_active": lambda year, detail: binding_errors.beneficiary_not_active(),
    "binding_not_found": lambda year, detail: binding_errors.binding_not_found(),
    "invalid_kind": lambda year, detail: errors.invalid_kind(),
    "no_premium_rate": lambda year, detail: no_premium_rate(kind=_kind_of(detail)),
    "outside_collection_period": lambda year, detail: errors.outside_collection_period(
        year, *(datetime.date.fromisoformat(day) for day in detail.split())
    ),
    "already_paid": lambda year, detail: errors.already_paid(year, kind=_kind_of(detail)),
    "authorizer_not_active": lambda year, detail: binding_errors.authorizer_not_active(),
    "authorizer_not_employee": lambda year, detail: binding_errors.authorizer_not_employee(),
    "authorizer_not_insured": lambda year, detail: binding_errors.authorizer_not_insured(),
    "not_insured": lambda year, detail: not_insured(Scheme.RESIDENT),
    "relatives_not_distinct": lambda year, detail: errors.relatives_not_distinct(),
    "insufficient_balance": lambda year, detail: errors.insufficient_balance(int(detail)),
    "no_authorizer_can_pay": lambda year, detail: errors.no_authorizer_can_pay(int(detail)),
    "amount_changed": lambda year, detail: errors.amount_changed(*(int(fen) for fen in detail.split())),
    "payer_changed": lambda year, detail: errors.payer_changed(),
}


def payments_create_for_relatives(
    *,
    authorizer: Person,
    relative_id_numbers: Sequence[str],
    year: int,
    actor: Actor,
    channel: PaymentChannel = PaymentChannel.AUTHORIZER,
    kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL,
    expected_amounts_fen: Sequence[int] | None = None,
) -> list[Payment]:
    """The authorizer pays, from his personal account, the premiums of this kind of the bound relatives
    with these ID numbers: all of them, or none. Used by the API, the pay page and the counter.

    With `expected_amounts_fen` (each premium's amount as the payer was shown it, in the same order),
    nothing is paid unless those are the amounts: payment_changed instead."""
    numbers = [normalize_id_number(number) for number in relative_id_numbers]
    return _pay(
        person=authorizer,
        id_numbers=numbers,
        year=year,
        actor=actor,
        channel=channel,
        kind=kind,
        expected=Expected(amounts_fen=expected_amounts_fen),
    )


def payment_create_for_self(
    *,
    beneficiary: Person,
    year: int,
    actor: Actor,
    channel: PaymentChannel = PaymentChannel.SELF,
    kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL,
    expected_amount_fen: int | None = None,
    expected_payer_id: int | None = None,
) -> Payment:
    """The relative pays his own premium of this kind from the bound account with the highest balance
    (ties to the oldest binding); if it cannot cover the premium, nothing is debited.

    With `expected_amount_fen` or `expected_payer_id` (the paying authorizer's insuree id), as the check
    page showed them, nothing is paid unless the amount and the account are those: payment_changed."""
    expected = Expected(
        amounts_fen=None if expected_amount_fen is None else [expected_amount_fen], payer_id=expected_payer_id
    )
    [payment] = _pay(
        person=beneficiary,
        id_numbers=None,
        year=year,
        actor=actor,
        channel=channel,
        kind=kind,
        expected=expected,
    )
    return payment


@dataclass(frozen=True)
class Expected:
    """What the payer confirmed; None checks nothing (the API, which shows nothing before it pays)."""

    amounts_fen: Sequence[int] | None = None
    payer_id: int | None = None


def _pay(
    *,
    person: Person,
    id_numbers: list[str] | None,
    year: int,
    actor: Actor,
    channel: PaymentChannel,
    kind: PremiumKind,
    expected: Expected,
) -> list[Payment]:
    if not isinstance(year, int) or isinstance(year, bool):
        raise errors.invalid_year()
    if kind not in PremiumKind.values:
        raise errors.invalid_kind()
    return ask_until_known(
        partial(
            _pay_once,
            person=person,
            id_numbers=id_numbers,
            year=year,
            actor=actor,
            channel=channel,
            kind=PremiumKind(kind),
            expected=expected,
        ),
        what="payment",
        unknown=errors.payment_outcome_unknown,
    )


def _pay_once(
    *,
    person: Person,
    id_numbers: list[str] | None,
    year: int,
    actor: Actor,
    channel: PaymentChannel,
    kind: PremiumKind,
    expected: Expected,
) -> list[Payment]:
    # The function is the whole payment, so on its own its one statement commits it as it returns:
    # no BEGIN and COMMIT round trips, and no locks held while Python builds the answer. A counter's
    # audit record must commit with the payment, so it gets a transaction. Inside a caller's
    # transaction a payment refuses to run (durable); a test's transaction is the exception, and
    # there the payment takes a savepoint, so that a refusal leaves the test's transaction usable.
    alone = actor.record is None and not connection.in_atomic_block
    with nullcontext() if alone else transaction.atomic(durable=True):
        payments, replayed = _call_pay(
            person=person,
            id_numbers=id_numbers,
            year=year,
            channel=channel,
            actor=actor,
            kind=kind,
            expected=expected,
        )
        if not replayed:
            if actor.record is not None:
                actor.record(payments)
            publish = partial(outbox_publish_after_commit, payment_ids=[payment.pk for payment in payments])
            transaction.on_commit(publish, robust=True)
    return payments


def _call_pay(
    *,
    person: Person,
    id_numbers: list[str] | None,
    year: int,
    channel: PaymentChannel,
    actor: Actor,
    kind: PremiumKind,
    expected: Expected,
) -> tuple[list[Payment], bool]:
    """Returns the payments and whether they were made before (a retry with the same Idempotency-Key:
    then they are read as they are now, what they were confirmed at having been checked by the first).
    The notices to both sides, written with them, leave through the notices' relay."""
    today, now = timezone.localdate(), timezone.now()
    count = len(id_numbers) if id_numbers is not None else 1
    references = [_new_reference(today) for _ in range(count)]
    codes = [secrets.token_hex(4).upper() for _ in range(count)]
    operator_id = actor.operator.pk if actor.operator is not None else None
    params: list[Any] = [
        actor.user.pk,
        actor.idempotency_key,
        f"{IDEMPOTENCY_WAIT_MS}ms",
        person.pk,
        id_numbers,
        year,
        str(channel),
        operator_id,
        actor.counter_id,
        today,
        now,
        references,
        codes,
        str(kind),
        None if expected.amounts_fen is None else list(expected.amounts_fen),
        expected.payer_id,
    ]
    with connection.cursor() as cursor:
        try:
            cursor.execute(
                "SELECT * FROM payments_pay("
                "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::integer[], %s::bigint)",
                params,
            )
        except DatabaseError as exc:
            refusal = _refusal(exc, year)
            if refusal is None:
                raise  # not a refusal: the error handlers judge it by its cause, kept intact
            raise refusal from None
        rows = cursor.fetchall()
    if rows and rows[0][0]:
        replayed = Payment.objects.filter(pk__in=[row[1] for row in rows]).select_related(
            "beneficiary__person", "authorizer__person"
        )
        return list(replayed.order_by("pk")), True

    payments = []
    for reference, code, row in zip(references, codes, rows, strict=False):
        (
            _replayed, payment_id, binding_id, authorizer_id, relation, region_code, amount_fen, txn_id,
            _payer_notice_id, _relative_notice_id, _balance_after, payer_person_id, payer_name,
            payer_id_number, payer_email,
            beneficiary_id, beneficiary_person_id, beneficiary_name, beneficiary_id_number,
        ) = row  # fmt: skip
        payment = _loaded(
            Payment,
            id=payment_id,
            reference=reference,
            year=year,
            kind=str(kind),
            amount_fen=amount_fen,
            beneficiary_id=beneficiary_id,
            authorizer_id=authorizer_id,
            binding_id=binding_id,
            region_code=region_code,
            relation=relation,
            channel=str(channel),
            status=PaymentStatus.SETTLED,
            ledger_transaction_id=txn_id,
            operator_id=operator_id,
            counter_id=actor.counter_id,
            verification_code=code,
            created_at=now,
            enrollment_synced_at=None,
            refund_transaction_id=None,
            refund_reason="",
            refund_note="",
            refunded_at=None,
            refunded_by_id=None,
        )
        # The people's other columns load on first use, as deferred fields do.
        payer = _loaded(Insuree, id=authorizer_id, person_id=payer_person_id)
        payer.person = _loaded(
            Person, id=payer_person_id, name=payer_name, id_number=payer_id_number, email=payer_email
        )
        beneficiary = _loaded(Insuree, id=beneficiary_id, person_id=beneficiary_person_id)
        beneficiary.person = _loaded(
            Person, id=beneficiary_person_id, name=beneficiary_name, id_number=beneficiary_id_number
        )
        payment.beneficiary, payment.authorizer = beneficiary, payer
        payments.append(payment)
    return payments, False


def _kind_of(detail: str) -> PremiumKind:
    """The kind a refusal's detail names (pay.sql gives it); the resident premium if it names none."""
    return PremiumKind(detail) if detail in PremiumKind.values else PremiumKind.RESIDENT_MEDICAL


def _new_reference(today: datetime.date) -> str:
    return f"GJ{today:%Y%m%d}{secrets.randbelow(10**12):012d}"


def _loaded(model: type[M], **values: object) -> M:
    """A model instance as the ORM would load it with these columns; the others are deferred."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def _refusal(exc: DatabaseError, year: int) -> ApplicationError | None:
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate == LOCK_NOT_AVAILABLE:
        return errors.idempotency_in_flight()
    diag = getattr(cause, "diag", None)
    if sqlstate == REFUSED and diag is not None:
        refusal = REFUSALS.get(diag.message_primary or "")
        if refusal is not None:
            return refusal(year, diag.message_detail or "")
    return None
