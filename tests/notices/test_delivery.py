"""Delivery outside the portal: the notices' relay claims the due notices in batches, sends each
through every sender and marks it delivered; a failing sender's notice is tried again later, a bounded
number of times. No commit publishes anything or waits on a broker, no row is locked while a sender
talks to the outside; a sender that is down loses no notice and never undoes the change the notice
tells of; two rounds never send a notice twice, and a round that dies leaves its batch to the next
try."""

import datetime
import logging
import threading

import pytest
from django.core import mail
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notices import services
from notices.models import Notice, NoticeKind
from notices.services import notice_send, notices_deliver_pending
from notices.tasks import notices_deliver_task
from tests.factories import PersonFactory
from tests.notices.senders import LockProbingSender, RecordingSender, RelayKilled
from tests.payments.paying import payment_create_for_relative

RECORDING = "tests.notices.senders.RecordingSender"
FAILING = "tests.notices.senders.FailingSender"


@pytest.fixture(autouse=True)
def _fresh_recording():
    RecordingSender.sent.clear()
    yield
    RecordingSender.sent.clear()


def pay(family, year, actor):
    return payment_create_for_relative(
        authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor
    )


def with_email(insuree, email):
    insuree.person.email = email
    insuree.person.save()


def age(minutes: int) -> None:
    """Every notice, and its next try, this many minutes earlier."""
    earlier = datetime.timedelta(minutes=minutes)
    Notice.objects.update(created_at=F("created_at") - earlier, next_try_at=F("next_try_at") - earlier)


def test_both_sides_are_emailed_by_the_relay_in_chinese(
    family, year, actor_for, django_capture_on_commit_callbacks
):
    with_email(family.authorizer, "son@example.cn")
    with_email(family.beneficiary, "father@example.cn")

    with django_capture_on_commit_callbacks(execute=True):
        pay(family, year, actor_for())
    assert mail.outbox == []  # the commit publishes nothing: the relay's round sends
    assert not Notice.objects.filter(delivered_at__isnull=False).exists()

    assert notices_deliver_task.delay().get() == 2
    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == ["father@example.cn", "son@example.cn"]
    assert by_address["son@example.cn"].subject == "个人账户支出"
    assert "您的父母张国强" in by_address["son@example.cn"].body
    assert by_address["father@example.cn"].subject == "保费已缴纳"
    assert "您的子女张伟" in by_address["father@example.cn"].body
    assert Notice.objects.filter(delivered_at__isnull=True).count() == 0


def test_a_person_without_an_address_has_his_notice_in_the_portal_only(family, year, actor_for):
    pay(family, year, actor_for())
    notices_deliver_pending()

    assert mail.outbox == []
    # Nothing more to deliver: a later round will not take them again.
    assert [(n.delivered_at is not None, n.delivery_attempts) for n in Notice.objects.all()] == [
        (True, 1)
    ] * 2
    assert notices_deliver_pending() == 0


def test_a_plugged_in_sender_delivers_each_notice_as_email_does(family, year, actor_for, settings):
    settings.NOTICE_SENDERS = ["notices.senders.EmailSender", RECORDING]
    with_email(family.authorizer, "son@example.cn")

    pay(family, year, actor_for())
    notices_deliver_pending()

    phones = {family.authorizer.person.phone, family.beneficiary.person.phone}
    assert {phone for _id, phone in RecordingSender.sent} == phones
    assert [message.to for message in mail.outbox] == [["son@example.cn"]]


def test_a_round_delivers_a_backlog_larger_than_a_batch_in_order(family, settings):
    settings.NOTICE_SENDERS = [RECORDING]
    ids = [
        notice_send(person_id=family.beneficiary.person_id, kind=NoticeKind.PREMIUM_REMINDER, facts={})
        for _ in range(7)
    ]

    with CaptureQueriesContext(connection) as queries:
        assert notices_deliver_pending(batch=3) == 7

    assert [notice_id for notice_id, _phone in RecordingSender.sent] == ids
    claims = [q for q in queries.captured_queries if "WITH batch AS MATERIALIZED" in q["sql"]]
    assert len(claims) == 3  # 3 + 3 + 1


def test_a_round_ends_after_its_time_even_with_a_backlog_left(family, settings):
    settings.NOTICE_SENDERS = [RECORDING]
    for _ in range(5):
        notice_send(person_id=family.beneficiary.person_id, kind=NoticeKind.PREMIUM_REMINDER, facts={})

    assert notices_deliver_pending(batch=2, seconds=0) == 2  # one batch, then the next round's turn
    assert notices_deliver_pending(batch=2) == 3


def test_a_failing_sender_is_logged_once_per_notice_and_the_payment_stands(
    family, year, actor_for, settings, caplog
):
    settings.NOTICE_SENDERS = [FAILING]

    payment = pay(family, year, actor_for())
    with caplog.at_level(logging.ERROR, logger="notices.services"):
        assert notices_deliver_pending() == 0

    payment.refresh_from_db()
    assert payment.status == "settled"
    failures = [r for r in caplog.records if "FailingSender failed" in r.getMessage()]
    assert len(failures) == 2  # one per notice, not one per layer
    assert list(Notice.objects.values_list("delivered_at", "delivery_attempts")) == [(None, 1)] * 2


def test_a_failed_notice_waits_longer_after_each_try_and_is_given_up_after_the_last(family, settings):
    settings.NOTICE_SENDERS = [FAILING]
    settings.NOTICE_DELIVERY_MAX_ATTEMPTS = 3
    settings.NOTICE_RETRY_SECONDS = 60
    notice_send(person_id=family.authorizer.person_id, kind=NoticeKind.PREMIUM_REMINDER, facts={})

    def tries() -> int:
        return Notice.objects.get().delivery_attempts

    notices_deliver_pending()
    notices_deliver_pending()
    assert tries() == 1  # the next try comes a minute after the first
    age(minutes=1)
    notices_deliver_pending()
    assert tries() == 2
    age(minutes=1)
    notices_deliver_pending()
    assert tries() == 2  # and the third two minutes after the second, however late the round came
    age(minutes=1)
    notices_deliver_pending()
    age(minutes=60)
    notices_deliver_pending()
    notice = Notice.objects.get()
    assert (notice.delivered_at, notice.delivery_attempts) == (None, 3)
    assert notice.given_up_at is not None  # out of the relay's queue

    settings.NOTICE_SENDERS = [RECORDING]
    notices_deliver_pending()
    assert Notice.objects.get().delivered_at is None  # the gateway mended, a given-up notice stays
    Notice.objects.update(delivery_attempts=0, given_up_at=None)  # an operator's choice to send again
    notices_deliver_pending()
    assert Notice.objects.get().delivered_at is not None


def test_a_round_that_dies_mid_batch_leaves_its_batch_to_the_next_try_not_to_the_next_round(family, settings):
    settings.NOTICE_SENDERS = ["tests.notices.senders.DyingSender"]
    for _ in range(4):
        notice_send(person_id=family.beneficiary.person_id, kind=NoticeKind.PREMIUM_REMINDER, facts={})

    with pytest.raises(RelayKilled):
        notices_deliver_pending()
    assert len(RecordingSender.sent) == 2
    # Each try counted before anything was sent: the next round does not send the batch again at once.
    assert list(Notice.objects.values_list("delivery_attempts", flat=True)) == [1] * 4
    settings.NOTICE_SENDERS = [RECORDING]
    assert notices_deliver_pending() == 0

    age(minutes=1)
    assert notices_deliver_pending() == 4  # at least once: the two sent before the end go again
    assert Notice.objects.filter(delivered_at__isnull=True).count() == 0


def test_no_row_is_locked_while_a_sender_talks_to_the_outside(transactional_db, settings):
    """A person marking his notices read, or a payment writing one, never waits for a gateway."""
    settings.NOTICE_SENDERS = ["tests.notices.senders.LockProbingSender"]
    LockProbingSender.unlocked.clear()
    person = PersonFactory()
    for _ in range(3):
        notice_send(person_id=person.pk, kind=NoticeKind.PREMIUM_REMINDER, facts={})

    assert notices_deliver_pending() == 3
    assert LockProbingSender.unlocked == [True] * 3


def test_the_relays_queue_reads_only_the_notices_still_to_deliver(family, settings):
    """A round every two seconds: its scan must not grow with the notices delivered or given up."""
    settings.NOTICE_SENDERS = [RECORDING]
    for _ in range(3):
        notice_send(person_id=family.authorizer.person_id, kind=NoticeKind.PREMIUM_REMINDER, facts={})
    notices_deliver_pending()
    # Given up, though otherwise due: undelivered, tries left, its next try long past.
    Notice.objects.filter(pk=Notice.objects.order_by("pk").first().pk).update(
        delivered_at=None,
        delivery_attempts=1,
        given_up_at=timezone.now(),
        next_try_at=timezone.now() - datetime.timedelta(hours=1),
    )
    pending = notice_send(person_id=family.authorizer.person_id, kind=NoticeKind.PREMIUM_REMINDER, facts={})

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN (FORMAT JSON) " + services.CLAIM_SQL,
            {"now": timezone.now(), "retry": datetime.timedelta(minutes=1), "batch": 50},
        )
        plan = cursor.fetchone()[0][0]["Plan"]
    assert "notice_to_deliver" in index_names(plan)
    assert notices_deliver_pending() == 1
    assert [notice_id for notice_id, _phone in RecordingSender.sent][-1] == pending


def index_names(plan: dict) -> set[str]:
    names = {plan["Index Name"]} if "Index Name" in plan else set()
    for child in plan.get("Plans", []):
        names |= index_names(child)
    return names


def test_a_delivered_notice_is_never_sent_again(family, settings):
    settings.NOTICE_SENDERS = [RECORDING]
    notice_id = notice_send(person_id=family.beneficiary.person_id, kind=NoticeKind.PREMIUM_PAID, facts={})
    assert notice_id is not None

    notices_deliver_pending()
    notices_deliver_pending()
    age(minutes=60)
    notices_deliver_pending()

    assert RecordingSender.sent == [(notice_id, family.beneficiary.person.phone)]


def test_two_rounds_at_once_send_a_notice_once(transactional_db, settings):
    """The first round's claim takes the notice (its row skipped while being claimed, its next try set
    after); the other finds nothing due rather than send it twice (beat's round beside relay_outbox
    --loop, or a round that outlasts the interval)."""
    settings.NOTICE_SENDERS = ["tests.notices.senders.SlowRecordingSender"]
    person = PersonFactory()
    notice_id = notice_send(person_id=person.pk, kind=NoticeKind.PREMIUM_REMINDER, facts={})
    started = threading.Barrier(2)

    def run():
        try:
            started.wait(5)
            notices_deliver_pending()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert RecordingSender.sent == [(notice_id, person.phone)]
    assert Notice.objects.get().delivery_attempts == 1


def test_the_relay_task_is_on_beats_schedule_and_expires_rather_than_piling_up(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["deliver-notices"]
    assert entry["task"] == notices_deliver_task.name
    assert entry["schedule"] == settings.NOTICE_RELAY_SECONDS
    assert entry["options"]["expires"] > settings.NOTICE_RELAY_SECONDS
