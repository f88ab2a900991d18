"""Notices: written with the change they tell of, in its transaction; delivered outside the portal by
the relay from the rows, so no commit waits on a broker or a mail server, and one that is down loses
none."""

from __future__ import annotations

import datetime
import json
import logging
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from common.db_errors import unless_database_away
from common.faults import FaultLog
from notices.models import Notice, NoticeKind, NoticeLink
from notices.senders import Sender, notice_senders, notice_senders_batch

logger = logging.getLogger(__name__)

# Notices claimed at a time by the relay's round: a round that dies mid-batch leaves at most these to
# their next try.
DELIVERY_BATCH = 50
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


def notices_deliver_pending(*, batch: int = DELIVERY_BATCH, seconds: float | None = None) -> int:
    """The relay's round: delivers the notices that are due through every sender, a batch at a time,
    until none is left or the round has taken `seconds` (NOTICE_RELAY_SECONDS: the next round comes
    then); how many it delivered.

    A batch is claimed in a statement of its own, its try counted and its next try set, before any
    is sent: no transaction stays open and no row locked while a sender talks to the outside, and a
    round beside this one takes other notices. A sender that fails leaves its notice to its next
    try, NOTICE_RETRY_SECONDS times its tries later; after NOTICE_DELIVERY_MAX_ATTEMPTS tries it is
    given up (given_up_at) and stays in the portal only. A round that dies mid-batch leaves its
    batch to that next try as well: a notice may then go out twice (senders should tolerate a
    repeat), never in a loop and never lost. A sender's failure never touches the change the notice
    tells of.
    """
    deadline = time.monotonic() + (settings.NOTICE_RELAY_SECONDS if seconds is None else seconds)
    delivered = 0
    while True:
        notices = _claimed(batch)
        if not notices:
            return delivered
        senders = notice_senders()
        with notice_senders_batch(senders):
            sent = {notice.pk for notice in notices if _sent(notice, senders)}
        failed = [notice.pk for notice in notices if notice.pk not in sent]
        now = timezone.now()
        if sent:
            Notice.objects.filter(pk__in=sent).update(delivered_at=now)
        if failed:
            Notice.objects.filter(
                pk__in=failed, delivery_attempts__gte=settings.NOTICE_DELIVERY_MAX_ATTEMPTS
            ).update(given_up_at=now)
        delivered += len(sent)
        if len(notices) < batch or time.monotonic() >= deadline:
            return delivered


def notices_deliver_round() -> int | None:
    """A round of the notices' relay, run again and again: as notices_deliver_pending, or None while
    the database is away."""
    return unless_database_away(notices_deliver_pending, fault=relay_database)


# The queue's partial index (notice_to_deliver) answers the SELECT in next_try_at order. The batch is
# chosen once (MATERIALIZED): a LIMIT in a subquery of the UPDATE may be run again for each row the
# plan joins, and each run would lock and return other rows, claiming more than the batch.
CLAIM_SQL = """
WITH batch AS MATERIALIZED (
    SELECT q.id FROM notices_notice q
    WHERE q.delivered_at IS NULL AND q.given_up_at IS NULL AND q.next_try_at <= %(now)s
    ORDER BY q.next_try_at, q.id
    LIMIT %(batch)s
    FOR UPDATE SKIP LOCKED
)
UPDATE notices_notice n
SET delivery_attempts = n.delivery_attempts + 1,
    next_try_at = %(now)s + %(retry)s * (n.delivery_attempts + 1)
FROM batch
WHERE n.id = batch.id
RETURNING n.id
"""


def _claimed(batch: int) -> list[Notice]:
    """The next `batch` due notices (with their persons), their try counted and the next one set."""
    params: dict[str, Any] = {
        "now": timezone.now(),
        "retry": datetime.timedelta(seconds=settings.NOTICE_RETRY_SECONDS),
        "batch": batch,
    }
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, params)
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    return list(Notice.objects.select_related("person").filter(pk__in=ids).order_by("pk"))


def _sent(notice: Notice, senders: list[Sender]) -> bool:
    """Sends the notice through every sender; whether all of them succeeded."""
    sent = True
    for sender in senders:
        try:
            sender.send(notice=notice)
        except Exception:
            sent = False
            logger.exception(
                "notice %s: %s failed (attempt %s)",
                notice.pk,
                type(sender).__name__,
                notice.delivery_attempts,
            )
    return sent


def notices_mark_read(*, person_id: int, notice_ids: Collection[int] | None = None) -> int:
    """Marks the person's unread notices read (all, or those of these ids that are his); how many."""
    notices = Notice.objects.filter(person_id=person_id, read_at__isnull=True)
    if notice_ids is not None:
        notices = notices.filter(pk__in=list(notice_ids))
    return notices.update(read_at=timezone.now())
