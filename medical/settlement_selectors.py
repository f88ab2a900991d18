"""Reading settlements: each side's statement, and an institution's day.

What is read is where and on what an allowance went (institution, category, amount, date, status),
never what was bought: no item is stored (DESIGN.md, PIPL art. 28). Each list comes with the
institution and both sides' persons, so a page or a serializer reads it in one query.
"""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from insurees.models import Person
from medical.models import Institution, Settlement


def _settlements() -> QuerySet[Settlement]:
    return Settlement.objects.select_related(
        "institution", "authorizer__person", "beneficiary__person"
    ).order_by("-created_at", "-pk")


def settlement_list_for_person(*, person: Person) -> QuerySet[Settlement]:
    """The person's settlements, newest first: as beneficiary his own, as authorizer those paid from
    his allowances (reversed and refunded ones too)."""
    return _settlements().filter(Q(beneficiary__person=person) | Q(authorizer__person=person))


def settlement_list_for_beneficiary(*, person: Person) -> QuerySet[Settlement]:
    """What the person spent of the allowances set for him, newest first."""
    return _settlements().filter(beneficiary__person=person)


def settlement_list_for_binding(*, authorizer: Person, binding_id: int) -> QuerySet[Settlement]:
    """What was paid from the allowances (present and past) of one binding of the authorizer's,
    newest first; nothing for a binding that is not his."""
    return _settlements().filter(authorizer__person=authorizer, allowance__binding_id=binding_id)


def settlement_list_for_institution_day(
    *, institution: Institution, date: datetime.date
) -> QuerySet[Settlement]:
    """The institution's settlements of one business day (Asia/Shanghai), newest first, reversed ones
    too; another institution's are never among them."""
    return _settlements().filter(institution=institution, business_date=date)


def settlement_get_for_institution(*, institution: Institution, settlement_id: str) -> Settlement | None:
    """The institution's settlement of its own id, or None: another institution's id is not found."""
    return _settlements().filter(institution=institution, settlement_id=settlement_id).first()
