"""The counter acts for walk-in applicants; every action leaves an audit record in its own transaction."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from insurees.models import Person, Scheme
from insurees.selectors import insuree_get_by_id_number, person_get_by_id_number
from mutual_aid.models import Binding, Channel
from mutual_aid.selectors import beneficiary_for, pledge_check
from mutual_aid.services import binding_create
from payments.models import Payment, PaymentChannel
from payments.services import Actor, payment_create_for_self, payment_refund, payments_create_for_relatives
from staff.models import AuditAction, AuditRecord, ReconciliationRun
from staff.selectors import reconcile

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
) -> Payment:
    """Pays for a named authorizer, or by the self-payment rule when none is named."""
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
        )
        return payment
    return payment_create_for_self(
        beneficiary=beneficiary.person, year=year, actor=actor, channel=PaymentChannel.COUNTER
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
