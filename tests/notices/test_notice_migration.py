"""The payers' past notifications go over to notices with the facts their words are rendered from
(payments migration 0010), as delivered: the sweep does not send them again."""

import importlib

from django.db import connection
from django.utils import translation

from notices.models import Notice
from notices.rendering import notice_text
from payments.services import payment_refund
from tests.factories import UserFactory
from tests.payments.paying import payment_create_for_relative

MIGRATION = importlib.import_module("payments.migrations.0010_notices_to_both_sides")


def test_old_notifications_read_as_they_did_with_full_names(family, year, actor_for):
    payment = payment_create_for_relative(
        authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor_for()
    )
    payment_refund(payment=payment, reason="paid_twice", note="", operator=UserFactory())
    Notice.objects.all().delete()
    son = family.authorizer.person
    with connection.cursor() as cursor:
        # The old table as it was (dropped since), for this session only.
        cursor.execute(
            "CREATE TEMPORARY TABLE payments_notification (id bigserial PRIMARY KEY, person_id bigint, "
            "kind text, payment_id bigint, balance_after_fen bigint, created_at timestamptz, "
            "read_at timestamptz)"
        )
        cursor.execute(
            "INSERT INTO payments_notification "
            "(person_id, kind, payment_id, balance_after_fen, created_at, read_at) VALUES "
            "(%s, 'debit', %s, 58000, now() - interval '2 days', now()), "
            "(%s, 'refund', %s, 100000, now() - interval '1 day', NULL)",
            [son.pk, payment.pk, son.pk, payment.pk],
        )
        cursor.execute(MIGRATION.COPY)

    debit, refund = Notice.objects.order_by("pk")
    assert (debit.person, debit.kind, debit.link_kind, debit.link_id) == (son, "debit", "payment", payment.pk)
    assert debit.read_at is not None
    assert refund.read_at is None
    assert debit.delivered_at == debit.created_at
    with translation.override("en"):
        assert notice_text(debit) == (
            f"Your personal account paid 420.00 yuan for the {year} resident premium of your parent 张国强. "
            "Available balance left: 580.00 yuan."
        )
        assert notice_text(refund) == (
            f"The 420.00 yuan your personal account paid for the {year} resident premium of your parent "
            "张国强 was refunded to it. Reason: Paid twice through another channel. Available balance: "
            "1,000.00 yuan."
        )
