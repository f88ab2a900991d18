"""Notices move to their own app (notices.Notice): payments_settle writes them through notices_post,
to the payer and to the relative, and the payers' past notices go over with the facts their words are
rendered from. Those were delivered when written (by the email after commit): the sweep leaves them."""

from django.db import migrations

from common.migration_ops import run_sql_file

COPY = """
INSERT INTO notices_notice (
    person_id, kind, facts, link_kind, link_id, dedup_key, created_at, read_at, delivered_at,
    delivery_attempts
)
SELECT n.person_id, n.kind,
       jsonb_build_object(
           'payment_id', p.id, 'year', p.year, 'amount_fen', p.amount_fen, 'relation', p.relation,
           'channel', p.channel, 'reader_is_authorizer', true, 'relative_name', bp.name,
           'balance_after_fen', n.balance_after_fen
       ) || CASE WHEN n.kind = 'refund' THEN jsonb_build_object('reason', p.refund_reason) ELSE '{}' END,
       'payment', p.id, '', n.created_at, n.read_at, n.created_at, 0
FROM payments_notification n
JOIN payments_payment p ON p.id = n.payment_id
JOIN insurees_insuree b ON b.id = p.beneficiary_id
JOIN insurees_person bp ON bp.id = b.person_id
ORDER BY n.id;
"""

BACK = """
INSERT INTO payments_notification (person_id, kind, payment_id, balance_after_fen, created_at, read_at)
SELECT person_id, kind, link_id, (facts ->> 'balance_after_fen')::bigint, created_at, read_at
FROM notices_notice WHERE kind IN ('debit', 'refund') AND link_kind = 'payment' ORDER BY id;
DELETE FROM notices_notice WHERE kind IN ('debit', 'refund') AND link_kind = 'payment';
"""


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0009_outbox_topic_enrollment_sync_only"),
        ("notices", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL([COPY], [BACK]),
        run_sql_file(__file__, "pay.sql"),
    ]
