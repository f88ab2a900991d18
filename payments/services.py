"""Paying premiums from personal accounts: the only code that moves money (through the ledger).

Every public service here is the outermost transaction (durable) and follows one lock order:
the beneficiaries' enrollments by primary key, then the personal accounts by primary key.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from insurees.enrollment_services import enrollment_mark_paid, enrollment_mark_unpaid, enrollments_ensure
from insurees.models import Insuree, InsureeStatus, PremiumRate, Scheme
from insurees.selectors import premium_rate_get
from ledger.lock_objects import accounts_for_update
from ledger.models import Account, AccountKind
from ledger.services import account_get_or_create, transaction_post, transaction_reverse
from mutual_aid import errors as binding_errors
from mutual_aid.models import Binding, BindingStatus
from payments import errors
from payments.lock_objects import enrollments_for_update
from payments.models import (
    IdempotencyKey,
    Notification,
    OutboxMessage,
    Payment,
    PaymentChannel,
    PaymentStatus,
    RefundReason,
)
from payments.notifications import notification_email_send
from payments.outbox import outbox_relay_after_commit

MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class Actor:
    """Who asks: the signed-in user (owner of the idempotency key) and, at a counter, where."""

    user: AbstractBaseUser
    idempotency_key: str
    operator: AbstractBaseUser | None = None
    counter_id: str = ""
    # Called inside the payment's own transaction with the new payments: a counter's audit trail
    # is written with the change it records, or not at all.
    record: Callable[[Sequence[Payment]], None] | None = None


def _fingerprint(operation: str, **facts: object) -> str:
    payload = json.dumps({"op": operation, **facts}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _claim_idempotency_key(*, actor: Actor, fingerprint: str) -> IdempotencyKey | list[Payment]:
    """Claims the key for this request, or returns the payments of the request that claimed it first.

    The insert waits on the unique index while a twin request holds it, so the twin's outcome is
    known when it returns: its payments if it committed, the key free again if it was refused.
    """
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                user=actor.user, key=actor.idempotency_key, fingerprint=fingerprint
            )
    except IntegrityError:
        existing = IdempotencyKey.objects.get(user=actor.user, key=actor.idempotency_key)
    if existing.fingerprint != fingerprint:
        raise errors.idempotency_conflict()
    return list(
        Payment.objects.filter(pk__in=existing.payments.values("pk"))
        .select_related("beneficiary__person", "authorizer__person")
        .order_by("pk")
    )


def _check_year(year: int) -> None:
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise errors.invalid_year()


def _check_beneficiary(beneficiary: Insuree) -> None:
    if beneficiary.scheme != Scheme.RESIDENT:
        raise binding_errors.beneficiary_not_resident()
    if beneficiary.status != InsureeStatus.ACTIVE:
        raise binding_errors.beneficiary_not_active()


def _premium_due(*, beneficiary: Insuree, year: int, today: datetime.date) -> PremiumRate:
    rate = premium_rate_get(region_code=beneficiary.region_code, year=year)
    if not rate.collection_start <= today <= rate.collection_end:
        raise errors.outside_collection_period(year, rate.collection_start, rate.collection_end)
    if Payment.objects.filter(beneficiary=beneficiary, year=year, status=PaymentStatus.SETTLED).exists():
        raise errors.already_paid(year)
    return rate


def _fund_account(region_code: str) -> Account:
    return account_get_or_create(
        code=f"fund:resident_premium:{region_code}",
        kind=AccountKind.FUND,
        name=f"Resident premium fund {region_code}",
    )


def _new_reference(today: datetime.date) -> str:
    return f"GJ{today:%Y%m%d}{secrets.randbelow(10**12):012d}"


def _settle(
    *,
    binding: Binding,
    account: Account,
    rate: PremiumRate,
    year: int,
    channel: PaymentChannel,
    actor: Actor,
    today: datetime.date,
) -> Payment:
    """Debits the locked account, records the payment, its outbox row and the authorizer's notice."""
    beneficiary = binding.beneficiary
    reference = _new_reference(today)
    ledger_txn = transaction_post(
        legs=[(account, -rate.amount_fen), (_fund_account(beneficiary.region_code), rate.amount_fen)],
        memo=f"premium {year} {beneficiary.region_code}",
        reference=reference,
    )
    payment = Payment.objects.create(
        reference=reference,
        year=year,
        amount_fen=rate.amount_fen,
        beneficiary=beneficiary,
        authorizer=binding.authorizer,
        binding=binding,
        region_code=beneficiary.region_code,
        relation=binding.relation,
        channel=channel,
        ledger_transaction=ledger_txn,
        operator=actor.operator,
        counter_id=actor.counter_id,
        verification_code=secrets.token_hex(4).upper(),
    )
    OutboxMessage.objects.create(topic=OutboxMessage.Topic.ENROLLMENT_SYNC, payment=payment)
    _notify(
        Notification(
            person=binding.authorizer.person,
            kind=Notification.Kind.DEBIT,
            payment=payment,
            balance_after_fen=account.balance_fen,
        )
    )
    return payment


def _notify(notification: Notification) -> None:
    notification.save()
    if notification.person.email:
        transaction.on_commit(partial(notification_email_send, notification_id=notification.pk))


def _active_binding(*, authorizer: Insuree, beneficiary: Insuree) -> Binding:
    binding = (
        Binding.objects.filter(authorizer=authorizer, beneficiary=beneficiary, status=BindingStatus.ACTIVE)
        .select_related("authorizer__person", "beneficiary__person")
        .first()
    )
    if binding is None:
        raise binding_errors.binding_not_found()
    if binding.authorizer.status != InsureeStatus.ACTIVE:
        raise binding_errors.authorizer_not_active()
    return binding


def _record_key(claim: IdempotencyKey, payments: Sequence[Payment], actor: Actor) -> None:
    claim.payments.add(*payments)
    if actor.record is not None:
        actor.record(payments)
    transaction.on_commit(outbox_relay_after_commit)


@transaction.atomic(durable=True)
def payments_create_for_family(
    *,
    authorizer: Insuree,
    beneficiaries: Sequence[Insuree],
    year: int,
    actor: Actor,
    channel: PaymentChannel = PaymentChannel.AUTHORIZER,
) -> list[Payment]:
    """The authorizer pays the premium of one or several bound relatives: all of them, or none."""
    _check_year(year)
    if not beneficiaries or len({b.pk for b in beneficiaries}) != len(beneficiaries):
        raise ApplicationError(
            "invalid_input", _("Choose each relative once."), field="beneficiary_id_numbers"
        )
    claim = _claim_idempotency_key(
        actor=actor,
        fingerprint=_fingerprint(
            "family", authorizer=authorizer.pk, beneficiaries=sorted(b.pk for b in beneficiaries), year=year
        ),
    )
    if not isinstance(claim, IdempotencyKey):
        return claim

    today = timezone.localdate()
    enrollments_ensure(insurees=beneficiaries, year=year)
    list(enrollments_for_update(insuree_ids=[b.pk for b in beneficiaries], year=year))

    plan = []
    for beneficiary in beneficiaries:
        beneficiary.refresh_from_db(fields=["status", "region_code", "scheme"])
        _check_beneficiary(beneficiary)
        binding = _active_binding(authorizer=authorizer, beneficiary=beneficiary)
        plan.append((binding, _premium_due(beneficiary=beneficiary, year=year, today=today)))

    [account] = accounts_for_update([authorizer.account_id])
    total_fen = sum(rate.amount_fen for _binding, rate in plan)
    if account.balance_fen < total_fen:
        raise errors.insufficient_balance(total_fen)
    payments = [
        _settle(
            binding=binding, account=account, rate=rate, year=year, channel=channel, actor=actor, today=today
        )
        for binding, rate in plan
    ]
    _record_key(claim, payments, actor)
    return payments


def payment_create_for_relative(
    *,
    authorizer: Insuree,
    beneficiary: Insuree,
    year: int,
    actor: Actor,
    channel: PaymentChannel = PaymentChannel.AUTHORIZER,
) -> Payment:
    """The authorizer pays one bound relative's premium from his personal account."""
    [payment] = payments_create_for_family(
        authorizer=authorizer, beneficiaries=[beneficiary], year=year, actor=actor, channel=channel
    )
    return payment


@transaction.atomic(durable=True)
def payment_create_self(
    *,
    beneficiary: Insuree,
    year: int,
    actor: Actor,
    channel: PaymentChannel = PaymentChannel.SELF,
) -> Payment:
    """The relative pays his own premium: the bound account with the highest balance that covers it."""
    _check_year(year)
    claim = _claim_idempotency_key(
        actor=actor, fingerprint=_fingerprint("self", beneficiary=beneficiary.pk, year=year)
    )
    if not isinstance(claim, IdempotencyKey):
        return claim[0]

    today = timezone.localdate()
    enrollments_ensure(insurees=[beneficiary], year=year)
    list(enrollments_for_update(insuree_ids=[beneficiary.pk], year=year))
    beneficiary.refresh_from_db(fields=["status", "region_code", "scheme"])
    _check_beneficiary(beneficiary)
    rate = _premium_due(beneficiary=beneficiary, year=year, today=today)

    bindings = list(
        Binding.objects.filter(
            beneficiary=beneficiary,
            status=BindingStatus.ACTIVE,
            self_pay_paused=False,
            authorizer__status=InsureeStatus.ACTIVE,
            authorizer__account__isnull=False,
        )
        .select_related("authorizer__person", "beneficiary__person")
        .order_by("created_at", "pk")
    )
    if not bindings:
        raise binding_errors.binding_not_found()
    # Lock every candidate before choosing: a busy richer account is waited for, never skipped.
    accounts = {a.pk: a for a in accounts_for_update(b.authorizer.account_id for b in bindings)}
    richest = max(bindings, key=lambda b: accounts[b.authorizer.account_id].balance_fen)  # first max: oldest
    account = accounts[richest.authorizer.account_id]
    if account.balance_fen < rate.amount_fen:
        raise errors.no_authorizer_can_pay(rate.amount_fen)
    payment = _settle(
        binding=richest, account=account, rate=rate, year=year, channel=channel, actor=actor, today=today
    )
    _record_key(claim, [payment], actor)
    return payment


@transaction.atomic(durable=True)
def payment_refund(
    *,
    payment: Payment,
    reason: str,
    note: str,
    operator: AbstractBaseUser,
    counter_id: str = "",
    record: Callable[[Payment], None] | None = None,
) -> Payment:
    """Credits the same personal account back and reverses the enrollment; both records stay."""
    if reason not in RefundReason.values:
        raise ApplicationError("invalid_input", _("Choose a refund reason from the list."), field="reason")
    enrollments_ensure(insurees=[payment.beneficiary], year=payment.year)
    list(enrollments_for_update(insuree_ids=[payment.beneficiary_id], year=payment.year))
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("authorizer__person")
        .get(pk=payment.pk)
    )
    if payment.status != PaymentStatus.SETTLED:
        raise errors.refund_not_allowed(_("This payment has already been refunded."))
    if timezone.localdate() >= datetime.date(payment.year, 1, 1):
        raise errors.refund_not_allowed(
            _("The coverage year %(year)s has started; the premium can no longer be refunded.")
            % {"year": payment.year}
        )
    reversal = transaction_reverse(transaction=payment.ledger_transaction, memo=f"refund {payment.reference}")
    payment.status = PaymentStatus.REFUNDED
    payment.refund_transaction = reversal
    payment.refund_reason, payment.refund_note = reason, note
    payment.refunded_at, payment.refunded_by = timezone.now(), operator
    payment.save(
        update_fields=[
            "status",
            "refund_transaction",
            "refund_reason",
            "refund_note",
            "refunded_at",
            "refunded_by",
        ]
    )
    enrollment_mark_unpaid(payment_id=payment.pk)
    account = Account.objects.get(pk=payment.authorizer.account_id)
    _notify(
        Notification(
            person=payment.authorizer.person,
            kind=Notification.Kind.REFUND,
            payment=payment,
            balance_after_fen=account.balance_fen,
        )
    )
    if record is not None:
        record(payment)
    return payment


@transaction.atomic
def payment_sync_enrollment(*, payment_id: int) -> bool:
    """Marks the beneficiary's enrollment paid by this payment; safe to run any number of times."""
    payment = Payment.objects.filter(pk=payment_id).values("beneficiary_id", "year").first()
    if payment is None:
        return False
    enrollments_ensure(insurees=[Insuree(pk=payment["beneficiary_id"])], year=payment["year"])
    list(enrollments_for_update(insuree_ids=[payment["beneficiary_id"]], year=payment["year"]))
    locked = Payment.objects.select_for_update().get(pk=payment_id)
    if locked.status == PaymentStatus.SETTLED:
        enrollment_mark_paid(insuree_id=locked.beneficiary_id, year=locked.year, payment_id=locked.pk)
    if locked.enrollment_synced_at is None:
        Payment.objects.filter(pk=payment_id).update(enrollment_synced_at=timezone.now())
    return True


def notifications_mark_read(*, person_id: int) -> int:
    return Notification.objects.filter(person_id=person_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
