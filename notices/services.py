"""Notices: written with the change they tell of, in its transaction; delivered outside the portal
after the commit, from the row, so a broker or mail server that is down loses none."""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Collection, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from common.faults import FaultLog
from notices.models import Notice, NoticeKind, NoticeLink
from notices.senders import notice_senders
from notices.tasks import notices_deliver_task

logger = logging.getLogger(__name__)

# Notices handed to one delivery task (a roster import may end thousands of bindings at once).
DELIVERY_BATCH = 200
# The sweep reads its queue in pages of this size.
REDELIVER_BATCH = 500
# After a failed publish, the next ones are skipped for a while: a broker that is down would make every
# commit wait for its connection timeout, and the sweep delivers anyway.
BROKER_DOWN_FLAG = "notices:broker-down"
BROKER_DOWN_SECONDS = 30
# Logged when the broker goes away and when a publish gets through again; the sweep delivers meanwhile.
notices_broker = FaultLog("notices: broker", logger)


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
    dedup_key the person has had already; the ids written. Delivered after the commit."""
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
    notices_deliver_after_commit(notice_ids=ids)
    return ids


def notices_deliver_after_commit(*, notice_ids: Sequence[int]) -> None:
    """Hands the notices to a delivery task once the caller's transaction commits (at once outside
    one); a rolled-back change delivers nothing."""
    for start in range(0, len(notice_ids), DELIVERY_BATCH):
        batch = list(notice_ids[start : start + DELIVERY_BATCH])
        transaction.on_commit(partial(_publish, notice_ids=batch), robust=True)


def _publish(*, notice_ids: list[int]) -> None:
    try:
        if cache.get(BROKER_DOWN_FLAG):
            return
    except Exception:
        # The cache is Redis, as the broker is: with Redis away this process's own memory of the
        # failure keeps each commit from waiting on the broker (and from logging).
        if notices_broker.failed_within(BROKER_DOWN_SECONDS):
            return
    try:
        notices_deliver_task.apply_async(kwargs={"notice_ids": notice_ids}, retry=False)
    except OperationalError as exc:
        with suppress(Exception):
            cache.set(BROKER_DOWN_FLAG, 1, BROKER_DOWN_SECONDS)
        notices_broker.failed(exc)
        return
    except Exception:
        # In-process (eager) delivery that failed: the sweep takes the notices again.
        logger.exception("notices: delivery after commit failed; the sweep will deliver them")
        return
    notices_broker.recovered()


def notices_deliver(*, notice_ids: Collection[int]) -> int:
    """Delivers each of these notices not delivered yet through every sender; how many it delivered.

    Each notice is locked while it is sent, so the after-commit task and the sweep never both send
    it. A sender's failure is logged, counted on the notice (the sweep tries again, a bounded number
    of times) and never touches the change the notice tells of.
    """
    delivered = 0
    for notice_id in sorted(notice_ids):
        with transaction.atomic():
            notice = (
                Notice.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("person")
                .filter(pk=notice_id, delivered_at__isnull=True)
                .first()
            )
            if notice is None:
                continue
            failed = False
            for sender in notice_senders():
                try:
                    sender.send(notice=notice)
                except Exception:
                    failed = True
                    logger.exception(
                        "notice %s: %s failed (attempt %s)",
                        notice.pk,
                        type(sender).__name__,
                        notice.delivery_attempts + 1,
                    )
            Notice.objects.filter(pk=notice.pk).update(
                delivery_attempts=F("delivery_attempts") + 1,
                delivered_at=None if failed else timezone.now(),
            )
            delivered += not failed
    return delivered


def notices_redeliver_pending(*, batch: int = REDELIVER_BATCH) -> int:
    """The sweep: delivers the notices still undelivered a while after they were written (their
    after-commit task never ran, or a sender failed), each tried once per sweep."""
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.NOTICE_REDELIVER_AFTER_SECONDS)
    pending = Notice.objects.filter(
        delivered_at__isnull=True,
        created_at__lt=cutoff,
        delivery_attempts__lt=settings.NOTICE_DELIVERY_MAX_ATTEMPTS,
    ).order_by("pk")
    delivered, after = 0, 0
    while ids := list(pending.filter(pk__gt=after).values_list("pk", flat=True)[:batch]):
        delivered += notices_deliver(notice_ids=ids)
        after = ids[-1]
    return delivered


def notices_mark_read(*, person_id: int, notice_ids: Collection[int] | None = None) -> int:
    """Marks the person's unread notices read (all, or those of these ids that are his); how many."""
    notices = Notice.objects.filter(person_id=person_id, read_at__isnull=True)
    if notice_ids is not None:
        notices = notices.filter(pk__in=list(notice_ids))
    return notices.update(read_at=timezone.now())
