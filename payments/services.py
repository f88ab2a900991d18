"""Paying premiums from personal accounts: the only code that moves money (through the ledger).

Every public service here is the outermost transaction (durable) and follows one lock order (see
payments/lock_objects.py): the caller's idempotency key, the beneficiaries' enrollments by primary
key, then the payment rows (refund, sync), then every ledger account involved by primary key.

On PostgreSQL a payment and an enrollment sync are each one call of a server-side function that does
what the ORM code here does, in one round trip (payments/postgres.py); SQLite runs the ORM code.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from insurees.enrollment_services import enrollment_mark_paid, enrollment_mark_unpaid, enrollments_ensure
from insurees.id_numbers import normalize_id_number
from insurees.models import Insuree, InsureeStatus, Person, PremiumRate, Scheme
from insurees.selectors import insuree_get_by_id_number, premium_rate_get
from ledger.models import Account, AccountKind
from ledger.services import account_get_or_create, transaction_post, transaction_reverse
from mutual_aid import errors as binding_errors
from mutual_aid.models import Binding, BindingStatus
from mutual_aid.selectors import authorizer_for
from payments import errors
from payments.lock_objects import accounts_for_update, enrollments_for_update
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
from payments.outbox import outbox_mark_dispatched, outbox_publish_after_commit
from payments.postgres import (
    LOCK_NOT_AVAILABLE,
    enrollments_sync_in_database,
    payments_for_person_in_database,
    payments_settle_in_database,
)

logger = logging.getLogger(__name__)

MIN_YEAR, MAX_YEAR = 2000, 2100
# How long a retry waits for its twin (the first request with the same key) to finish, on
# PostgreSQL, before it answers idempotency_in_flight instead of holding its client any longer.
IDEMPOTENCY_WAIT_MS = 5_000
# How many payments one sync transaction takes at most.
SYNC_BATCH = 500


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

    One statement, `INSERT ... ON CONFLICT DO NOTHING RETURNING`: a row back means the key is ours.
    While a twin request holds the same key uncommitted, PostgreSQL makes the insert wait for it,
    so its outcome is known when the insert returns: its payments if it committed, the key free
    again (and ours) if it was refused. A twin still running after IDEMPOTENCY_WAIT_MS is answered
    idempotency_in_flight. (SQLite runs one writer at a time, so no twin is ever in flight there.)
    """
    meta = IdempotencyKey._meta
    quote = connection.ops.quote_name
    user, key, fingerprint_, created_at = (
        quote(meta.get_field(name).column) for name in ("user", "key", "fingerprint", "created_at")
    )
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({user}, {key}, {fingerprint_}, {created_at}) "  # noqa: S608 - names from the model
        f"VALUES (%s, %s, %s, %s) ON CONFLICT ({user}, {key}) DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    params = [
        actor.user.pk,
        actor.idempotency_key,
        fingerprint,
        connection.ops.adapt_datetimefield_value(timezone.now()),
    ]
    on_postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if on_postgres:
            cursor.execute(
                "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
                [f"{IDEMPOTENCY_WAIT_MS}ms"],
            )
            previous_timeout = cursor.fetchone()[0]
        try:
            cursor.execute(sql, params)
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise errors.idempotency_in_flight() from None
            raise
        claimed = cursor.fetchone()
        if on_postgres:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous_timeout])
    if claimed is not None:
        return IdempotencyKey(
            pk=claimed[0], user=actor.user, key=actor.idempotency_key, fingerprint=fingerprint
        )

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


def _lock_beneficiaries(*, beneficiaries: Sequence[Insuree], year: int) -> list[Insuree]:
    """Takes the first lock, the enrollments; returns the beneficiaries as they are now, in order."""
    enrollments_ensure(insurees=beneficiaries, year=year)
    locked = {
        enrollment.insuree_id: enrollment.insuree
        for enrollment in enrollments_for_update(insuree_ids=[b.pk for b in beneficiaries], year=year)
    }
    for beneficiary in locked.values():
        _check_beneficiary(beneficiary)
    return [locked[b.pk] for b in beneficiaries]


def _premium_due(*, beneficiary: Insuree, year: int, today: datetime.date) -> PremiumRate:
    """Asked only under the enrollment's lock, so no twin can settle the same premium meanwhile."""
    rate = premium_rate_get(region_code=beneficiary.region_code, year=year)
    if not rate.collection_start <= today <= rate.collection_end:
        raise errors.outside_collection_period(year, rate.collection_start, rate.collection_end)
    if Payment.objects.filter(beneficiary=beneficiary, year=year, status=PaymentStatus.SETTLED).exists():
        raise errors.already_paid(year)
    return rate


def _fund_code(region_code: str) -> str:
    return f"fund:resident_premium:{region_code}"


# Regions whose fund account exists, as this process has seen committed: only a hint that spares a
# lookup per payment. Accounts are never deleted; should the hint be stale all the same (a test
# database emptied under a running process), the lock statement finds no fund account and the
# account is created there, after every other lock, which keeps the lock order.
_funds_known: set[str] = set()


def fund_account_ensure(*, region_code: str) -> Account:
    """The region's resident premium fund account, created with the region's first payment."""
    account = account_get_or_create(
        code=_fund_code(region_code), kind=AccountKind.FUND, name=f"Resident premium fund {region_code}"
    )
    # Known once committed: a twin must never skip the creation of an account it cannot see yet.
    transaction.on_commit(partial(_funds_known.add, region_code))
    return account


def _ensure_funds(regions: set[str]) -> None:
    """Before any lock: a new fund account's insert may wait for a twin's, so it must hold none."""
    for region in sorted(regions - _funds_known):
        fund_account_ensure(region_code=region)


def _lock_accounts(
    *, account_ids: list[int], regions: set[str]
) -> tuple[dict[int, Account], dict[str, Account]]:
    """Locks the payers' personal accounts and the regions' fund accounts in one ordered statement."""
    codes = {_fund_code(region): region for region in regions}
    locked = list(accounts_for_update(account_ids=account_ids, codes=codes))
    funds = {codes[account.code]: account for account in locked if account.code in codes}
    for region in sorted(regions - funds.keys()):
        [funds[region]] = accounts_for_update(account_ids=[fund_account_ensure(region_code=region).pk])
    return {account.pk: account for account in locked if account.code not in codes}, funds


def _new_reference(today: datetime.date) -> str:
    return f"GJ{today:%Y%m%d}{secrets.randbelow(10**12):012d}"


def _settle(
    *,
    binding: Binding,
    beneficiary: Insuree,
    account: Account,
    fund: Account,
    rate: PremiumRate,
    year: int,
    channel: PaymentChannel,
    actor: Actor,
    today: datetime.date,
) -> Payment:
    """Debits the locked account, records the payment, its outbox row and the authorizer's notice."""
    reference = _new_reference(today)
    ledger_txn = transaction_post(
        legs=[(account, -rate.amount_fen), (fund, rate.amount_fen)],
        memo=f"premium {year} {beneficiary.region_code}",
        reference=reference,
        locked_by_caller=True,  # _lock_accounts holds both rows, balances read under the lock
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
    # transaction_post leaves the balance after the debit on the account object it was given.
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
    """The in-app notice is written with the payment; the email leaves only after the commit."""
    notification.save()
    if notification.person.email:
        transaction.on_commit(partial(notification_email_send, notification_id=notification.pk), robust=True)


def _record_key(claim: IdempotencyKey, payments: Sequence[Payment], actor: Actor) -> None:
    claim.payments.add(*payments)
    _after_settling(payments, actor)


def _after_settling(payments: Sequence[Payment], actor: Actor) -> None:
    if actor.record is not None:
        actor.record(payments)
    publish = partial(outbox_publish_after_commit, payment_ids=[payment.pk for payment in payments])
    transaction.on_commit(publish, robust=True)


def _settle_in_database(
    *,
    authorizer: Insuree | None,
    beneficiaries: Sequence[Insuree],
    year: int,
    channel: PaymentChannel,
    actor: Actor,
    fingerprint: str,
) -> list[Payment]:
    """PostgreSQL: the whole payment in one call of payments_pay (payments/postgres.py)."""
    payments, replayed = payments_settle_in_database(
        authorizer=authorizer,
        beneficiaries=beneficiaries,
        year=year,
        channel=str(channel),
        actor=actor,
        fingerprint=fingerprint,
        lock_wait_ms=IDEMPOTENCY_WAIT_MS,
    )
    if not replayed:
        _after_settling_in_database(payments, actor)
    return payments


def _after_settling_in_database(payments: Sequence[Payment], actor: Actor) -> None:
    for payment in payments:
        if payment.authorizer.person.email:
            send = partial(notification_email_send, notification_id=payment.notification_id)
            transaction.on_commit(send, robust=True)
    _after_settling(payments, actor)


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
        raise errors.relatives_not_distinct()
    fingerprint = _fingerprint(
        "family", authorizer=authorizer.pk, beneficiaries=sorted(b.pk for b in beneficiaries), year=year
    )
    if connection.vendor == "postgresql":
        return _settle_in_database(
            authorizer=authorizer, beneficiaries=beneficiaries, year=year, channel=channel, actor=actor,
            fingerprint=fingerprint,
        )  # fmt: skip
    claim = _claim_idempotency_key(actor=actor, fingerprint=fingerprint)
    if not isinstance(claim, IdempotencyKey):
        return claim

    today = timezone.localdate()
    _ensure_funds({b.region_code for b in beneficiaries})
    beneficiaries = _lock_beneficiaries(beneficiaries=beneficiaries, year=year)
    bindings = {
        binding.beneficiary_id: binding
        for binding in Binding.objects.filter(
            authorizer=authorizer, beneficiary__in=beneficiaries, status=BindingStatus.ACTIVE
        ).select_related("authorizer__person")
    }
    plan = []
    for beneficiary in beneficiaries:
        binding = bindings.get(beneficiary.pk)
        if binding is None:
            raise binding_errors.binding_not_found()
        plan.append((binding, beneficiary, _premium_due(beneficiary=beneficiary, year=year, today=today)))
    payer = plan[0][0].authorizer  # as read now, not as the caller last saw him
    if payer.status != InsureeStatus.ACTIVE:
        raise binding_errors.authorizer_not_active()
    if payer.account_id is None:
        raise binding_errors.authorizer_not_employee()

    accounts, funds = _lock_accounts(
        account_ids=[payer.account_id], regions={beneficiary.region_code for beneficiary in beneficiaries}
    )
    account = accounts[payer.account_id]
    total_fen = sum(rate.amount_fen for _binding, _beneficiary, rate in plan)
    if account.balance_fen < total_fen:
        raise errors.insufficient_balance(total_fen)
    payments = [
        _settle(
            binding=binding,
            beneficiary=beneficiary,
            account=account,
            fund=funds[beneficiary.region_code],
            rate=rate,
            year=year,
            channel=channel,
            actor=actor,
            today=today,
        )
        for binding, beneficiary, rate in plan
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


def payments_create_for_person(
    *, person: Person, beneficiary_id_numbers: Sequence[str], year: int, actor: Actor
) -> list[Payment]:
    """The signed-in person pays, from his personal account, the premiums of the bound relatives whose
    ID numbers he gives (the API's payments/ and payments/family/).

    Exactly authorizer_for, then insuree_get_by_id_number for each number, then
    payments_create_for_family, with their refusals in that order; on PostgreSQL all of it in one
    round trip (payments_pay_for_person).
    """
    _check_year(year)
    numbers = [normalize_id_number(number) for number in beneficiary_id_numbers]
    if connection.vendor == "postgresql":
        return _settle_for_person_in_database(person=person, id_numbers=numbers, year=year, actor=actor)
    return payments_create_for_family(
        authorizer=authorizer_for(person=person),
        beneficiaries=[
            insuree_get_by_id_number(id_number=number, scheme=Scheme.RESIDENT) for number in numbers
        ],
        year=year,
        actor=actor,
    )


def payment_create_self_for_person(*, person: Person, year: int, actor: Actor) -> Payment:
    """The signed-in person pays his own resident premium from the richest bound account (the API's
    payments/self/): insuree_get_by_id_number, then payment_create_self, in one round trip on
    PostgreSQL."""
    _check_year(year)
    if connection.vendor == "postgresql":
        [payment] = _settle_for_person_in_database(person=person, id_numbers=None, year=year, actor=actor)
        return payment
    return payment_create_self(
        beneficiary=insuree_get_by_id_number(id_number=person.id_number, scheme=Scheme.RESIDENT),
        year=year,
        actor=actor,
    )


def _settle_for_person_in_database(
    *, person: Person, id_numbers: list[str] | None, year: int, actor: Actor
) -> list[Payment]:
    # The function is the whole payment, so on its own its one statement commits it as it returns:
    # no BEGIN and COMMIT round trips, and no locks held while Python builds the answer. A staff
    # record must commit with the payment, so it gets a transaction. Inside a caller's transaction a
    # payment refuses to run (durable), as every payment does; a test's transaction is the exception,
    # and there the payment takes a savepoint, so that a refusal leaves the test's transaction usable.
    alone = actor.record is None and not connection.in_atomic_block
    with nullcontext() if alone else transaction.atomic(durable=True):
        channel = PaymentChannel.AUTHORIZER if id_numbers is not None else PaymentChannel.SELF
        payments, replayed = payments_for_person_in_database(
            person=person,
            id_numbers=id_numbers,
            year=year,
            channel=str(channel),
            actor=actor,
            lock_wait_ms=IDEMPOTENCY_WAIT_MS,
        )
        if not replayed:
            _after_settling_in_database(payments, actor)
    return payments


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
    fingerprint = _fingerprint("self", beneficiary=beneficiary.pk, year=year)
    if connection.vendor == "postgresql":
        [payment] = _settle_in_database(
            authorizer=None, beneficiaries=[beneficiary], year=year, channel=channel, actor=actor,
            fingerprint=fingerprint,
        )  # fmt: skip
        return payment
    claim = _claim_idempotency_key(actor=actor, fingerprint=fingerprint)
    if not isinstance(claim, IdempotencyKey):
        return claim[0]

    today = timezone.localdate()
    _ensure_funds({beneficiary.region_code})
    [beneficiary] = _lock_beneficiaries(beneficiaries=[beneficiary], year=year)
    rate = _premium_due(beneficiary=beneficiary, year=year, today=today)

    bindings = list(
        Binding.objects.filter(
            beneficiary=beneficiary,
            status=BindingStatus.ACTIVE,
            self_pay_paused=False,
            authorizer__status=InsureeStatus.ACTIVE,
            authorizer__account__isnull=False,
        )
        .select_related("authorizer__person")
        .order_by("created_at", "pk")
    )
    if not bindings:
        raise binding_errors.binding_not_found()
    # Lock every candidate before choosing: a busy richer account is waited for, never skipped.
    accounts, funds = _lock_accounts(
        account_ids=[b.authorizer.account_id for b in bindings], regions={beneficiary.region_code}
    )
    richest = max(bindings, key=lambda b: accounts[b.authorizer.account_id].balance_fen)  # first max: oldest
    account = accounts[richest.authorizer.account_id]
    if account.balance_fen < rate.amount_fen:
        raise errors.no_authorizer_can_pay(rate.amount_fen)
    payment = _settle(
        binding=richest,
        beneficiary=beneficiary,
        account=account,
        fund=funds[beneficiary.region_code],
        rate=rate,
        year=year,
        channel=channel,
        actor=actor,
        today=today,
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
    """Credits the same personal account back and reverses the enrollment; both records stay.

    Allowed before the coverage year starts (1 January of the payment's year), once.
    """
    if reason not in RefundReason.values:
        raise ApplicationError("invalid_input", _("Choose a refund reason from the list."), field="reason")
    enrollments_ensure(insurees=[payment.beneficiary], year=payment.year)
    list(enrollments_for_update(insuree_ids=[payment.beneficiary_id], year=payment.year))
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("authorizer__person", "ledger_transaction")
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
    """Marks the beneficiary's enrollment paid by this payment; safe to run any number of times.

    Runs in the worker, under the same locks as a refund (the enrollment, then the payment), so a
    refund and a late or repeated sync are ordered: a refunded payment never marks anything paid.
    Returns whether this run changed the enrollment.
    """
    if connection.vendor == "postgresql":
        synced = enrollments_sync_in_database(payment_ids=[payment_id], limit=1)
        _log_synced(synced)
        return bool(synced) and synced[0][2]
    payment = Payment.objects.filter(pk=payment_id).values("beneficiary_id", "year").first()
    if payment is None:
        return False
    enrollments_ensure(insurees=[Insuree(pk=payment["beneficiary_id"])], year=payment["year"])
    list(enrollments_for_update(insuree_ids=[payment["beneficiary_id"]], year=payment["year"]))
    locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment_id)
    changed = False
    if locked.status == PaymentStatus.SETTLED:
        changed = enrollment_mark_paid(
            insuree_id=locked.beneficiary_id, year=locked.year, payment_id=locked.pk
        )
    synced_at = locked.enrollment_synced_at
    if synced_at is None:
        synced_at = timezone.now()
        Payment.objects.filter(pk=payment_id).update(enrollment_synced_at=synced_at)
        # Published straight after the payment's commit, the row is closed here, where its work is done.
        outbox_mark_dispatched(payment_id=payment_id, at=synced_at)
    _log_synced([(payment_id, locked.status, changed, (synced_at - locked.created_at).total_seconds())])
    return changed


@transaction.atomic
def enrollments_sync_pending(*, limit: int = SYNC_BATCH) -> int:
    """Syncs up to `limit` payments whose outbox rows are open, in one transaction; rows another sync
    holds are skipped, not waited for. Returns how many payments were synced."""
    if connection.vendor == "postgresql":
        synced = enrollments_sync_in_database(payment_ids=None, limit=limit)
        _log_synced(synced)
        return len(synced)
    pending = OutboxMessage.objects.filter(dispatched_at__isnull=True).order_by("pk")
    payment_ids = list(dict.fromkeys(pending.values_list("payment_id", flat=True)[:limit]))
    for payment_id in payment_ids:
        payment_sync_enrollment(payment_id=payment_id)
    return len(payment_ids)


def _log_synced(synced: Sequence[tuple]) -> None:
    if logger.isEnabledFor(logging.INFO):
        # The sync lag, from the payment's commit to its enrollment, is measured in this line.
        for payment_id, status, changed, lag in synced:
            logger.info(
                "enrollment sync: payment=%s status=%s changed=%s lag=%.3fs", payment_id, status, changed, lag
            )


def notifications_mark_read(*, person_id: int) -> int:
    return Notification.objects.filter(person_id=person_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
