-- One premium payment as PostgreSQL alone would do it: the limit the portal is measured against.
--
-- The same SQL transaction as a payment through the portal (DESIGN.md "Money and invariants"):
-- claim the idempotency key, lock the beneficiary's enrollment for the year, check status, rate and
-- "already paid", lock the paying personal account (self-payment: every candidate account, in primary
-- key order, and pick the richest), then the region's fund account, move the money with two balance
-- updates and a balanced ledger transaction of two entries, write the payment, its outbox row, the
-- authorizer's notification and the key's link to the payment; commit. One statement per step, no
-- client-side work between them.
--
-- Each transaction takes the next item of bench_pgbench_pool (a bound beneficiary not paid for by the
-- portal). When the pool wraps, the same beneficiaries are paid for the following year, so the
-- unique "one settled payment per beneficiary and year" is never violated however long it runs.
-- References start with "PB" so the run can tell these payments from the portal's.
--
-- A transaction the balance cannot cover rolls back (counted by the run as refused).
--
-- pgbench -n -M prepared -f bench/pgbench_payment.sql -D pool=<pool size> -D year0=<year> ...

SELECT nextval('bench_pgbench_seq') AS k \gset
\set idx :k % :pool
\set yr :year0 + :k / :pool
SELECT is_self, user_id, beneficiary_id AS ben, authorizer_id AS auth, account_id AS acct,
       binding_id AS binding, authorizer_person_id AS aperson, relation, region_code AS region,
       amount_fen AS amt, fund_account_id AS fund
FROM bench_pgbench_pool WHERE id = :idx \gset

BEGIN;
INSERT INTO payments_idempotencykey (user_id, key, fingerprint, created_at)
VALUES (:user_id, 'pgbench-' || :k, md5(:k::text) || md5(:idx::text), now())
RETURNING id AS ikey \gset
INSERT INTO insurees_enrollment (insuree_id, year, paid, updated_at)
VALUES (:ben, :yr, false, now()) ON CONFLICT DO NOTHING;
SELECT id FROM insurees_enrollment WHERE insuree_id = :ben AND year = :yr FOR UPDATE;
SELECT status, region_code, scheme FROM insurees_insuree WHERE id = :ben;
SELECT amount_fen, collection_start, collection_end FROM insurees_premiumrate
WHERE region_code = :region AND year = :year0;
SELECT 1 FROM payments_payment WHERE beneficiary_id = :ben AND year = :yr AND status = 'settled' LIMIT 1;
\if :is_self
WITH candidates AS (
    SELECT b.id AS binding_id, b.relation AS binding_relation, b.created_at, i.id AS authorizer_id,
           i.account_id, i.person_id
    FROM mutual_aid_binding b JOIN insurees_insuree i ON i.id = b.authorizer_id
    WHERE b.beneficiary_id = :ben AND b.status = 'active' AND NOT b.self_pay_paused
      AND i.status = 'active' AND i.account_id IS NOT NULL
), locked AS (
    SELECT a.id, a.balance_fen FROM ledger_account a
    WHERE a.id IN (SELECT account_id FROM candidates) ORDER BY a.id FOR UPDATE
)
SELECT c.binding_id AS binding, c.authorizer_id AS auth, c.account_id AS acct, c.person_id AS aperson,
       c.binding_relation AS relation, l.balance_fen AS bal
FROM candidates c JOIN locked l ON l.id = c.account_id
ORDER BY l.balance_fen DESC, c.created_at, c.binding_id LIMIT 1 \gset
\else
SELECT b.id AS binding, b.relation FROM mutual_aid_binding b JOIN insurees_insuree i ON i.id = b.authorizer_id
WHERE b.authorizer_id = :auth AND b.beneficiary_id = :ben AND b.status = 'active' AND i.status = 'active' \gset
SELECT balance_fen AS bal FROM ledger_account WHERE id = :acct FOR UPDATE \gset
\endif
SELECT id FROM ledger_account WHERE id = :fund FOR UPDATE;
-- The portal refuses a payment the balance cannot cover (insufficient_balance); so does this, once a
-- long run has paid so many years that an account is drained.
\if :bal >= :amt
UPDATE ledger_account SET balance_fen = balance_fen - CAST(:amt AS bigint) WHERE id = :acct;
UPDATE ledger_account SET balance_fen = balance_fen + CAST(:amt AS bigint) WHERE id = :fund;
INSERT INTO ledger_transaction (memo, reference, created_at)
VALUES ('premium ' || :yr || ' ' || :region, 'PB' || lpad(:k::text, 20, '0'), now())
RETURNING id AS txn \gset
INSERT INTO ledger_entry (transaction_id, account_id, amount_fen, created_at)
VALUES (:txn, :acct, 0 - CAST(:amt AS bigint), now()), (:txn, :fund, CAST(:amt AS bigint), now());
INSERT INTO payments_payment (reference, year, amount_fen, region_code, relation, channel, status, counter_id,
    verification_code, created_at, refund_reason, refund_note, authorizer_id, beneficiary_id, binding_id,
    ledger_transaction_id)
VALUES ('PB' || lpad(:k::text, 20, '0'), :yr, :amt, :region, :relation,
    CASE WHEN :is_self = 1 THEN 'self' ELSE 'authorizer' END, 'settled', '',
    upper(substr(md5(:k::text), 1, 8)), now(), '', '', :auth, :ben, :binding, :txn)
RETURNING id AS pay \gset
INSERT INTO payments_outboxmessage (topic, payment_id, created_at, attempts, last_error)
VALUES ('enrollment_sync', :pay, now(), 0, '');
INSERT INTO payments_notification (person_id, kind, payment_id, balance_after_fen, created_at)
VALUES (:aperson, 'debit', :pay, CAST(:bal AS bigint) - CAST(:amt AS bigint), now());
INSERT INTO payments_idempotencykey_payments (idempotencykey_id, payment_id) VALUES (:ikey, :pay);
COMMIT;
\else
ROLLBACK;
\endif
