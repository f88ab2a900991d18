"""The enrollment sync in batches: a drain syncs every open outbox row, a payment starts a drain only
when none is running, and two syncs of the same rows neither double anything nor wait on each other."""

import threading

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from insurees.models import Enrollment
from payments.models import OutboxMessage, Payment
from payments.outbox import DRAIN_FLAG
from payments.outbox.consumer import outbox_drain
from payments.outbox.producer import outbox_publish_after_commit
from payments.services import enrollments_sync_pending, payment_refund, payment_sync_enrollment
from tests.factories import BindingFactory, UserFactory
from tests.payments.test_payment_services import pay


@pytest.fixture(autouse=True)
def _no_drain_running():
    cache.delete(DRAIN_FLAG)
    yield
    cache.delete(DRAIN_FLAG)


@pytest.fixture
def drain_elsewhere():
    """A drain flagged as running elsewhere: payments committed now leave their rows open."""
    cache.set(DRAIN_FLAG, 1, 60)


def open_rows() -> int:
    return OutboxMessage.objects.filter(dispatched_at__isnull=True).count()


def test_one_batch_syncs_every_open_row_and_closes_it(rate, year, actor_for):
    payments = [pay(BindingFactory(), year, actor_for()) for _ in range(3)]
    assert open_rows() == 3

    assert enrollments_sync_pending(limit=10) == 3

    assert open_rows() == 0
    paid = Enrollment.objects.filter(paid=True, year=year)
    assert sorted(paid.values_list("payment_id", flat=True)) == sorted(p.pk for p in payments)
    assert all(p.enrollment_synced for p in Payment.objects.all())
    assert enrollments_sync_pending(limit=10) == 0  # nothing left: a second run changes nothing


def test_a_batch_takes_at_most_its_limit_oldest_first(rate, year, actor_for):
    payments = [pay(BindingFactory(), year, actor_for()) for _ in range(3)]

    assert enrollments_sync_pending(limit=2) == 2

    assert [p.pk for p in Payment.objects.filter(enrollment_synced_at__isnull=True)] == [payments[2].pk]


def test_a_batch_marks_nothing_paid_for_a_refunded_payment(family, year, actor_for):
    payment = pay(family, year, actor_for())
    payment_refund(payment=payment, reason="deceased", note="", operator=UserFactory())

    assert enrollments_sync_pending(limit=10) == 1

    assert not Enrollment.objects.get(insuree=family.beneficiary, year=year).paid
    assert open_rows() == 0


def test_a_drain_runs_until_no_row_is_open_and_then_lets_the_next_payment_start_one(rate, year, actor_for):
    for _ in range(5):
        pay(BindingFactory(), year, actor_for())

    assert outbox_drain(pause=0) == 5

    assert open_rows() == 0
    assert cache.get(DRAIN_FLAG) is None


def test_a_payment_made_while_a_drain_runs_publishes_no_task(monkeypatch, rate, year, actor_for):
    published = []
    monkeypatch.setattr(
        "payments.tasks.enrollment_sync_drain_task.apply_async", lambda **kwargs: published.append(kwargs)
    )
    cache.add(DRAIN_FLAG, 1, 5)  # a drain is running

    outbox_publish_after_commit(payment_ids=[1])
    assert published == []

    cache.delete(DRAIN_FLAG)  # it has finished
    outbox_publish_after_commit(payment_ids=[2])
    assert len(published) == 1
    assert cache.get(DRAIN_FLAG) == 1  # the new drain's


def test_a_broker_that_refuses_the_task_leaves_no_flag_behind(monkeypatch):
    def refuse(**kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("payments.tasks.enrollment_sync_drain_task.apply_async", refuse)

    outbox_publish_after_commit(payment_ids=[1])

    assert cache.get(DRAIN_FLAG) is None  # the next payment, or the relay, tries again


def test_a_drain_that_fails_lets_the_next_payment_start_another(monkeypatch, rate, year, actor_for):
    pay(BindingFactory(), year, actor_for())

    def fail(**kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr("payments.outbox.consumer.enrollments_sync_pending", fail)
    with pytest.raises(RuntimeError):
        outbox_drain(pause=0)

    assert cache.get(DRAIN_FLAG) is None
    assert open_rows() == 1


def test_a_batch_skips_rows_another_sync_holds_and_never_waits(
    transactional_db, drain_elsewhere, rate, year, actor_for
):
    first, second = (pay(BindingFactory(), year, actor_for()) for _ in range(2))
    assert open_rows() == 2
    holding, release = threading.Event(), threading.Event()

    def hold_first_row():
        with transaction.atomic():
            list(OutboxMessage.objects.select_for_update().filter(payment=first))
            holding.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_first_row)
    holder.start()
    try:
        assert holding.wait(10)
        assert enrollments_sync_pending(limit=10) == 1  # returns at once, with the free row only
        assert Payment.objects.get(pk=second.pk).enrollment_synced
        assert not Payment.objects.get(pk=first.pk).enrollment_synced
    finally:
        release.set()
        holder.join(10)
    assert enrollments_sync_pending(limit=10) == 1
    assert open_rows() == 0


def test_a_batch_and_a_redelivered_single_sync_of_the_same_payment_sync_it_once(
    transactional_db, drain_elsewhere, rate, year, actor_for
):
    payments = [pay(BindingFactory(), year, actor_for()) for _ in range(20)]
    assert open_rows() == 20
    outcomes: dict = {}

    def run(name, work):
        try:
            outcomes[name] = work()
        except Exception as error:  # the test judges every outcome
            outcomes[name] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("batch", lambda: enrollments_sync_pending(limit=100))),
        *(
            threading.Thread(
                target=run, args=(f"single-{p.pk}", lambda p=p: payment_sync_enrollment(payment_id=p.pk))
            )
            for p in payments[::4]
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert not any(isinstance(outcome, Exception) for outcome in outcomes.values()), outcomes
    assert open_rows() == 0
    paid = Enrollment.objects.filter(paid=True, year=year)
    assert sorted(paid.values_list("payment_id", flat=True)) == sorted(p.pk for p in payments)
