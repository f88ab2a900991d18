-- Allowances (共济额度): setting, changing and releasing one, and releasing them when a binding ends.
-- The rules of DESIGN.md ("Allowances and medical costs") are written here once; medical.services is
-- their Python door.
--
-- An allowance's money waits in its own ledger account of kind `hold`: a set or a raise moves the
-- difference there from the authorizer's personal account, a lowering or a release moves it back, each
-- one balanced transaction through ledger_post. So the personal account's balance is the available
-- balance (what a premium payment may spend), and the ledger's CHECK keeps it, and every hold, at zero
-- or above whatever path writes.
--
-- Locks, in the one global order every writer follows: the Idempotency-Key (an advisory lock of the
-- transaction), the binding (FOR NO KEY UPDATE, taken by the update that ends it too), the allowances
-- by primary key, then every ledger account involved by primary key (ledger_accounts_lock), the order a
-- payment (pay.sql: its enrollments, then accounts) and a settlement take for accounts. A payment never
-- locks a binding and an allowance change never locks an enrollment, so neither waits for the other in
-- a circle. Other apps' tables are read here as their selectors would read them, and written only
-- through their own functions: the ledger by ledger_post and ledger_accounts_ensure, the notices by
-- notices_post.
--
-- A refusal is raised with SQLSTATE GJ001, the error code as message and its facts as detail; it rolls
-- the whole change back. Loaded whole by medical's migrations; it drops what it creates first, so
-- loading it again after an edit replaces every object with the file's current text.

DROP TRIGGER IF EXISTS medical_bindings_ended ON mutual_aid_binding;
DROP FUNCTION IF EXISTS medical_bindings_ended();
DROP FUNCTION IF EXISTS medical_allowance_set(integer, text, text, bigint, bigint, bigint, timestamptz);
DROP FUNCTION IF EXISTS medical_allowance_release(integer, text, text, bigint, bigint, timestamptz);
DROP FUNCTION IF EXISTS medical_allowances_release(bigint[], text, integer, text, timestamptz);
DROP FUNCTION IF EXISTS medical_change_replayed(integer, text, text, text, bigint, bigint);
DROP FUNCTION IF EXISTS medical_key_claim(integer, text, text);
DROP FUNCTION IF EXISTS medical_refuse(text, text);
DROP TYPE IF EXISTS medical_allowance_changed;

CREATE FUNCTION medical_refuse(p_code text, p_detail text DEFAULT '') RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'GJ001', MESSAGE = p_code, DETAIL = p_detail;
END;
$$;

-- One row per allowance changed (or, o_replayed, changed before under the same key), with the ids of
-- the notices written, for their delivery after the commit.
CREATE TYPE medical_allowance_changed AS (
    o_replayed boolean,
    o_allowance_id bigint,
    o_notice_ids bigint[]
);

-- Holds (user, key) until the transaction ends: a twin with the same key waits here, at most p_lock_wait
-- (lock_not_available then reaches the caller as idempotency_in_flight), and then sees the first one's
-- change, committed, under the key. An advisory lock rather than a row: the change row that records the
-- key can only be written once the change is known.
CREATE FUNCTION medical_key_claim(p_user_id integer, p_key text, p_lock_wait text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_previous_timeout text := current_setting('lock_timeout');
BEGIN
    PERFORM set_config('lock_timeout', p_lock_wait, true);
    -- The first key (18) keeps medical's keys apart from any other advisory lock; a hash collision only
    -- makes two requests queue.
    PERFORM pg_advisory_xact_lock(18, hashtext(coalesce(p_user_id::text, '') || ':' || p_key));
    PERFORM set_config('lock_timeout', v_previous_timeout, true);
END;
$$;

-- The allowance a change under (user, key) made before, or NULL for a key not used yet (or none given):
-- the key is claimed first, so a twin waits for the first one's commit. The same key with another
-- kind, binding or amount (p_amount_fen NULL: any) is a conflict.
CREATE FUNCTION medical_change_replayed(
    p_user_id integer, p_key text, p_lock_wait text, p_kind text, p_binding_id bigint, p_amount_fen bigint
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_done record;
BEGIN
    IF p_key = '' THEN
        RETURN NULL;
    END IF;
    PERFORM medical_key_claim(p_user_id, p_key, p_lock_wait);
    SELECT c.kind, c.allowance_id, c.amount_after_fen, a.binding_id INTO v_done
    FROM medical_allowancechange c JOIN medical_allowance a ON a.id = c.allowance_id
    -- The partial index's predicate, spelled out: a generic plan cannot prove it from p_key.
    WHERE c.user_id = p_user_id AND c.idempotency_key = p_key AND c.idempotency_key <> '';
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF v_done.kind <> p_kind OR v_done.binding_id <> p_binding_id
       OR (p_amount_fen IS NOT NULL AND v_done.amount_after_fen <> p_amount_fen) THEN
        PERFORM medical_refuse('idempotency_conflict');
    END IF;
    RETURN v_done.allowance_id;
END;
$$;

-- Sets the allowance of p_person_id's active binding p_binding_id to p_amount_fen: a new one, a raise or
-- a lowering. Same key, binding and amount again: the first result; same key otherwise: a conflict.
CREATE FUNCTION medical_allowance_set(
    p_user_id integer,
    p_key text,
    p_lock_wait text,
    p_person_id bigint,
    p_binding_id bigint,
    p_amount_fen bigint,
    p_now timestamptz
) RETURNS medical_allowance_changed
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_done_id bigint;
    v_binding record;
    v_allowance record;
    v_account record;
    v_allowance_id bigint;
    v_hold_id bigint;
    v_new boolean := false;
    v_before bigint := 0;
    v_spent bigint := 0;
    v_available bigint;
    v_delta bigint;
    v_txn bigint;
    v_facts jsonb;
    v_notices bigint[] := '{}';
BEGIN
    -- 1. The key: a retry replays the first result, whatever has changed since.
    v_done_id := medical_change_replayed(p_user_id, p_key, p_lock_wait, 'set', p_binding_id, p_amount_fen);
    IF v_done_id IS NOT NULL THEN
        RETURN ROW(true, v_done_id, '{}'::bigint[])::medical_allowance_changed;
    END IF;
    -- A zero is no allowance (release it instead); the cap keeps a typo of many digits out.
    IF p_amount_fen IS NULL OR p_amount_fen <= 0 OR p_amount_fen > 1000000000 THEN
        PERFORM medical_refuse('invalid_input');
    END IF;

    -- 2. The binding, locked against its end and against a twin change (two first sets would both
    -- insert), then judged as it is now. Another person's binding is refused as one that does not exist.
    SELECT b.id, b.status, b.relation, b.authorizer_id, b.beneficiary_id, ai.person_id AS authorizer_person_id,
           ai.account_id, bi.person_id AS beneficiary_person_id, ap.name AS authorizer_name,
           bp.name AS beneficiary_name
    INTO v_binding
    FROM mutual_aid_binding b
    JOIN insurees_insuree ai ON ai.id = b.authorizer_id
    JOIN insurees_person ap ON ap.id = ai.person_id
    JOIN insurees_insuree bi ON bi.id = b.beneficiary_id
    JOIN insurees_person bp ON bp.id = bi.person_id
    WHERE b.id = p_binding_id
    FOR NO KEY UPDATE OF b;
    IF NOT FOUND OR v_binding.status <> 'active' OR v_binding.authorizer_person_id <> p_person_id
       OR v_binding.account_id IS NULL THEN
        PERFORM medical_refuse('binding_not_found');
    END IF;

    -- 3. Its active allowance, or a new one with a hold account of its own.
    SELECT a.id, a.amount_fen, a.spent_fen, a.hold_account_id INTO v_allowance
    FROM medical_allowance a WHERE a.binding_id = p_binding_id AND a.status = 'active'
    FOR UPDATE;
    IF FOUND THEN
        v_allowance_id := v_allowance.id;
        v_hold_id := v_allowance.hold_account_id;
        v_before := v_allowance.amount_fen;
        v_spent := v_allowance.spent_fen;
    ELSE
        v_new := true;
        v_allowance_id := nextval(pg_get_serial_sequence('medical_allowance', 'id'));
        PERFORM ledger_accounts_ensure(
            ARRAY['hold:allowance:' || v_allowance_id], 'hold', ARRAY['Allowance ' || v_allowance_id], p_now
        );
        SELECT a.id INTO v_hold_id FROM ledger_account a WHERE a.code = 'hold:allowance:' || v_allowance_id;
    END IF;

    -- 4. The personal and hold accounts, in primary-key order; the available balance as it is now.
    FOR v_account IN
        SELECT * FROM ledger_accounts_lock(ARRAY[v_binding.account_id, v_hold_id], ARRAY[]::text[])
    LOOP
        IF v_account.o_id = v_binding.account_id THEN
            v_available := v_account.o_balance_fen;
        END IF;
    END LOOP;
    IF p_amount_fen < v_spent THEN
        PERFORM medical_refuse('allowance_below_spent', v_spent::text);
    END IF;
    v_delta := p_amount_fen - v_before;
    IF v_delta > v_available THEN
        PERFORM medical_refuse('insufficient_balance', v_available::text);
    END IF;

    -- 5. The movement, the allowance, its change, a notice to each side.
    IF v_delta <> 0 THEN
        v_txn := ledger_post(
            CASE WHEN v_delta > 0 THEN 'allowance hold' ELSE 'allowance release' END,
            'allowance:' || v_allowance_id, NULL,
            ARRAY[v_binding.account_id, v_hold_id], ARRAY[-v_delta, v_delta]::bigint[], p_now
        );
    END IF;
    IF v_new THEN
        -- A binding's new allowance keeps the notice threshold its authorizer set on the one before.
        INSERT INTO medical_allowance (
            id, binding_id, authorizer_id, beneficiary_id, hold_account_id, amount_fen, spent_fen, status,
            created_at, released_at, release_reason, notify_over_fen
        ) VALUES (
            v_allowance_id, p_binding_id, v_binding.authorizer_id, v_binding.beneficiary_id, v_hold_id,
            p_amount_fen, 0, 'active', p_now, NULL, '',
            coalesce((
                SELECT earlier.notify_over_fen FROM medical_allowance earlier
                WHERE earlier.binding_id = p_binding_id ORDER BY earlier.id DESC LIMIT 1
            ), 0)
        );
    ELSIF v_delta <> 0 THEN
        UPDATE medical_allowance SET amount_fen = p_amount_fen WHERE id = v_allowance_id;
    END IF;
    INSERT INTO medical_allowancechange (
        allowance_id, user_id, idempotency_key, kind, amount_before_fen, amount_after_fen,
        ledger_transaction_id, created_at
    ) VALUES (v_allowance_id, p_user_id, p_key, 'set', v_before, p_amount_fen, v_txn, p_now);
    IF v_delta <> 0 THEN
        v_facts := jsonb_build_object(
            'allowance_id', v_allowance_id, 'binding_id', p_binding_id, 'relation', v_binding.relation,
            'amount_before_fen', v_before, 'amount_after_fen', p_amount_fen
        );
        v_notices := ARRAY[
            notices_post(
                v_binding.authorizer_person_id, 'allowance_set',
                v_facts || jsonb_build_object(
                    'reader_is_authorizer', true, 'relative_name', v_binding.beneficiary_name,
                    'available_after_fen', v_available - v_delta
                ),
                'binding', p_binding_id, p_now
            ),
            notices_post(
                v_binding.beneficiary_person_id, 'allowance_set',
                v_facts || jsonb_build_object(
                    'reader_is_authorizer', false, 'relative_name', v_binding.authorizer_name
                ),
                'binding', p_binding_id, p_now
            )
        ];
    END IF;
    RETURN ROW(false, v_allowance_id, v_notices)::medical_allowance_changed;
END;
$$;

-- Releases every active allowance of these bindings, whose rows the caller has locked (or is ending):
-- each allowance's whole hold goes back to its authorizer's personal account in one balanced
-- transaction, and both sides are told. p_reason is authorizer_released or binding_ended.
CREATE FUNCTION medical_allowances_release(
    p_binding_ids bigint[],
    p_reason text,
    p_user_id integer,
    p_key text,
    p_now timestamptz
) RETURNS SETOF medical_allowance_changed
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_ids bigint[];
    v_account_ids bigint[];
    v_account record;
    v_held jsonb := '{}';
    v_allowance record;
    v_released bigint;
    v_txn bigint;
    v_facts jsonb;
BEGIN
    -- The allowances, then their personal and hold accounts, each in primary-key order.
    SELECT coalesce(array_agg(locked.id ORDER BY locked.id), '{}') INTO v_ids FROM (
        SELECT a.id FROM medical_allowance a
        WHERE a.binding_id = ANY (p_binding_ids) AND a.status = 'active'
        ORDER BY a.id FOR UPDATE
    ) locked;
    IF cardinality(v_ids) = 0 THEN
        RETURN;
    END IF;
    SELECT array_agg(DISTINCT i.account_id) || array_agg(a.hold_account_id) INTO v_account_ids
    FROM medical_allowance a JOIN insurees_insuree i ON i.id = a.authorizer_id WHERE a.id = ANY (v_ids);
    FOR v_account IN SELECT * FROM ledger_accounts_lock(v_account_ids, ARRAY[]::text[]) LOOP
        v_held := v_held || jsonb_build_object(v_account.o_id::text, v_account.o_balance_fen);
    END LOOP;

    FOR v_allowance IN
        SELECT a.id, a.binding_id, a.amount_fen, a.spent_fen, a.hold_account_id, i.account_id, b.relation,
               ai_person.id AS authorizer_person_id, ai_person.name AS authorizer_name,
               bi_person.id AS beneficiary_person_id, bi_person.name AS beneficiary_name
        FROM medical_allowance a
        JOIN mutual_aid_binding b ON b.id = a.binding_id
        JOIN insurees_insuree i ON i.id = a.authorizer_id
        JOIN insurees_person ai_person ON ai_person.id = i.person_id
        JOIN insurees_insuree bi ON bi.id = a.beneficiary_id
        JOIN insurees_person bi_person ON bi_person.id = bi.person_id
        WHERE a.id = ANY (v_ids) ORDER BY a.id
    LOOP
        -- What the books hold for it, all of it unspent: amount − spent.
        v_released := (v_held ->> v_allowance.hold_account_id::text)::bigint;
        v_txn := NULL;
        IF v_released > 0 THEN
            v_txn := ledger_post(
                'allowance release', 'allowance:' || v_allowance.id, NULL,
                ARRAY[v_allowance.hold_account_id, v_allowance.account_id], ARRAY[-v_released, v_released]::bigint[],
                p_now
            );
        END IF;
        UPDATE medical_allowance SET status = 'released', released_at = p_now, release_reason = p_reason
        WHERE id = v_allowance.id;
        INSERT INTO medical_allowancechange (
            allowance_id, user_id, idempotency_key, kind, amount_before_fen, amount_after_fen,
            ledger_transaction_id, created_at
        ) VALUES (
            v_allowance.id, p_user_id, coalesce(p_key, ''),
            CASE WHEN p_reason = 'binding_ended' THEN 'binding_ended' ELSE 'release' END,
            v_allowance.amount_fen, v_allowance.amount_fen - v_released, v_txn, p_now
        );
        v_facts := jsonb_build_object(
            'allowance_id', v_allowance.id, 'binding_id', v_allowance.binding_id,
            'relation', v_allowance.relation, 'reason', p_reason, 'amount_before_fen', v_allowance.amount_fen,
            'amount_after_fen', v_allowance.amount_fen - v_released, 'released_fen', v_released
        );
        RETURN NEXT ROW(false, v_allowance.id, ARRAY[
            notices_post(
                v_allowance.authorizer_person_id, 'allowance_released',
                v_facts || jsonb_build_object(
                    'reader_is_authorizer', true, 'relative_name', v_allowance.beneficiary_name
                ),
                'binding', v_allowance.binding_id, p_now
            ),
            notices_post(
                v_allowance.beneficiary_person_id, 'allowance_released',
                v_facts || jsonb_build_object(
                    'reader_is_authorizer', false, 'relative_name', v_allowance.authorizer_name
                ),
                'binding', v_allowance.binding_id, p_now
            )
        ])::medical_allowance_changed;
    END LOOP;
END;
$$;

-- The authorizer releases the allowance of his binding p_binding_id. Same key and binding again: the
-- first result; same key otherwise: a conflict.
CREATE FUNCTION medical_allowance_release(
    p_user_id integer,
    p_key text,
    p_lock_wait text,
    p_person_id bigint,
    p_binding_id bigint,
    p_now timestamptz
) RETURNS medical_allowance_changed
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_done_id bigint;
    v_binding record;
    v_result medical_allowance_changed;
BEGIN
    v_done_id := medical_change_replayed(p_user_id, p_key, p_lock_wait, 'release', p_binding_id, NULL);
    IF v_done_id IS NOT NULL THEN
        RETURN ROW(true, v_done_id, '{}'::bigint[])::medical_allowance_changed;
    END IF;
    SELECT b.id, b.status, ai.person_id INTO v_binding
    FROM mutual_aid_binding b JOIN insurees_insuree ai ON ai.id = b.authorizer_id
    WHERE b.id = p_binding_id
    FOR NO KEY UPDATE OF b;
    IF NOT FOUND OR v_binding.status <> 'active' OR v_binding.person_id <> p_person_id THEN
        PERFORM medical_refuse('binding_not_found');
    END IF;
    SELECT * INTO v_result
    FROM medical_allowances_release(ARRAY[p_binding_id], 'authorizer_released', p_user_id, p_key, p_now);
    IF v_result IS NULL THEN
        PERFORM medical_refuse('allowance_not_found');
    END IF;
    RETURN v_result;
END;
$$;

-- A binding that ends releases its allowances in the same statement's transaction, whatever ended it:
-- either side (mutual_aid.services.binding_end), a status change or a move (binding_end_all_for_insuree,
-- the roster import through insuree_change), a bulk update. A trigger, because the database itself then
-- guarantees it for every path, present and future, and it writes only medical's tables, the ledger
-- (ledger_post) and the notices (notices_post). The update has locked the ending bindings already: the
-- order stays binding → allowances → accounts. Every column of the update, not UPDATE OF status: an
-- UPDATE trigger with transition tables may name no columns.
CREATE FUNCTION medical_bindings_ended() RETURNS trigger
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_ended bigint[];
BEGIN
    SELECT array_agg(n.id ORDER BY n.id) INTO v_ended
    FROM medical_new_bindings n JOIN medical_old_bindings o ON o.id = n.id
    WHERE o.status = 'active' AND n.status <> 'active';
    IF v_ended IS NOT NULL
       AND EXISTS (SELECT 1 FROM medical_allowance a WHERE a.binding_id = ANY (v_ended) AND a.status = 'active')
    THEN
        PERFORM medical_allowances_release(v_ended, 'binding_ended', NULL, '', now());
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER medical_bindings_ended AFTER UPDATE ON mutual_aid_binding
    REFERENCING OLD TABLE AS medical_old_bindings NEW TABLE AS medical_new_bindings
    FOR EACH STATEMENT EXECUTE FUNCTION medical_bindings_ended();
