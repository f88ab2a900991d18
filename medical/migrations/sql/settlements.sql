-- E-vouchers and settlements at designated institutions: issuing a one-time code, settling a bill from
-- an allowance, reversing it the same day, refunding part of it later. The rules of DESIGN.md
-- ("Allowances and medical costs") and API.md ("Institutions") are written here once; medical.services
-- is their Python door. Builds on allowances.sql (medical_refuse, medical_key_claim).
--
-- Every movement is one balanced transaction through ledger_post: a settlement from the allowance's
-- hold account to the institution's payable account; a reversal or a refund from the payable account
-- back into the hold while the allowance is active, else into the authorizer's personal account (a
-- released allowance's hold is empty and stays so). The ledger's CHECKs keep every account at zero or
-- above, the allowance's CHECK keeps spent within its amount, the settlement's unique constraint keeps
-- one settlement per institution and settlement id: the database refuses a breach whatever path writes.
--
-- Locks, in the global order of allowances.sql: the Idempotency-Key and then the institution's own id
-- (advisory locks of the transaction), the voucher or the settlement, the allowances by primary key,
-- then the ledger accounts by primary key. Issuing a code takes its beneficiary's advisory lock alone.
-- A settlement never locks a binding: an active allowance is on an active binding, because a binding's
-- end releases its allowances in the same transaction, after locking them; a settlement waiting for an
-- allowance sees it released once that commits, and skips it.
--
-- Both sides of the allowance are told, by notices written in the same transaction (notices_post), of
-- a settlement paying more than the allowance's notify_over_fen (0: of every one), and of its reversal
-- or refunds as they were of it, or whenever the money goes to the authorizer's personal account.
--
-- An Idempotency-Key names one request of its user: a retry of it gets the first answer, the same key
-- for another settlement, reversal or refund is idempotency_conflict.
--
-- A refusal before the code is used (bad amount, category, institution) is raised with SQLSTATE GJ001
-- and moves nothing. A code is used by the first request that names it: a refusal after that (no
-- allowance, none in scope, too small) is recorded on the voucher and returned, so that it commits —
-- the code stays used, and a retry of the same settlement gets the same refusal.

DROP FUNCTION IF EXISTS medical_voucher_issue(bigint, text, timestamptz, integer);
DROP FUNCTION IF EXISTS medical_settle(integer, text, text, bigint, text, text, bigint, text, boolean, date, timestamptz);
DROP FUNCTION IF EXISTS medical_settlement_reverse(integer, text, text, bigint, text, date, timestamptz);
DROP FUNCTION IF EXISTS medical_settlement_refund(integer, text, text, bigint, text, text, bigint, date, timestamptz);
DROP FUNCTION IF EXISTS medical_settlement_credit_back(bigint, bigint, bigint, text, text, timestamptz);
DROP FUNCTION IF EXISTS medical_own_id_claim(integer, bigint, text, text);
DROP FUNCTION IF EXISTS medical_settlement_notices(bigint, text, bigint, jsonb, timestamptz);
DROP FUNCTION IF EXISTS medical_key_taken(integer, text, text, bigint);
DROP FUNCTION IF EXISTS medical_settlement_fresh(bigint);
DROP TYPE IF EXISTS medical_settled;

-- The answer of a settlement, a reversal or a refund: replayed or made now, its id (none when refused
-- after the code was used: then the refusal and its facts), and the ids of the notices written with
-- it, for their delivery after the commit.
CREATE TYPE medical_settled AS (
    o_replayed boolean,
    o_id bigint,
    o_refusal text,
    o_detail text,
    o_notice_ids bigint[]
);

-- The settlement as it is now, for the answer of the call that wrote it, in the same statement:
--     SELECT ... FROM medical_settle(...) r LEFT JOIN LATERAL medical_settlement_fresh(r.o_id) s ON true
-- A volatile function reads with a snapshot of its own, taken after the call; the statement's, taken
-- before it, would not see the row. One round trip answers the request. ROWS 1: the planner's default
-- guess for a set-returning function, 1,000 rows, would join them to the insurees by scanning them all.
-- A prepared statement reads the table through this function's row type, so a plan made before a
-- column of medical_settlement is dropped or changes type would fail after it: a migration that does
-- so loads this file again, which replaces the function and so every plan built on it (a test checks).
CREATE FUNCTION medical_settlement_fresh(p_id bigint)
RETURNS SETOF medical_settlement
LANGUAGE sql VOLATILE ROWS 1
AS $$ SELECT * FROM medical_settlement WHERE id = p_id $$;

-- The institution's own id (a settlement's or a refund's) held until the transaction ends, so that two
-- requests naming it queue (p_class: 19 settlements, 20 refunds).
CREATE FUNCTION medical_own_id_claim(p_class integer, p_institution_id bigint, p_own_id text, p_lock_wait text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_previous_timeout text := current_setting('lock_timeout');
BEGIN
    PERFORM set_config('lock_timeout', p_lock_wait, true);
    PERFORM pg_advisory_xact_lock(p_class, hashtext(p_institution_id::text || ':' || p_own_id));
    PERFORM set_config('lock_timeout', v_previous_timeout, true);
END;
$$;

-- Whether p_user_id's key p_key names a request other than this one of kind p_kind (settle, reverse,
-- refund; p_settlement_id: the one this reversal reverses): a settlement, a reversal (of another
-- settlement) or a refund made under it. The same key for another request is a conflict, whatever kind
-- the first one was. Each probe is an index's.
-- Each probe of a key repeats its partial index's predicate (key <> ''): a generic plan cannot prove it
-- from the parameter, and without it reads the whole table.
CREATE FUNCTION medical_key_taken(p_user_id integer, p_key text, p_kind text, p_settlement_id bigint)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p_key <> '' AND (
        (p_kind <> 'settle' AND EXISTS (
            SELECT 1 FROM medical_settlement s
            WHERE s.user_id = p_user_id AND s.idempotency_key = p_key AND s.idempotency_key <> ''
        ))
        OR EXISTS (
            SELECT 1 FROM medical_settlement s
            WHERE s.reversal_user_id = p_user_id AND s.reversal_key = p_key AND s.reversal_key <> ''
              AND (p_kind <> 'reverse' OR s.id <> p_settlement_id)
        )
        OR (p_kind <> 'refund' AND EXISTS (
            SELECT 1 FROM medical_settlementrefund r
            WHERE r.user_id = p_user_id AND r.idempotency_key = p_key AND r.idempotency_key <> ''
        ))
    )
$$;

-- Tells both sides of the allowance that paid settlement p_id of a movement of p_amount_fen (p_kind:
-- settlement_paid, settlement_reversed or settlement_refunded): the institution, the category and the
-- amount, with p_facts, never the items of the bill. Returns the notices' ids.
CREATE FUNCTION medical_settlement_notices(
    p_id bigint, p_kind text, p_amount_fen bigint, p_facts jsonb, p_now timestamptz
) RETURNS bigint[]
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v record;
    v_facts jsonb;
BEGIN
    SELECT s.allowance_id, s.category, a.binding_id, a.status, a.amount_fen - a.spent_fen AS remaining, b.relation,
           inst.name AS institution_name, ap.id AS authorizer_person_id, ap.name AS authorizer_name,
           bp.id AS beneficiary_person_id, bp.name AS beneficiary_name
    INTO v
    FROM medical_settlement s
    JOIN medical_institution inst ON inst.id = s.institution_id
    JOIN medical_allowance a ON a.id = s.allowance_id
    JOIN mutual_aid_binding b ON b.id = a.binding_id
    JOIN insurees_insuree ai ON ai.id = s.authorizer_id
    JOIN insurees_person ap ON ap.id = ai.person_id
    JOIN insurees_insuree bi ON bi.id = s.beneficiary_id
    JOIN insurees_person bp ON bp.id = bi.person_id
    WHERE s.id = p_id;
    v_facts := p_facts || jsonb_build_object(
        'settlement_id', p_id, 'allowance_id', v.allowance_id, 'binding_id', v.binding_id,
        'relation', v.relation, 'institution_name', v.institution_name, 'category', v.category,
        'amount_fen', p_amount_fen, 'remaining_fen', CASE WHEN v.status = 'active' THEN v.remaining ELSE 0 END
    );
    RETURN ARRAY[
        notices_post(
            v.authorizer_person_id, p_kind,
            v_facts || jsonb_build_object('reader_is_authorizer', true, 'relative_name', v.beneficiary_name),
            'binding', v.binding_id, p_now
        ),
        notices_post(
            v.beneficiary_person_id, p_kind,
            v_facts || jsonb_build_object('reader_is_authorizer', false, 'relative_name', v.authorizer_name),
            'binding', v.binding_id, p_now
        )
    ];
END;
$$;

-- A one-time code for p_person_id, who has an active allowance with something left: its SHA-256 is
-- kept, valid p_ttl_seconds; his earlier codes not used yet stop working (the page shows the newest).
CREATE FUNCTION medical_voucher_issue(p_person_id bigint, p_code_sha256 text, p_now timestamptz, p_ttl_seconds integer)
RETURNS TABLE (o_id bigint, o_expires_at timestamptz)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_beneficiary bigint;
BEGIN
    SELECT a.beneficiary_id INTO v_beneficiary
    FROM insurees_insuree i JOIN medical_allowance a ON a.beneficiary_id = i.id
    WHERE i.person_id = p_person_id AND a.status = 'active' AND a.spent_fen < a.amount_fen
    LIMIT 1;
    IF NOT FOUND THEN
        PERFORM medical_refuse('no_allowance');
    END IF;
    -- One issue at a time per beneficiary (a twin waits here), so that the later one always stops the
    -- earlier's code, even one stamped a moment after its own p_now by another server's clock: it ends
    -- then, or just after it began (a code ends after it begins).
    PERFORM pg_advisory_xact_lock(21, hashtext(v_beneficiary::text));
    UPDATE medical_voucher v SET expires_at = greatest(p_now, v.created_at + interval '1 microsecond')
    WHERE v.beneficiary_id = v_beneficiary AND v.used_at IS NULL AND v.expires_at > p_now;
    RETURN QUERY
        INSERT INTO medical_voucher (
            code_sha256, beneficiary_id, created_at, expires_at, used_at, used_by_id, used_for, refusal,
            refusal_detail
        ) VALUES (
            p_code_sha256, v_beneficiary, p_now, p_now + make_interval(secs => p_ttl_seconds), NULL, NULL, '', '', ''
        )
        RETURNING id, expires_at;
END;
$$;

-- Settles p_amount_fen of category p_category at institution p_institution_id (whose terminal p_user_id
-- asks) with the code of SHA-256 p_code_sha256, under the institution's own p_settlement_id: paid from
-- the beneficiary's allowance with the most left (ties to the oldest binding) among those whose region
-- scope takes the institution; partly, with the rest as cash due, if p_allow_partial.
CREATE FUNCTION medical_settle(
    p_user_id integer,
    p_key text,
    p_lock_wait text,
    p_institution_id bigint,
    p_code_sha256 text,
    p_settlement_id text,
    p_amount_fen bigint,
    p_category text,
    p_allow_partial boolean,
    p_today date,
    p_now timestamptz
) RETURNS medical_settled
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_institution record;
    v_done record;
    v_voucher record;
    v_locked bigint[];
    v_chosen record;
    v_paid bigint;
    v_txn bigint;
    v_id bigint;
    v_notices bigint[] := '{}';
BEGIN
    -- 1. What the request itself says; nothing is read yet.
    IF p_amount_fen IS NULL OR p_amount_fen <= 0 OR p_amount_fen > 100000000 THEN
        PERFORM medical_refuse('invalid_input');
    END IF;
    IF p_category IN ('wellness', 'public_health') THEN
        PERFORM medical_refuse('category_not_covered');
    END IF;
    IF p_category NOT IN ('outpatient', 'inpatient', 'drugs', 'devices', 'consumables') THEN
        PERFORM medical_refuse('invalid_category');
    END IF;

    -- 2. The keys: a retry (same key, or same settlement id) gets the first answer.
    IF p_key <> '' THEN
        PERFORM medical_key_claim(p_user_id, p_key, p_lock_wait);
    END IF;
    PERFORM medical_own_id_claim(19, p_institution_id, p_settlement_id, p_lock_wait);
    SELECT s.id, s.settlement_id, s.amount_fen, s.category, v.code_sha256, v.used_allow_partial INTO v_done
    FROM medical_settlement s JOIN medical_voucher v ON v.id = s.voucher_id
    WHERE (s.institution_id = p_institution_id AND s.settlement_id = p_settlement_id)
       OR (p_key <> '' AND s.user_id = p_user_id AND s.idempotency_key = p_key AND s.idempotency_key <> '')
    -- The key's own settlement first: a key taken by another settlement is a conflict, whatever the id.
    ORDER BY p_key <> '' AND s.user_id = p_user_id AND s.idempotency_key = p_key DESC
    LIMIT 1;
    IF FOUND THEN
        -- allow_partial too: a retry refusing a partial payment is not the request that made one. (NULL, a
        -- code used before the voucher kept it, compares as unknown and so as no conflict.)
        IF v_done.settlement_id <> p_settlement_id OR v_done.amount_fen <> p_amount_fen
           OR v_done.category <> p_category OR v_done.code_sha256 <> p_code_sha256
           OR v_done.used_allow_partial <> p_allow_partial THEN
            PERFORM medical_refuse('idempotency_conflict');
        END IF;
        RETURN ROW(true, v_done.id, NULL, NULL, '{}')::medical_settled;
    END IF;
    IF medical_key_taken(p_user_id, p_key, 'settle', NULL) THEN
        PERFORM medical_refuse('idempotency_conflict');
    END IF;
    SELECT v.refusal, v.refusal_detail, v.used_amount_fen, v.used_category, v.used_allow_partial INTO v_done
    FROM medical_voucher v
    WHERE v.code_sha256 = p_code_sha256 AND v.used_by_id = p_institution_id AND v.used_for = p_settlement_id
      AND v.refusal <> '';
    IF FOUND THEN
        -- The refusal is the answer to that request only: the same code and bill asked otherwise is another.
        -- (NULL, a code refused before the voucher kept what was asked, compares as unknown: replayed.)
        IF v_done.used_amount_fen <> p_amount_fen OR v_done.used_category <> p_category
           OR v_done.used_allow_partial <> p_allow_partial THEN
            PERFORM medical_refuse('idempotency_conflict');
        END IF;
        RETURN ROW(true, NULL, v_done.refusal, v_done.refusal_detail, '{}')::medical_settled;
    END IF;

    -- 3. The institution, as the register says now.
    SELECT i.status, i.region_code, i.account_id INTO v_institution
    FROM medical_institution i WHERE i.id = p_institution_id;
    IF NOT FOUND OR v_institution.status <> 'active' THEN
        PERFORM medical_refuse('institution_not_active');
    END IF;

    -- 4. The code, used now, by this request alone: a twin naming it waits here, then finds it used.
    UPDATE medical_voucher v SET used_at = p_now, used_by_id = p_institution_id, used_for = p_settlement_id,
        used_amount_fen = p_amount_fen, used_category = p_category, used_allow_partial = p_allow_partial
    WHERE v.code_sha256 = p_code_sha256 AND v.used_at IS NULL AND v.expires_at > p_now
    RETURNING v.id, v.beneficiary_id INTO v_voucher;
    IF NOT FOUND THEN
        PERFORM medical_refuse('voucher_invalid');
    END IF;

    -- 5. The beneficiary's active allowances, locked by primary key, then the one that pays, chosen among
    -- those locked: one set since (its binding's first allowance, committed meanwhile) is not judged on
    -- figures that no lock of ours keeps.
    SELECT coalesce(array_agg(locked.id ORDER BY locked.id), '{}') INTO v_locked FROM (
        SELECT a.id FROM medical_allowance a
        WHERE a.beneficiary_id = v_voucher.beneficiary_id AND a.status = 'active'
        ORDER BY a.id FOR UPDATE
    ) locked;
    SELECT a.id, a.amount_fen - a.spent_fen AS remaining, a.hold_account_id, a.authorizer_id, a.beneficiary_id,
           a.notify_over_fen
    INTO v_chosen
    FROM medical_allowance a
    JOIN mutual_aid_binding b ON b.id = a.binding_id
    JOIN insurees_insuree ai ON ai.id = a.authorizer_id
    WHERE a.id = ANY (v_locked) AND a.status = 'active' AND a.spent_fen < a.amount_fen
      AND CASE coalesce((
              SELECT p.scope FROM insurees_regionpolicy p
              WHERE p.region_code IN (ai.region_code, left(ai.region_code, 2) || '0000')
              ORDER BY p.region_code = ai.region_code DESC LIMIT 1
          ), 'city')
          WHEN 'province' THEN left(v_institution.region_code, 2) = left(ai.region_code, 2)
          ELSE v_institution.region_code = ai.region_code
      END
    ORDER BY a.amount_fen - a.spent_fen DESC, b.created_at, b.id
    LIMIT 1;
    IF NOT FOUND THEN
        -- Money left, but not for an institution here: region_mismatch; none left at all: no_allowance.
        UPDATE medical_voucher SET refusal = CASE
            WHEN EXISTS (SELECT 1 FROM medical_allowance a WHERE a.id = ANY (v_locked) AND a.spent_fen < a.amount_fen)
            THEN 'region_mismatch' ELSE 'no_allowance' END
        WHERE id = v_voucher.id RETURNING refusal INTO v_done;
        RETURN ROW(false, NULL, v_done.refusal, '', '{}')::medical_settled;
    END IF;
    IF v_chosen.remaining < p_amount_fen AND NOT p_allow_partial THEN
        UPDATE medical_voucher SET refusal = 'insufficient_allowance', refusal_detail = v_chosen.remaining::text
        WHERE id = v_voucher.id;
        RETURN ROW(false, NULL, 'insufficient_allowance', v_chosen.remaining::text, '{}')::medical_settled;
    END IF;
    v_paid := least(v_chosen.remaining, p_amount_fen);

    -- 6. The movement, the allowance's spent part, the settlement.
    PERFORM 1 FROM ledger_accounts_lock(ARRAY[v_chosen.hold_account_id, v_institution.account_id], ARRAY[]::text[]);
    v_id := nextval(pg_get_serial_sequence('medical_settlement', 'id'));
    v_txn := ledger_post(
        'settlement', 'settlement:' || v_id, NULL,
        ARRAY[v_chosen.hold_account_id, v_institution.account_id], ARRAY[-v_paid, v_paid]::bigint[], p_now
    );
    UPDATE medical_allowance SET spent_fen = spent_fen + v_paid WHERE id = v_chosen.id;
    INSERT INTO medical_settlement (
        id, institution_id, settlement_id, user_id, idempotency_key, voucher_id, allowance_id, authorizer_id,
        beneficiary_id, category, amount_fen, paid_fen, cash_due_fen, refunded_fen, status, business_date,
        created_at, ledger_transaction_id, reversed_at, reversed_on, reversal_user_id, reversal_key,
        reversal_transaction_id
    ) VALUES (
        v_id, p_institution_id, p_settlement_id, p_user_id, p_key, v_voucher.id, v_chosen.id,
        v_chosen.authorizer_id, v_chosen.beneficiary_id, p_category, p_amount_fen, v_paid, p_amount_fen - v_paid,
        0, 'settled', p_today, p_now, v_txn, NULL, NULL, NULL, '', NULL
    );
    -- 7. Both sides hear of it if it paid more than the allowance's threshold (0: of every one).
    IF v_paid > v_chosen.notify_over_fen THEN
        v_notices := medical_settlement_notices(
            v_id, 'settlement_paid', v_paid, jsonb_build_object('cash_due_fen', p_amount_fen - v_paid), p_now
        );
    END IF;
    RETURN ROW(false, v_id, NULL, NULL, v_notices)::medical_settled;
END;
$$;

-- Moves p_amount_fen of settlement p_id (locked by the caller) back from the institution: into the
-- allowance's hold while it is active, else into the authorizer's personal account (a released
-- allowance's hold stays empty). Either way the allowance's spent part goes down by it: spent is what its
-- settlements cost, net of their reversals and refunds. Returns the ledger transaction.
CREATE FUNCTION medical_settlement_credit_back(
    p_id bigint, p_allowance_id bigint, p_amount_fen bigint, p_memo text, p_reference text, p_now timestamptz
) RETURNS bigint
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_allowance record;
    v_payable bigint;
    v_target bigint;
BEGIN
    SELECT a.status, a.hold_account_id, i.account_id INTO v_allowance
    FROM medical_allowance a JOIN insurees_insuree i ON i.id = a.authorizer_id
    WHERE a.id = p_allowance_id
    FOR UPDATE OF a;
    SELECT inst.account_id INTO v_payable
    FROM medical_settlement s JOIN medical_institution inst ON inst.id = s.institution_id WHERE s.id = p_id;
    v_target := CASE WHEN v_allowance.status = 'active' THEN v_allowance.hold_account_id ELSE v_allowance.account_id END;
    PERFORM 1 FROM ledger_accounts_lock(ARRAY[v_target, v_payable], ARRAY[]::text[]);
    UPDATE medical_allowance SET spent_fen = spent_fen - p_amount_fen WHERE id = p_allowance_id;
    RETURN ledger_post(
        p_memo, p_reference, NULL, ARRAY[v_payable, v_target], ARRAY[-p_amount_fen, p_amount_fen]::bigint[], p_now
    );
END;
$$;

-- Reverses (冲正) settlement p_settlement_id of institution p_institution_id on its business day, whole,
-- if nothing of it was refunded. A retry under the reversal's key gets the first answer.
CREATE FUNCTION medical_settlement_reverse(
    p_user_id integer,
    p_key text,
    p_lock_wait text,
    p_institution_id bigint,
    p_settlement_id text,
    p_today date,
    p_now timestamptz
) RETURNS medical_settled
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_settlement record;
    v_txn bigint;
    v_allowance record;
    v_notices bigint[] := '{}';
BEGIN
    IF p_key <> '' THEN
        PERFORM medical_key_claim(p_user_id, p_key, p_lock_wait);
    END IF;
    SELECT s.id, s.status, s.business_date, s.paid_fen, s.refunded_fen, s.allowance_id, s.reversal_user_id,
           s.reversal_key
    INTO v_settlement
    FROM medical_settlement s
    WHERE s.institution_id = p_institution_id AND s.settlement_id = p_settlement_id
    FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM medical_refuse('settlement_not_found');
    END IF;
    IF v_settlement.status = 'reversed' THEN
        IF p_key <> '' AND v_settlement.reversal_user_id = p_user_id AND v_settlement.reversal_key = p_key THEN
            RETURN ROW(true, v_settlement.id, NULL, NULL, '{}')::medical_settled;
        END IF;
        PERFORM medical_refuse('reversal_not_allowed', 'reversed');
    END IF;
    IF medical_key_taken(p_user_id, p_key, 'reverse', v_settlement.id) THEN
        PERFORM medical_refuse('idempotency_conflict');
    END IF;
    IF v_settlement.business_date <> p_today THEN
        PERFORM medical_refuse('reversal_not_allowed', 'day');
    END IF;
    IF v_settlement.refunded_fen > 0 THEN
        PERFORM medical_refuse('reversal_not_allowed', 'refunded');
    END IF;
    v_txn := medical_settlement_credit_back(
        v_settlement.id, v_settlement.allowance_id, v_settlement.paid_fen, 'settlement reversal',
        'settlement:' || v_settlement.id, p_now
    );
    UPDATE medical_settlement
    SET status = 'reversed', reversed_at = p_now, reversed_on = p_today, reversal_user_id = p_user_id,
        reversal_key = p_key, reversal_transaction_id = v_txn
    WHERE id = v_settlement.id;
    -- Both sides hear of money coming back as they heard of it going (above the threshold), and always
    -- of money reaching the authorizer's personal account.
    SELECT a.status, a.notify_over_fen INTO v_allowance FROM medical_allowance a WHERE a.id = v_settlement.allowance_id;
    IF v_settlement.paid_fen > v_allowance.notify_over_fen OR v_allowance.status <> 'active' THEN
        v_notices := medical_settlement_notices(
            v_settlement.id, 'settlement_reversed', v_settlement.paid_fen,
            jsonb_build_object('to_allowance', v_allowance.status = 'active'), p_now
        );
    END IF;
    RETURN ROW(false, v_settlement.id, NULL, NULL, v_notices)::medical_settled;
END;
$$;

-- Refunds p_amount_fen of settlement p_settlement_id (returned items), under the institution's own
-- p_refund_id: at most what is left of what the allowance paid. Same key or refund id again with the
-- same settlement and amount: the first answer; otherwise a conflict.
CREATE FUNCTION medical_settlement_refund(
    p_user_id integer,
    p_key text,
    p_lock_wait text,
    p_institution_id bigint,
    p_settlement_id text,
    p_refund_id text,
    p_amount_fen bigint,
    p_today date,
    p_now timestamptz
) RETURNS medical_settled
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_settlement record;
    v_done record;
    v_left bigint;
    v_to_allowance boolean;
    v_notify_over bigint;
    v_txn bigint;
    v_id bigint;
    v_notices bigint[] := '{}';
BEGIN
    IF p_amount_fen IS NULL OR p_amount_fen <= 0 OR p_amount_fen > 100000000 THEN
        PERFORM medical_refuse('invalid_input');
    END IF;
    IF p_key <> '' THEN
        PERFORM medical_key_claim(p_user_id, p_key, p_lock_wait);
    END IF;
    PERFORM medical_own_id_claim(20, p_institution_id, p_refund_id, p_lock_wait);
    SELECT r.id, r.refund_id, r.amount_fen, s.settlement_id INTO v_done
    FROM medical_settlementrefund r JOIN medical_settlement s ON s.id = r.settlement_id
    WHERE (r.institution_id = p_institution_id AND r.refund_id = p_refund_id)
       OR (p_key <> '' AND r.user_id = p_user_id AND r.idempotency_key = p_key AND r.idempotency_key <> '')
    ORDER BY p_key <> '' AND r.user_id = p_user_id AND r.idempotency_key = p_key DESC
    LIMIT 1;
    IF FOUND THEN
        IF v_done.refund_id <> p_refund_id OR v_done.settlement_id <> p_settlement_id
           OR v_done.amount_fen <> p_amount_fen THEN
            PERFORM medical_refuse('idempotency_conflict');
        END IF;
        RETURN ROW(true, v_done.id, NULL, NULL, '{}')::medical_settled;
    END IF;
    IF medical_key_taken(p_user_id, p_key, 'refund', NULL) THEN
        PERFORM medical_refuse('idempotency_conflict');
    END IF;
    SELECT s.id, s.status, s.paid_fen, s.refunded_fen, s.allowance_id INTO v_settlement
    FROM medical_settlement s
    WHERE s.institution_id = p_institution_id AND s.settlement_id = p_settlement_id
    FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM medical_refuse('settlement_not_found');
    END IF;
    v_left := CASE WHEN v_settlement.status = 'reversed' THEN 0 ELSE v_settlement.paid_fen - v_settlement.refunded_fen END;
    IF p_amount_fen > v_left THEN
        PERFORM medical_refuse('refund_exceeds_settlement', v_left::text);
    END IF;
    v_id := nextval(pg_get_serial_sequence('medical_settlementrefund', 'id'));
    v_txn := medical_settlement_credit_back(
        v_settlement.id, v_settlement.allowance_id, p_amount_fen, 'settlement refund', 'settlement-refund:' || v_id,
        p_now
    );
    -- Where the money went, as credit_back chose under the allowance's lock.
    SELECT a.status = 'active', a.notify_over_fen INTO v_to_allowance, v_notify_over
    FROM medical_allowance a WHERE a.id = v_settlement.allowance_id;
    UPDATE medical_settlement SET refunded_fen = refunded_fen + p_amount_fen WHERE id = v_settlement.id;
    INSERT INTO medical_settlementrefund (
        id, settlement_id, institution_id, refund_id, user_id, idempotency_key, amount_fen, to_allowance,
        business_date, created_at, ledger_transaction_id
    ) VALUES (
        v_id, v_settlement.id, p_institution_id, p_refund_id, p_user_id, p_key, p_amount_fen, v_to_allowance,
        p_today, p_now, v_txn
    );
    -- Told as a reversal is (above).
    IF v_settlement.paid_fen > v_notify_over OR NOT v_to_allowance THEN
        v_notices := medical_settlement_notices(
            v_settlement.id, 'settlement_refunded', p_amount_fen, jsonb_build_object('to_allowance', v_to_allowance),
            p_now
        );
    END IF;
    RETURN ROW(false, v_id, NULL, NULL, v_notices)::medical_settled;
END;
$$;
