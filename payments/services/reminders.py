"""Reminding authorizers, before a collection period closes, of the bound relatives whose resident
premium for that year is still unpaid (the long-term-care premium, where a region sets one, is not
reminded of).

A pass over every active binding of the closing regions, in batches of authorizers (by id range, so
each batch reads one stretch of the bindings' authorizer index and an authorizer is never split). One
insert per batch; the notices' unique (person, dedup key) keeps it to one reminder per authorizer,
year and deadline, however often or concurrently the task runs.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.conf import settings
from django.db.models import Exists, Max, Min, OuterRef
from django.utils import timezone

from insurees.models import PremiumKind
from insurees.selectors import premium_rate_list_closing
from mutual_aid.selectors import binding_list_active_for_beneficiary_regions
from notices.models import NoticeKind, NoticeLink
from notices.services import NoticeDraft, notices_send
from payments.models import Payment, PaymentStatus

# Authorizer ids per batch: a stretch of the id space, not a count of rows.
REMINDER_BATCH = 5_000


def premium_reminders_send(
    *, today: datetime.date | None = None, days_before: int | None = None, batch: int = REMINDER_BATCH
) -> int:
    """Sends the reminders due today; how many were written (those sent before are not again)."""
    today = today or timezone.localdate()
    days = settings.PREMIUM_REMINDER_DAYS if days_before is None else days_before
    deadlines_by_year: dict[int, dict[str, datetime.date]] = defaultdict(dict)
    for rate in premium_rate_list_closing(today=today, within_days=days, kind=PremiumKind.RESIDENT_MEDICAL):
        deadlines_by_year[rate.year][rate.region_code] = rate.collection_end
    sent = 0
    for year, deadlines in deadlines_by_year.items():
        bounds = binding_list_active_for_beneficiary_regions(region_codes=list(deadlines)).aggregate(
            low=Min("authorizer_id"), high=Max("authorizer_id")
        )
        if bounds["low"] is None:
            continue
        for start in range(bounds["low"], bounds["high"] + 1, batch):
            sent += _remind(year=year, deadlines=deadlines, authorizer_ids=(start, start + batch))
    return sent


def _remind(*, year: int, deadlines: dict[str, datetime.date], authorizer_ids: tuple[int, int]) -> int:
    paid = Payment.objects.filter(
        beneficiary_id=OuterRef("beneficiary_id"),
        year=year,
        kind=PremiumKind.RESIDENT_MEDICAL,
        status=PaymentStatus.SETTLED,
    )
    unpaid = (
        binding_list_active_for_beneficiary_regions(
            region_codes=list(deadlines),
            authorizer_id_from=authorizer_ids[0],
            authorizer_id_to=authorizer_ids[1],
        )
        .exclude(Exists(paid))
        .order_by("authorizer_id", "created_at", "pk")
        .values_list(
            "authorizer__person_id", "beneficiary__region_code", "beneficiary__person__name", "relation"
        )
    )
    relatives: dict[tuple[int, datetime.date], list[dict[str, str]]] = defaultdict(list)
    for person_id, region_code, name, relation in unpaid:
        relatives[person_id, deadlines[region_code]].append({"name": name, "relation": relation})
    return len(
        notices_send(
            drafts=[
                NoticeDraft(
                    person_id=person_id,
                    kind=NoticeKind.PREMIUM_REMINDER,
                    facts={"year": year, "deadline": deadline.isoformat(), "relatives": names},
                    link_kind=NoticeLink.PAY,
                    dedup_key=f"premium_reminder:{year}:{deadline.isoformat()}",
                )
                for (person_id, deadline), names in relatives.items()
            ]
        )
    )
