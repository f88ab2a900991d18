"""The notification threshold of an allowance: both sides hear of each settlement paying more than it
(0: of every one). A setting, not money: no hold moves and no ledger row is written, so it is one
UPDATE of one allowance row rather than a call of the allowances' SQL functions. It locks that row
alone, until its commit: a change or release of the allowance waits for it, and no deadlock is possible.
A released allowance keeps its threshold as history; one set again afterwards starts with it
(medical_allowance_set)."""

from __future__ import annotations

from django.db import transaction

from insurees.models import Person
from medical import errors
from medical.models import Allowance, AllowanceStatus
from mutual_aid import errors as binding_errors
from mutual_aid.models import BindingStatus
from mutual_aid.selectors import binding_get_for_person


def allowance_notify_threshold_set(*, authorizer: Person, binding_id: int, amount_fen: int) -> Allowance:
    """Sets the threshold (fen, 0 or more) of the active allowance of the authorizer's active binding;
    another's binding answers binding_not_found, a binding without an allowance allowance_not_found."""
    if (
        not isinstance(amount_fen, int)
        or isinstance(amount_fen, bool)
        or not 0 <= amount_fen <= errors.MAX_ALLOWANCE_FEN
    ):
        raise errors.invalid_notify_threshold()
    binding = binding_get_for_person(person=authorizer, binding_id=binding_id)
    if binding.authorizer.person_id != authorizer.pk or binding.status != BindingStatus.ACTIVE:
        raise binding_errors.binding_not_found()
    active = Allowance.objects.filter(binding_id=binding.pk, status=AllowanceStatus.ACTIVE)
    with transaction.atomic():
        # The row stays locked until the commit, so the allowance read back is the one updated.
        if not active.update(notify_over_fen=amount_fen):
            raise errors.allowance_not_found()
        return active.select_related("authorizer__person", "beneficiary__person", "binding").get()
