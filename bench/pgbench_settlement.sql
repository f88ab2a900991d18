-- One settlement at a designated institution as PostgreSQL alone does it: the limit the portal's
-- settlement flow is measured against.
--
-- The very calls the portal makes (medical/services/vouchers.py and settlements.py,
-- medical/migrations/sql/settlements.sql), each its own statement's transaction as there: the
-- relative's phone asks for a one-time code (medical_voucher_issue keeps its SHA-256, and ends his
-- earlier codes), then the terminal settles the bill with it (medical_settle claims the key and the
-- institution's own id, uses the code, locks the allowances, picks the one that pays, posts the ledger
-- transaction and writes the settlement). Nothing of the portal's Python runs here; the code's SHA-256
-- is computed by PostgreSQL instead.
--
-- Each transaction takes the next relative of bench_pgbench_settle_pool, with a terminal and a bill; no
-- two clients hold the same relative at once (the pool is far larger than the clients), so no code is
-- ended by a twin's. When the pool wraps, the same relatives settle again from what is left of their
-- allowances, which the generator made far larger than a run spends. Settlement ids start with "PGS"
-- so the run can tell these settlements from the portal's.
--
-- pgbench -n -M prepared -f bench/pgbench_settlement.sql -D pool=<pool size> ...   (prepared: the
-- variables go as bound parameters, so text needs no quoting)

SELECT nextval('bench_pgbench_settle_seq') AS k \gset
\set idx :k % :pool
SELECT person_id, user_id, institution_id, amount_fen, category,
       encode(sha256(convert_to('pgbench-code-' || :k, 'UTF8')), 'hex') AS sha
FROM bench_pgbench_settle_pool WHERE id = :idx \gset
SELECT count(*) FROM medical_voucher_issue(:person_id, :sha, now(), 60);
SELECT count(*) FROM medical_settle(
    :user_id, 'pgbench-settle-' || :k, '5000ms', :institution_id, :sha, 'PGS' || :k, :amount_fen,
    :category, false, (now() AT TIME ZONE 'Asia/Shanghai')::date, now()
);
