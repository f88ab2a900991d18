-- One premium payment as PostgreSQL alone does it: the limit the portal is measured against.
--
-- The very call the portal makes for a payment (payments.services, payments/migrations/sql/pay.sql):
-- payments_pay resolves the payer and the relative, claims the idempotency key, locks the enrollment
-- and the accounts, applies every rule, posts the ledger transaction and writes the payment, its outbox
-- row, the notice and the key's link, in one statement. Nothing of the portal's Python runs here.
--
-- Each transaction takes the next item of bench_pgbench_pool (a bound beneficiary not paid for by the
-- portal): a self-payment or an authorizer's payment. When the pool wraps, the same beneficiaries are
-- paid for the following year (the world has rates for the years after, collected now), so the unique
-- "one settled payment per beneficiary and year" is never met however long it runs. References start
-- with "PB" so the run can tell these payments from the portal's.
--
-- A payment the balance cannot cover is refused by the function and counted by the run as refused:
-- bench_pay (bench/run.py) answers a refusal with no row instead of an error, which would stop the
-- pgbench client.
--
-- pgbench -n -M prepared -f bench/pgbench_payment.sql -D pool=<pool size> -D year0=<year> ...

SELECT nextval('bench_pgbench_seq') AS k \gset
\set idx :k % :pool
\set yr :year0 + :k / :pool
SELECT is_self, user_id, payer_person_id AS payer, beneficiary_id_number AS relative
FROM bench_pgbench_pool WHERE id = :idx \gset
SELECT count(*) FROM bench_pay(
    :user_id, 'pgbench-' || :k, :payer,
    CASE WHEN :is_self = 1 THEN NULL ELSE ARRAY[:relative::text] END, :yr,
    CASE WHEN :is_self = 1 THEN 'self' ELSE 'authorizer' END,
    'PB' || lpad(:k::text, 20, '0'), upper(substr(md5(:k::text), 1, 8))
);
