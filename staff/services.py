"""The counter acts for walk-in applicants; every action leaves an audit record in its own transaction."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from common.outcome import ask_until_known
from insurees.models import Person, PremiumKind, Scheme
from insurees.selectors import insuree_get_by_id_number, person_get_by_id_number
from ledger.selectors import account_balance_get
from medical import errors as allowance_errors
from medical.change_selectors import allowance_change_for_key
from medical.models import Allowance
from medical.services import Actor as AllowanceActor
from medical.services import allowance_release, allowance_set
from mutual_aid.models import Binding, Channel
from mutual_aid.selectors import beneficiary_for, pledge_check
from mutual_aid.services import binding_create
from payments.models import Payment, PaymentChannel
from payments.services import Actor, payment_create_for_self, payment_refund, payments_create_for_relatives
from staff import errors
from staff.models import AuditAction, AuditRecord, ReconciliationRun
from staff.selectors import counter_allowance_record_for_key, reconcile

logger = logging.getLogger(__name__)


def audit_record_create(
    *,
    operator: User,
    counter_id: str,
    action: AuditAction,
    person: Person | None,
    object_ref: str = "",
    details: dict | None = None,
) -> AuditRecord:
    return AuditRecord.objects.create(
        operator=operator,
        counter_id=counter_id,
        action=action,
        person=person,
        object_ref=object_ref,
        details=details or {},
    )


def counter_id_check(counter_id: str) -> None:
    """Every counter action is recorded with the counter it was done at: none is done without one."""
    if not counter_id.strip():
        raise ApplicationError(
            "invalid_input",
            _("Set your counter number first: every action at the counter is recorded with it."),
            field="counter_id",
        )


@transaction.atomic
def counter_person_lookup(*, operator: User, counter_id: str, id_number: str) -> Person:
    """Full personal data is shown only here, and every lookup is on record."""
    counter_id_check(counter_id)
    person = person_get_by_id_number(id_number=id_number)
    if person is None:
        raise ApplicationError(
            "not_found", _("No person with this ID number is on the roster."), field="id_number"
        )
    audit_record_create(
        operator=operator, counter_id=counter_id, action=AuditAction.PERSON_LOOKUP, person=person
    )
    return person


@transaction.atomic
def counter_binding_create(
    *,
    operator: User,
    counter_id: str,
    authorizer_id_number: str,
    beneficiary_id_number: str,
    beneficiary_name: str,
    relation: str,
    pledge_version: int,
    paper_pledge_ref: str,
) -> Binding:
    """Binds for a walk-in applicant who signed the paper pledge in front of the clerk."""
    counter_id_check(counter_id)
    if not paper_pledge_ref.strip():
        raise ApplicationError(
            "pledge_required", _("Enter the number of the signed paper pledge."), field="paper_pledge_ref"
        )
    pledge = pledge_check(version=pledge_version, accepted=True)
    authorizer = insuree_get_by_id_number(id_number=authorizer_id_number, scheme=Scheme.EMPLOYEE)
    binding = binding_create(
        authorizer=authorizer,
        beneficiary=beneficiary_for(id_number=beneficiary_id_number, name=beneficiary_name),
        relation=relation,
        pledge=pledge,
        channel=Channel.COUNTER,
        signer=authorizer.person,
        operator=operator,
        counter_id=counter_id,
        paper_pledge_ref=paper_pledge_ref.strip(),
    )
    audit_record_create(
        operator=operator,
        counter_id=counter_id,
        action=AuditAction.BINDING_CREATE,
        person=authorizer.person,
        object_ref=f"binding:{binding.pk}",
        details={
            "beneficiary_person": binding.beneficiary.person_id,
            "relation": relation,
            "paper_pledge_ref": binding.paper_pledge_ref,
        },
    )
    return binding


def counter_payment_create(
    *,
    operator: User,
    counter_id: str,
    beneficiary_id_number: str,
    year: int,
    idempotency_key: str,
    authorizer_id_number: str | None = None,
    kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL,
    expected_amount_fen: int | None = None,
    expected_payer_id: int | None = None,
) -> Payment:
    """Pays the premium of this kind for a named authorizer, or by the self-payment rule when none is
    named; with the amount and the paying insuree the check page showed, only at those
    (payment_changed otherwise, nothing paid)."""
    counter_id_check(counter_id)
    beneficiary = insuree_get_by_id_number(id_number=beneficiary_id_number, scheme=Scheme.RESIDENT)

    def record(payments: Sequence[Payment]) -> None:
        for payment in payments:
            audit_record_create(
                operator=operator,
                counter_id=counter_id,
                action=AuditAction.PAYMENT_CREATE,
                person=beneficiary.person,
                object_ref=f"payment:{payment.pk}",
                details={
                    "reference": payment.reference,
                    "amount_fen": payment.amount_fen,
                    "authorizer_person": payment.authorizer.person_id,
                    "year": payment.year,
                    "kind": payment.kind,
                },
            )

    actor = Actor(
        user=operator,
        idempotency_key=idempotency_key,
        operator=operator,
        counter_id=counter_id,
        record=record,
    )
    if authorizer_id_number:
        authorizer = insuree_get_by_id_number(id_number=authorizer_id_number, scheme=Scheme.EMPLOYEE)
        [payment] = payments_create_for_relatives(
            authorizer=authorizer.person,
            relative_id_numbers=[beneficiary.person.id_number],
            year=year,
            actor=actor,
            channel=PaymentChannel.COUNTER,
            kind=kind,
            expected_amounts_fen=None if expected_amount_fen is None else [expected_amount_fen],
        )
        return payment
    return payment_create_for_self(
        beneficiary=beneficiary.person,
        year=year,
        actor=actor,
        channel=PaymentChannel.COUNTER,
        kind=kind,
        expected_amount_fen=expected_amount_fen,
        expected_payer_id=expected_payer_id,
    )


def counter_payment_refund(
    *, operator: User, counter_id: str, payment: Payment, reason: str, note: str
) -> Payment:
    counter_id_check(counter_id)

    def record(refunded: Payment) -> None:
        audit_record_create(
            operator=operator,
            counter_id=counter_id,
            action=AuditAction.PAYMENT_REFUND,
            person=refunded.beneficiary.person,
            object_ref=f"payment:{refunded.pk}",
            details={"reference": refunded.reference, "reason": reason, "note": note},
        )

    return payment_refund(
        payment=payment, reason=reason, note=note, operator=operator, counter_id=counter_id, record=record
    )


def counter_allowance_set(
    *, operator: User, counter_id: str, binding: Binding, amount_fen: int, idempotency_key: str
) -> Allowance:
    """Sets, raises or lowers the allowance of a walk-in authorizer's active binding, as he would
    online; the change and its audit record (operator, counter) commit together or not at all."""
    return _counter_allowance_change(
        operator=operator,
        counter_id=counter_id,
        binding=binding,
        idempotency_key=idempotency_key,
        action=AuditAction.ALLOWANCE_SET,
        change=lambda actor: allowance_set(
            authorizer=binding.authorizer.person, binding_id=binding.pk, amount_fen=amount_fen, actor=actor
        ),
    )


def counter_allowance_release(
    *, operator: User, counter_id: str, binding: Binding, idempotency_key: str
) -> Allowance:
    """Releases the allowance of a walk-in authorizer's active binding: its unspent part is back in his
    personal account at once; audited like every counter action."""
    return _counter_allowance_change(
        operator=operator,
        counter_id=counter_id,
        binding=binding,
        idempotency_key=idempotency_key,
        action=AuditAction.ALLOWANCE_RELEASE,
        change=lambda actor: allowance_release(
            authorizer=binding.authorizer.person, binding_id=binding.pk, actor=actor
        ),
    )


def _counter_allowance_change(
    *,
    operator: User,
    counter_id: str,
    binding: Binding,
    idempotency_key: str,
    action: AuditAction,
    change: Callable[[AllowanceActor], Allowance],
) -> Allowance:
    counter_id_check(counter_id)
    if not idempotency_key:
        raise ValueError("a counter's allowance change needs an idempotency key: its audit record names it")

    def once() -> Allowance:
        # medical's change row has no counter, so the audit record carries it, written in the change's
        # own transaction (medical takes a savepoint inside it). The key's lock, taken by medical's SQL,
        # is held until this commits: a twin under the same key waits, replays, and then sees this
        # record, so a replay is never recorded twice.
        with transaction.atomic(durable=True):
            try:
                allowance = change(AllowanceActor(user=operator, idempotency_key=idempotency_key))
            except ApplicationError as refused:
                raise _in_counter_words(refused, binding) from None
            if counter_allowance_record_for_key(operator=operator, key=idempotency_key) is None:
                made = allowance_change_for_key(user=operator, key=idempotency_key)
                if made is None:  # medical writes the change row under the key with every change
                    raise RuntimeError(f"allowance change under {idempotency_key!r} not found")
                audit_record_create(
                    operator=operator,
                    counter_id=counter_id,
                    action=action,
                    person=binding.authorizer.person,
                    object_ref=f"allowance:{allowance.pk}",
                    details={
                        "idempotency_key": idempotency_key,
                        "binding": binding.pk,
                        "beneficiary_person": binding.beneficiary.person_id,
                        "amount_before_fen": made.amount_before_fen,
                        "amount_after_fen": made.amount_after_fen,
                        "ledger_transaction": made.ledger_transaction_id,
                    },
                )
        return allowance

    # A connection lost at the commit: the same key asks again, as medical's own service does.
    return ask_until_known(once, what="counter allowance", unknown=allowance_errors.allowance_outcome_unknown)


def _in_counter_words(refused: ApplicationError, binding: Binding) -> ApplicationError:
    """medical says "your personal account" to its authorizer; the clerk reads out the applicant's."""
    if refused.code == "insufficient_balance" and binding.authorizer.account_id is not None:
        return errors.applicant_balance_too_low(account_balance_get(account_id=binding.authorizer.account_id))
    return refused


def reconciliation_run(*, date: datetime.date) -> ReconciliationRun:
    """Stores the day's reconciliation; a mismatch is logged at error level for the on-call to see."""
    result = reconcile(date=date)
    run = ReconciliationRun.objects.create(
        date=date, ok=result.ok, checked=result.checked, mismatches=result.mismatches
    )
    if not result.ok:
        logger.error(
            "reconciliation %s: %d mismatch(es) among %d payments: %s",
            date,
            len(result.mismatches),
            result.checked,
            sorted({m["kind"] for m in result.mismatches}),
        )
    return run
