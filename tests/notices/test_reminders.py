"""Before a collection period closes, each authorizer with unpaid bound relatives hears of them once:
once per authorizer, year and deadline, however often and however concurrently the task runs."""

import datetime
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override

from mutual_aid.models import Binding, BindingStatus, EndReason, Relation
from notices.models import Notice, NoticeKind
from notices.rendering import notice_link
from payments.services.reminders import premium_reminders_send
from payments.tasks import premium_reminders_task
from tests.conftest import raw_connection
from tests.factories import (
    NANJING,
    SUZHOU,
    BindingFactory,
    EmployeeFactory,
    PersonFactory,
    PremiumRateFactory,
    ResidentFactory,
)
from tests.notices.reading import notices_of, texts_of
from tests.payments.paying import payment_create_for_relative


def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def closing(db, year):
    """The year's collection period in Dalian ends in ten days: inside the 14 days of the reminder."""
    return PremiumRateFactory(
        year=year,
        collection_start=today() - datetime.timedelta(days=60),
        collection_end=today() + datetime.timedelta(days=10),
    )


@pytest.fixture
def son(db):
    return EmployeeFactory(person=PersonFactory(name="张伟"), balance_fen=100_000)


def relative(authorizer, name, relation=Relation.PARENT, **kwargs):
    return BindingFactory(
        authorizer=authorizer,
        beneficiary=ResidentFactory(person=PersonFactory(name=name), **kwargs),
        relation=relation,
    )


def test_an_authorizer_hears_of_his_unpaid_relatives_and_the_deadline(closing, son, year, actor_for):
    relative(son, "张国强")
    relative(son, "张小雨", relation=Relation.CHILD)
    paid = relative(son, "李秀兰")
    payment_create_for_relative(authorizer=son, beneficiary=paid.beneficiary, year=year, actor=actor_for())

    assert premium_reminders_send() == 1

    [reminder] = [n for n in notices_of(son.person) if n.kind == NoticeKind.PREMIUM_REMINDER]
    assert notice_link(reminder) == "/pay/"
    deadline = closing.collection_end
    with override("en"):
        english_deadline = date_format(deadline, "DATE_FORMAT")
    assert texts_of(son.person, "en")[-1] == (
        f"Reminder: the {year} resident premium is not paid yet for 张国强 (your parent), "
        f"张小雨 (your child). The collection period ends on {english_deadline}; pay before then to keep "
        "them covered."
    )
    assert texts_of(son.person, "zh-hans")[-1] == (
        f"提醒：您的父母张国强、您的子女张小雨的{year}年度城乡居民医保个人缴费尚未缴纳。"
        f"集中征缴期于{deadline.year}年{deadline.month}月{deadline.day}日结束，请在此之前缴费，以免影响其医保待遇。"
    )


def test_a_reminder_is_sent_once_however_often_the_task_runs(closing, son):
    relative(son, "张国强")

    premium_reminders_task.delay()
    premium_reminders_task.delay()

    assert premium_reminders_send() == 0
    assert Notice.objects.filter(kind=NoticeKind.PREMIUM_REMINDER).count() == 1


def test_no_reminder_for_a_family_all_paid_nor_for_an_ended_binding(closing, son, year, actor_for):
    paid = relative(son, "张国强")
    payment_create_for_relative(authorizer=son, beneficiary=paid.beneficiary, year=year, actor=actor_for())
    ended = relative(EmployeeFactory(), "王芳")
    Binding.objects.filter(pk=ended.pk).update(
        status=BindingStatus.ENDED, ended_at=timezone.now(), end_reason=EndReason.AUTHORIZER_UNBOUND
    )

    assert premium_reminders_send() == 0


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (-60, 30),  # the period ends in a month: too early to remind
        (-60, -1),  # it ended yesterday: too late, the year cannot be paid any more
        (1, 10),  # it has not opened yet
    ],
)
def test_no_reminder_outside_the_days_before_the_deadline(db, year, son, start, end):
    PremiumRateFactory(
        year=year,
        collection_start=today() + datetime.timedelta(days=start),
        collection_end=today() + datetime.timedelta(days=end),
    )
    relative(son, "张国强")

    assert premium_reminders_send() == 0
    assert premium_reminders_send(days_before=40) == (1 if (start, end) == (-60, 30) else 0)


def test_each_deadline_has_its_own_reminder(db, year):
    """Across a province, relatives in two cities have two deadlines: one reminder for each."""
    for region, days in ((NANJING, 5), (SUZHOU, 9)):
        PremiumRateFactory(
            region_code=region,
            year=year,
            collection_start=today() - datetime.timedelta(days=60),
            collection_end=today() + datetime.timedelta(days=days),
        )
    authorizer = EmployeeFactory(region_code=NANJING)
    relative(authorizer, "王强", region_code=NANJING)
    relative(authorizer, "王芳", region_code=SUZHOU)

    assert premium_reminders_send() == 2

    reminders = Notice.objects.filter(person=authorizer.person, kind=NoticeKind.PREMIUM_REMINDER).order_by(
        "pk"
    )
    assert [(r.facts["deadline"], [x["name"] for x in r.facts["relatives"]]) for r in reminders] == [
        ((today() + datetime.timedelta(days=5)).isoformat(), ["王强"]),
        ((today() + datetime.timedelta(days=9)).isoformat(), ["王芳"]),
    ]


def test_small_batches_remind_the_same_people_of_the_same_relatives(closing):
    families = [EmployeeFactory() for _ in range(3)]
    for authorizer in families:
        relative(authorizer, "赵敏")
        relative(authorizer, "黄强")

    assert premium_reminders_send(batch=1) == 3

    reminders = Notice.objects.filter(kind=NoticeKind.PREMIUM_REMINDER)
    assert sorted(r.person_id for r in reminders) == sorted(a.person_id for a in families)
    assert all(len(r.facts["relatives"]) == 2 for r in reminders)


def test_two_runs_at_once_send_one_reminder(transactional_db, year):
    """The second run's insert waits on the first's uncommitted reminder (the unique key), then skips it:
    no run checks first and writes after."""
    PremiumRateFactory(
        year=year,
        collection_start=today() - datetime.timedelta(days=60),
        collection_end=today() + datetime.timedelta(days=10),
    )
    relative(EmployeeFactory(), "张国强")
    sent: dict[str, int] = {}
    written, release = threading.Event(), threading.Event()

    def first():
        try:
            with transaction.atomic():
                sent["first"] = premium_reminders_send()
                written.set()
                release.wait(10)
        finally:
            connection.close()

    def second():
        written.wait(10)
        try:
            sent["second"] = premium_reminders_send()
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    with raw_connection(autocommit=True) as watcher:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            ).fetchone()
            if waiting and waiting[0]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the second run never waited on the first's reminder")
    release.set()
    for thread in threads:
        thread.join(20)

    assert sent == {"first": 1, "second": 0}
    assert Notice.objects.filter(kind=NoticeKind.PREMIUM_REMINDER).count() == 1
