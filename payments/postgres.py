"""Payments and enrollment syncs on PostgreSQL: one call each of the server-side functions of
migration 0004, instead of some twenty ORM round trips.

The functions take the locks of payments/lock_objects.py in the same order and refuse what the ORM
path refuses, in the same order; a refusal comes back as SQLSTATE GJ001 and is raised here as the same
ApplicationError. The ORM path (payments/services.py) stays for SQLite, and one set of behaviour
tests runs against both.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import DatabaseError, connection
from django.db.models import Model
from django.utils import timezone

from common.errors import ApplicationError
from insurees.models import Insuree, Person, Scheme
from insurees.selectors import no_premium_rate, not_insured
from mutual_aid import errors as binding_errors
from payments import errors
from payments.models import Payment, PaymentStatus

M = TypeVar("M", bound=Model)

REFUSED = "GJ001"
LOCK_NOT_AVAILABLE = "55P03"


# The refusals the function raises, by the code in its message; `detail` carries their facts.
REFUSALS: dict[str, Callable[[int, str], ApplicationError]] = {
    "idempotency_conflict": lambda year, detail: errors.idempotency_conflict(),
    "beneficiary_not_resident": lambda year, detail: binding_errors.beneficiary_not_resident(),
    "beneficiary_not_active": lambda year, detail: binding_errors.beneficiary_not_active(),
    "binding_not_found": lambda year, detail: binding_errors.binding_not_found(),
    "no_premium_rate": lambda year, detail: no_premium_rate(),
    "outside_collection_period": lambda year, detail: errors.outside_collection_period(
        year, *(datetime.date.fromisoformat(day) for day in detail.split())
    ),
    "already_paid": lambda year, detail: errors.already_paid(year),
    "authorizer_not_active": lambda year, detail: binding_errors.authorizer_not_active(),
    "authorizer_not_employee": lambda year, detail: binding_errors.authorizer_not_employee(),
    "authorizer_not_insured": lambda year, detail: binding_errors.authorizer_not_insured(),
    "not_insured": lambda year, detail: not_insured(Scheme.RESIDENT),
    "relatives_not_distinct": lambda year, detail: errors.relatives_not_distinct(),
    "insufficient_balance": lambda year, detail: errors.insufficient_balance(int(detail)),
    "no_authorizer_can_pay": lambda year, detail: errors.no_authorizer_can_pay(int(detail)),
}


def new_reference(today: datetime.date) -> str:
    return f"GJ{today:%Y%m%d}{secrets.randbelow(10**12):012d}"


def new_verification_code() -> str:
    return secrets.token_hex(4).upper()


def payments_settle_in_database(
    *,
    authorizer: Insuree | None,
    beneficiaries: Sequence[Insuree],
    year: int,
    channel: str,
    actor,
    fingerprint: str,
    lock_wait_ms: int,
) -> tuple[list[Payment], bool]:
    """Pays in one call of payments_pay; returns the payments and whether they were made before
    (a retry with the same Idempotency-Key). The caller's transaction is rolled back on a refusal."""
    return _pay(
        "payments_pay",
        lambda today, now, references, codes: [
            actor.user.pk,
            actor.idempotency_key,
            fingerprint,
            f"{lock_wait_ms}ms",
            authorizer.pk if authorizer is not None else None,
            [beneficiary.pk for beneficiary in beneficiaries],
            year,
            channel,
            actor.operator.pk if actor.operator is not None else None,
            actor.counter_id,
            today,
            now,
            references,
            codes,
        ],
        count=len(beneficiaries),
        year=year,
        channel=channel,
        actor=actor,
        beneficiaries=beneficiaries,
    )


def payments_for_person_in_database(
    *, person: Person, id_numbers: list[str] | None, year: int, channel: str, actor, lock_wait_ms: int
) -> tuple[list[Payment], bool]:
    """Looks up and pays in one call of payments_pay_for_person: the person pays for the residents
    with these (normalized) ID numbers, or, with None, pays his own premium."""
    return _pay(
        "payments_pay_for_person",
        lambda today, now, references, codes: [
            actor.user.pk,
            actor.idempotency_key,
            f"{lock_wait_ms}ms",
            person.pk,
            id_numbers,
            year,
            channel,
            today,
            now,
            references,
            codes,
        ],
        count=len(id_numbers) if id_numbers is not None else 1,
        year=year,
        channel=channel,
        actor=actor,
    )


def _pay(
    function: str,
    params_for: Callable[[datetime.date, datetime.datetime, list[str], list[str]], list],
    *,
    count: int,
    year: int,
    channel: str,
    actor,
    beneficiaries: Sequence[Insuree] | None = None,
) -> tuple[list[Payment], bool]:
    today, now = timezone.localdate(), timezone.now()
    references = [new_reference(today) for _ in range(count)]
    codes = [new_verification_code() for _ in range(count)]
    params = params_for(today, now, references, codes)
    with connection.cursor() as cursor:
        try:
            placeholders = ", ".join(["%s"] * len(params))
            cursor.execute(f"SELECT * FROM {function}({placeholders})", params)  # noqa: S608 - our two names
        except DatabaseError as exc:
            refusal = _refusal(exc, year)
            if refusal is None:
                raise  # not a refusal: the error handlers judge it by its cause, kept intact
            raise refusal from None
        rows = cursor.fetchall()
    if rows and rows[0][0]:  # the key was used before: its payments as they are now
        replayed = Payment.objects.filter(pk__in=[row[1] for row in rows]).select_related(
            "beneficiary__person", "authorizer__person"
        )
        return list(replayed.order_by("pk")), True

    payments = []
    for index, (reference, code, row) in enumerate(zip(references, codes, rows, strict=False)):
        (
            _replayed, payment_id, binding_id, authorizer_id, relation, region_code, amount_fen, txn_id,
            notification_id, _balance_after, person_id, name, id_number, email,
            beneficiary_id, beneficiary_person_id, beneficiary_name, beneficiary_id_number,
        ) = row  # fmt: skip
        values = {
            "id": payment_id,
            "reference": reference,
            "year": year,
            "amount_fen": amount_fen,
            "beneficiary_id": beneficiary_id,
            "authorizer_id": authorizer_id,
            "binding_id": binding_id,
            "region_code": region_code,
            "relation": relation,
            "channel": channel,
            "status": PaymentStatus.SETTLED,
            "ledger_transaction_id": txn_id,
            "operator_id": actor.operator.pk if actor.operator is not None else None,
            "counter_id": actor.counter_id,
            "verification_code": code,
            "created_at": now,
            "enrollment_synced_at": None,
            "refund_transaction_id": None,
            "refund_reason": "",
            "refund_note": "",
            "refunded_at": None,
            "refunded_by_id": None,
        }
        payment = _loaded(Payment, **values)
        # The other columns of the payer and of a looked-up beneficiary load on first use, as
        # deferred fields do.
        payer = _loaded(Insuree, id=authorizer_id, person_id=person_id)
        payer.person = _loaded(Person, id=person_id, name=name, id_number=id_number, email=email)
        if beneficiaries is not None:
            beneficiary = beneficiaries[index]
        else:
            beneficiary = _loaded(Insuree, id=beneficiary_id, person_id=beneficiary_person_id)
            beneficiary.person = _loaded(
                Person, id=beneficiary_person_id, name=beneficiary_name, id_number=beneficiary_id_number
            )
        payment.beneficiary, payment.authorizer = beneficiary, payer
        payment.notification_id = notification_id  # for the email after commit
        payments.append(payment)
    return payments, False


def _loaded(model: type[M], **values: object) -> M:
    """A model instance as the ORM would load it with these columns; the others are deferred."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def _refusal(exc: DatabaseError, year: int) -> ApplicationError | None:
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate == LOCK_NOT_AVAILABLE:
        return errors.idempotency_in_flight()
    if sqlstate == REFUSED:
        refusal = REFUSALS.get(cause.diag.message_primary)
        if refusal is not None:
            return refusal(year, cause.diag.message_detail or "")
    return None


def enrollments_sync_in_database(*, payment_ids: list[int] | None, limit: int) -> list[tuple]:
    """Syncs in one call of payments_sync_enrollments: the given payments, or up to `limit` open outbox
    rows. Returns (payment id, status, changed, lag in seconds) per payment synced."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM payments_sync_enrollments(%s, %s, %s)", [payment_ids, limit, timezone.now()]
        )
        return cursor.fetchall()
