"""The enrollment sync through the outbox, a real Redis broker and a real Celery worker process."""

import time

import pytest

from insurees.models import Enrollment
from payments.models import OutboxMessage, Payment
from payments.outbox.consumer import outbox_relay
from payments.services import Actor
from tests.conftest import point_broker
from tests.factories import BindingFactory, UserFactory
from tests.payments.paying import payment_create_for_relative

pytestmark = pytest.mark.broker


def wait_until(predicate, seconds=30.0):
    """Polls a condition; the bound keeps a broken sync from hanging the suite."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def pay(binding, year, key):
    return payment_create_for_relative(
        authorizer=binding.authorizer,
        beneficiary=binding.beneficiary,
        year=year,
        actor=Actor(user=UserFactory(), idempotency_key=key),
    )


def test_a_payment_is_synced_to_the_enrollment_by_the_worker(celery_worker_process, rate, year):
    binding = BindingFactory()

    payment = pay(binding, year, "sync-1")

    assert wait_until(lambda: Payment.objects.get(pk=payment.pk).enrollment_synced)
    enrollment = Enrollment.objects.get(insuree=binding.beneficiary, year=year)
    assert (enrollment.paid, enrollment.payment_id) == (True, payment.pk)
    assert OutboxMessage.objects.get(payment=payment).dispatched_at is not None


def test_with_the_broker_unreachable_payments_settle_and_the_backlog_drains_later(
    celery_worker_process, celery_broker, rate, year
):
    bindings = [BindingFactory() for _ in range(5)]
    real_broker = celery_broker.conf.broker_url
    # Publishing goes to a port where nothing listens, as when Redis is down.
    point_broker(celery_broker, "redis://127.0.0.1:1/0")
    try:
        payments = [pay(binding, year, f"down-{i}") for i, binding in enumerate(bindings)]
    finally:
        point_broker(celery_broker, real_broker)

    assert Payment.objects.filter(pk__in=[p.pk for p in payments], status="settled").count() == 5
    assert OutboxMessage.objects.filter(dispatched_at__isnull=True).count() == 5
    assert not Enrollment.objects.filter(paid=True).exists()

    relayed = outbox_relay()
    assert relayed == 5, list(OutboxMessage.objects.values_list("last_error", flat=True))

    assert wait_until(lambda: Enrollment.objects.filter(paid=True).count() == 5)
    assert wait_until(lambda: not Payment.objects.filter(enrollment_synced_at__isnull=True).exists())
    assert OutboxMessage.objects.filter(dispatched_at__isnull=True).count() == 0
    synced = Enrollment.objects.filter(paid=True).values_list("payment_id", flat=True)
    assert sorted(synced) == sorted(p.pk for p in payments)
