"""The authorizer's expenditure records (支出记录): every movement of his personal account but its
funding, from the apps that make them: premiums paid from it and their refunds (payments), the holds
and releases of his allowances and what settlements paid back into it (medical)."""

from __future__ import annotations

import datetime

from insurees.models import Person
from medical.movement_selectors import AllowanceMovement, allowance_movements_for_authorizer
from payments.selectors import Expenditure, expenditure_list_for_person

ExpenditureRecord = Expenditure | AllowanceMovement


def expenditure_records_for_person(
    *, person: Person, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> list[ExpenditureRecord]:
    """Newest first, within the days given (local dates, both included)."""
    days = {"date_from": date_from, "date_to": date_to}
    records: list[ExpenditureRecord] = [
        *expenditure_list_for_person(person=person, **days),
        *allowance_movements_for_authorizer(person=person, **days),
    ]
    return sorted(records, key=lambda record: record.at, reverse=True)
