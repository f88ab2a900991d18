"""Notices: written with the change they tell of, in its transaction; delivered outside the portal by
the relay from the rows, so no commit waits on a broker or a mail server, and one that is down loses
none."""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, Value, When
from django.utils import timezone

from common.db_errors import unless_database_away
from common.faults import FaultLog
from notices.models import Notice, NoticeKind, NoticeLink
from notices.senders import notice_senders

logger = logging.getLogger(__name__)

# Notices sent in one transaction of the relay's round (their rows locked meanwhile).
DELIVERY_BATCH = 200
# The relay runs every few seconds: an outage is logged as it starts and as it ends, not every round.
relay_database = FaultLog("notices relay: database", logger)


@dataclass(frozen=True)
class NoticeDraft:
    """A notice to write: to whom, what kind, the facts its text is rendered from, what it is about."""

    person_id: int
    kind: NoticeKind
    facts: Mapping[str, Any]
    link_kind: NoticeLink | None = None
    link_id: int | None = None
    # At most one notice per person and key (e.g. one reminder per year and deadline).
    dedup_key: str = ""


def notice_send(
    *,
    person_id: int,
    kind: NoticeKind,
    facts: Mapping[str, Any],
    link_kind: NoticeLink | None = None,
    link_id: int | None = None,
    dedup_key: str = "",
) -> int | None:
    """Writes one notice in the caller's transaction; its id, or None if its dedup_key was sent before."""
    ids = notices_send(
        drafts=[
            NoticeDraft(
                person_id=person_id,
                kind=kind,
                facts=facts,
                link_kind=link_kind,
                link_id=link_id,
                dedup_key=dedup_key,
            )
        ]
    )
    return ids[0] if ids else None


def notices_send(*, drafts: Sequence[NoticeDraft]) -> list[int]:
    """Writes the notices in one statement (notices/migrations/sql/notices.sql), skipping those whose
    dedup_key the person has had already; the ids written. The relay delivers them after the commit."""
    if not drafts:
        return []
    params: list[Any] = [
        [draft.person_id for draft in drafts],
        [str(draft.kind) for draft in drafts],
        [json.dumps(draft.facts, cls=DjangoJSONEncoder, ensure_ascii=False) for draft in drafts],
        [str(draft.link_kind) if draft.link_kind else "" for draft in drafts],
        [draft.link_id for draft in drafts],
        [draft.dedup_key for draft in drafts],
        timezone.now(),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM notices_post_many("
            "%s::bigint[], %s::text[], %s::text[]::jsonb[], %s::text[], %s::bigint[], %s::text[], %s)",
            params,
        )
        ids = [row[0] for row in cursor.fetchall()]
    return ids


def notices_deliver_pending(*, batch: int = DELIVERY_BATCH) -> int:
    """The relay's round: delivers every notice that is due through every sender, a batch per
    transaction; how many it delivered.

    A notice is due once written, and after a failed try again NOTICE_RETRY_SECONDS times its tries
    after it was written, up to NOTICE_DELIVERY_MAX_ATTEMPTS tries; then it is given up (given_up_at)
    and stays in the portal only. The batch's rows are locked while
    they are sent and skipped by a round running beside this one, so no notice is sent twice. A
    sender's failure is logged, counted on the notice and never touches the change it tells of.
    """
    delivered, after = 0, 0
    while True:
        with transaction.atomic():
            notices = list(
                _due(timezone.now())
                .filter(pk__gt=after)
                .select_for_update(of=("self",), skip_locked=True)
                .select_related("person")
                .order_by("pk")[:batch]
            )
            sent = [notice.pk for notice in notices if _sent(notice)]
            failed = sorted({notice.pk for notice in notices} - set(sent))
            if sent:
                Notice.objects.filter(pk__in=sent).update(
                    delivery_attempts=F("delivery_attempts") + 1, delivered_at=timezone.now()
                )
            if failed:
                last_try = settings.NOTICE_DELIVERY_MAX_ATTEMPTS - 1
                Notice.objects.filter(pk__in=failed).update(
                    delivery_attempts=F("delivery_attempts") + 1,
                    given_up_at=Case(When(delivery_attempts__gte=last_try, then=Value(timezone.now()))),
                )
        delivered += len(sent)
        if len(notices) < batch:
            return delivered
        after = notices[-1].pk


def notices_deliver_round() -> int | None:
    """A round of the notices' relay, run again and again: as notices_deliver_pending, or None while
    the database is away."""
    return unless_database_away(notices_deliver_pending, fault=relay_database)


def _due(now: datetime.datetime):
    retry = datetime.timedelta(seconds=settings.NOTICE_RETRY_SECONDS)
    tried_long_enough_ago = ExpressionWrapper(
        Value(now) - F("delivery_attempts") * Value(retry), output_field=DateTimeField()
    )
    # The first two conditions are the queue's partial index (notice_to_deliver).
    return Notice.objects.filter(
        delivered_at__isnull=True,
        given_up_at__isnull=True,
        delivery_attempts__lt=settings.NOTICE_DELIVERY_MAX_ATTEMPTS,
        created_at__lte=tried_long_enough_ago,
    )


def _sent(notice: Notice) -> bool:
    """Sends the notice through every sender; whether all of them succeeded."""
    sent = True
    for sender in notice_senders():
        try:
            sender.send(notice=notice)
        except Exception:
            sent = False
            logger.exception(
                "notice %s: %s failed (attempt %s)",
                notice.pk,
                type(sender).__name__,
                notice.delivery_attempts + 1,
            )
    return sent


def notices_mark_read(*, person_id: int, notice_ids: Collection[int] | None = None) -> int:
    """Marks the person's unread notices read (all, or those of these ids that are his); how many."""
    notices = Notice.objects.filter(person_id=person_id, read_at__isnull=True)
    if notice_ids is not None:
        notices = notices.filter(pk__in=list(notice_ids))
    return notices.update(read_at=timezone.now())
