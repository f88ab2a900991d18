"""Delivery outside the portal: after the commit a task sends each notice through every sender and
marks it delivered; a sweep takes what is still undelivered a minute later. A broker or a sender that
is down loses no notice, and never undoes the change the notice tells of."""

import datetime
import logging
import threading
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from notices.models import Notice, NoticeKind
from notices.services import notice_send, notices_deliver, notices_redeliver_pending
from notices.tasks import notices_deliver_task, notices_redeliver_task
from payments.models import Payment, PaymentStatus
from tests.factories import PersonFactory
from tests.notices.senders import RecordingSender
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
    """Every notice as if written this many minutes ago."""
    Notice.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=minutes))


def test_both_sides_are_emailed_after_the_commit_in_chinese(
    family, year, actor_for, django_capture_on_commit_callbacks
):
    with_email(family.authorizer, "son@example.cn")
    with_email(family.beneficiary, "father@example.cn")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pay(family, year, actor_for())
    assert mail.outbox == []
    assert not Notice.objects.filter(delivered_at__isnull=False).exists()

    for callback in callbacks:
        callback()
    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == ["father@example.cn", "son@example.cn"]
    assert by_address["son@example.cn"].subject == "个人账户支出"
    assert "您的父母张国强" in by_address["son@example.cn"].body
    assert by_address["father@example.cn"].subject == "保费已缴纳"
    assert "您的子女张伟" in by_address["father@example.cn"].body
    assert Notice.objects.filter(delivered_at__isnull=True).count() == 0


def test_a_person_without_an_address_has_his_notice_in_the_portal_only(
    family, year, actor_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pay(family, year, actor_for())

    assert mail.outbox == []
    # Nothing more to deliver: the sweep will not take them again.
    assert [(n.delivered_at is not None, n.delivery_attempts) for n in Notice.objects.all()] == [
        (True, 1)
    ] * 2


def test_a_plugged_in_sender_delivers_each_notice_as_email_does(
    family, year, actor_for, settings, django_capture_on_commit_callbacks
):
    settings.NOTICE_SENDERS = ["notices.senders.EmailSender", RECORDING]
    with_email(family.authorizer, "son@example.cn")

    with django_capture_on_commit_callbacks(execute=True):
        pay(family, year, actor_for())

    phones = {family.authorizer.person.phone, family.beneficiary.person.phone}
    assert {phone for _id, phone in RecordingSender.sent} == phones
    assert [message.to for message in mail.outbox] == [["son@example.cn"]]


def test_a_failing_sender_is_logged_once_per_notice_and_the_payment_stands(
    family, year, actor_for, settings, caplog, django_capture_on_commit_callbacks
):
    settings.NOTICE_SENDERS = [FAILING]

    with caplog.at_level(logging.ERROR, logger="notices.services"):
        with django_capture_on_commit_callbacks(execute=True):
            payment = pay(family, year, actor_for())

    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SETTLED
    failures = [r for r in caplog.records if "FailingSender failed" in r.getMessage()]
    assert len(failures) == 2  # one per notice, not one per layer
    assert list(Notice.objects.values_list("delivered_at", "delivery_attempts")) == [(None, 1)] * 2


def test_a_broker_that_is_down_leaves_the_notices_to_the_sweep(
    family, year, actor_for, caplog, django_capture_on_commit_callbacks
):
    with_email(family.authorizer, "son@example.cn")
    broker_down = mock.patch.object(
        notices_deliver_task, "apply_async", side_effect=OperationalError("connection refused")
    )

    with broker_down as publish, caplog.at_level(logging.WARNING, logger="notices.services"):
        with django_capture_on_commit_callbacks(execute=True):
            pay(family, year, actor_for())
        # The next commits do not wait on the dead broker again: the sweep delivers theirs too.
        with django_capture_on_commit_callbacks(execute=True):
            notice_send(person_id=family.authorizer.person_id, kind=NoticeKind.PREMIUM_REMINDER, facts={})
    assert publish.call_count == 1
    assert any("broker unavailable" in r.getMessage() for r in caplog.records)
    assert mail.outbox == []
    assert Notice.objects.filter(delivered_at__isnull=True).count() == 3

    assert notices_redeliver_pending() == 0  # written just now: the after-commit task may still come
    age(minutes=2)
    notices_redeliver_task.delay()

    assert Notice.objects.filter(delivered_at__isnull=True).count() == 0
    assert len(mail.outbox) == 2  # the son's two notices; his father has no address


def test_the_sweep_tries_a_failing_notice_again_and_gives_up_after_the_last_attempt(family, settings, caplog):
    settings.NOTICE_SENDERS = [FAILING]
    settings.NOTICE_DELIVERY_MAX_ATTEMPTS = 3
    notice_send(person_id=family.authorizer.person_id, kind=NoticeKind.PREMIUM_REMINDER, facts={})
    age(minutes=2)

    for _ in range(5):
        notices_redeliver_pending()

    notice = Notice.objects.get()
    assert (notice.delivered_at, notice.delivery_attempts) == (None, 3)
    settings.NOTICE_SENDERS = [RECORDING]
    Notice.objects.update(delivery_attempts=0)
    notices_redeliver_pending()
    assert Notice.objects.get().delivered_at is not None


def test_a_delivered_notice_is_never_sent_again(family, settings):
    settings.NOTICE_SENDERS = [RECORDING]
    notice_id = notice_send(person_id=family.beneficiary.person_id, kind=NoticeKind.PREMIUM_PAID, facts={})
    assert notice_id is not None

    notices_deliver(notice_ids=[notice_id])
    notices_deliver(notice_ids=[notice_id])
    age(minutes=2)
    notices_redeliver_pending()

    assert RecordingSender.sent == [(notice_id, family.beneficiary.person.phone)]


def test_the_task_and_the_sweep_at_once_send_a_notice_once(transactional_db, settings):
    """The one sending holds the notice's row; the other skips it rather than send it twice."""
    settings.NOTICE_SENDERS = ["tests.notices.senders.SlowRecordingSender"]
    person = PersonFactory()
    notice_id = notice_send(person_id=person.pk, kind=NoticeKind.PREMIUM_REMINDER, facts={})
    age(minutes=2)
    RecordingSender.sent.clear()  # written outside a transaction: the after-commit delivery ran already
    Notice.objects.update(delivered_at=None, delivery_attempts=0)

    def run(deliver):
        try:
            deliver()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(lambda: notices_deliver_task.delay(notice_ids=[notice_id]),)),
        threading.Thread(target=run, args=(notices_redeliver_pending,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert RecordingSender.sent == [(notice_id, person.phone)]
    assert Notice.objects.get().delivery_attempts == 1
