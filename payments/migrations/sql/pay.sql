-- Paying premiums: the whole payment in one call, so one round trip per request. The rules of
-- DESIGN.md ("Rules") are written here once; payments.services.premiums is their Python door.
--
-- Locks, in the one global order every writer follows (a refund and a sync too): the idempotency key,
-- the beneficiaries' enrollments by primary key (insurees_enrollments_lock), then every ledger account
-- involved by primary key (ledger_accounts_lock). Other apps' tables are read here as their selectors
-- would read them, and written only through their own functions: the enrollments by insurees', the
-- ledger by ledger_post, the notices by notices_post.
--
-- A premium is of one kind, p_kind: the resident medical premium (resident_medical) or, where a region
-- sets a rate for it, the long-term-care premium (long_term_care). Each kind is its own premium, with
-- the same rules: its own rate and collection period, its own enrollment (locked and marked by kind),
-- once per beneficiary, year and kind, into its own fund.
--
-- A refusal is raised with SQLSTATE GJ001, the error code as message and its facts as detail; it rolls
-- the whole payment back. Loaded whole by payments' migrations; it drops what it creates first, so
-- loading it again after an edit replaces every object with the file's current text.

DROP FUNCTION IF EXISTS payments_pay(
    integer, text, text, bigint, text[], integer, text, integer, text, date, timestamptz, text[], text[], text,
    integer[], bigint
);
DROP FUNCTION IF EXISTS payments_settle(
    integer, text, text, text, bigint, bigint[], integer, text, integer, text, date, timestamptz, text[], text[],
    text, integer[], bigint
);
DROP FUNCTION IF EXISTS payments_refuse(text, text);
DROP TYPE IF EXISTS payments_paid;

CREATE FUNCTION payments_refuse(p_code text, p_detail text DEFAULT '') RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'GJ001', MESSAGE = p_code, DETAIL = p_detail;
END;
$$;

-- One row per payment made (or, o_replayed, made before under the same key).
CREATE TYPE payments_paid AS (
    o_replayed boolean,
    o_payment_id bigint,
    o_binding_id bigint,
    o_authorizer_id bigint,
    o_relation text,
    o_region_code text,
    o_amount_fen integer,
    o_ledger_transaction_id bigint,
    o_notification_id bigint,  -- the payer's notice
    o_beneficiary_notification_id bigint,  -- the relative's notice
    o_balance_after_fen bigint,
    o_authorizer_person_id bigint,
    o_authorizer_name text,
    o_authorizer_id_number text,
    o_authorizer_email text,
    o_beneficiary_id bigint,
    o_beneficiary_person_id bigint,
    o_beneficiary_name text,
    o_beneficiary_id_number text
);

-- The one entry: p_person_id pays, from his personal account, for the residents whose (normalized) ID
-- numbers he gives, or, with p_id_numbers NULL, pays his own premium from the richest bound account.
-- The people are resolved as mutual_aid.selectors.authorizer_for and
-- insurees.selectors.insuree_get_by_id_number resolve them, with the same refusals in the same order.
-- p_kind and the parameters after it have defaults, so that a caller naming no kind pays the resident
-- premium. After it, what the payer confirmed, when the caller knows it (a check page showed it):
-- p_expected_amounts, each premium's amount in p_id_numbers' order, and p_expected_payer_id, the insuree
-- whose account pays; a payment that would move anything else is refused (payments_settle). NULL checks
-- nothing (the API shows no amount before it pays).
CREATE FUNCTION payments_pay(
    p_user_id integer,
    p_key text,
    p_lock_wait text,
    p_person_id bigint,
    p_id_numbers text[],
    p_year integer,
    p_channel text,
    p_operator_id integer,
    p_counter_id text,
    p_today date,
    p_now timestamptz,
    p_references text[],
    p_codes text[],
    p_kind text DEFAULT 'resident_medical',
    p_expected_amounts integer[] DEFAULT NULL,
    p_expected_payer_id bigint DEFAULT NULL
) RETURNS SETOF payments_paid
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_authorizer record;
    v_kind_facts text;  -- the kind, in the fingerprint
    v_authorizer_id bigint;  -- NULL for a self-payment
    v_id bigint;
    v_ids bigint[] := '{}';
    v_fingerprint text;
    v_refusal text;  -- a payer no longer active: refused, unless this is a retry of a key already used
BEGIN
    IF p_year IS NULL OR p_year NOT BETWEEN 2000 AND 2100 THEN
        PERFORM payments_refuse('invalid_year');
    END IF;
    IF p_kind IS NULL OR p_kind NOT IN ('resident_medical', 'long_term_care') THEN
        PERFORM payments_refuse('invalid_kind');
    END IF;
    -- The same key for another kind is another request. The resident premium's fingerprint stays as
    -- it was before kinds, so that a retry across the upgrade still replays its payment.
    v_kind_facts := CASE WHEN p_kind = 'resident_medical' THEN '' ELSE '"kind": "' || p_kind || '", ' END;
    IF p_id_numbers IS NULL THEN
        SELECT i.id INTO v_id FROM insurees_insuree i WHERE i.person_id = p_person_id AND i.scheme = 'resident';
        IF NOT FOUND THEN
            PERFORM payments_refuse('not_insured');
        END IF;
        v_ids := ARRAY[v_id];
        v_fingerprint := '{"beneficiary": ' || v_id || ', ' || v_kind_facts || '"op": "self", "year": ' || p_year
            || '}';
    ELSE
        SELECT i.id, i.status INTO v_authorizer FROM insurees_insuree i
        WHERE i.person_id = p_person_id AND i.scheme = 'employee';
        IF NOT FOUND THEN
            IF EXISTS (SELECT 1 FROM insurees_insuree i WHERE i.person_id = p_person_id) THEN
                PERFORM payments_refuse('authorizer_not_employee');
            END IF;
            PERFORM payments_refuse('authorizer_not_insured');
        ELSIF v_authorizer.status <> 'active' THEN
            v_refusal := 'authorizer_not_active';
        END IF;
        v_authorizer_id := v_authorizer.id;
        FOR i IN 1 .. coalesce(array_length(p_id_numbers, 1), 0) LOOP
            SELECT r.id INTO v_id FROM insurees_person p
            JOIN insurees_insuree r ON r.person_id = p.id AND r.scheme = 'resident'
            WHERE p.id_number = p_id_numbers[i];
            IF NOT FOUND THEN
                PERFORM payments_refuse('not_insured');
            END IF;
            v_ids := v_ids || v_id;
        END LOOP;
        IF cardinality(v_ids) = 0 OR (SELECT count(DISTINCT b) FROM unnest(v_ids) b) <> cardinality(v_ids) THEN
            PERFORM payments_refuse('relatives_not_distinct');
        END IF;
        v_fingerprint := '{"authorizer": ' || v_authorizer_id || ', "beneficiaries": ['
            || (SELECT string_agg(b::text, ', ' ORDER BY b) FROM unnest(v_ids) b)
            || '], ' || v_kind_facts || '"op": "family", "year": ' || p_year || '}';
    END IF;
    -- A retry returns the first result whatever has changed since: payments_settle replays the key. What
    -- the payer confirmed is not in the fingerprint: a refused confirmation leaves the key free, and the
    -- same choice confirmed again at its new amount is the same request.
    IF v_refusal IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM payments_idempotencykey k WHERE k.user_id = p_user_id AND k.key = p_key
    ) THEN
        PERFORM payments_refuse(v_refusal);
    END IF;
    RETURN QUERY SELECT * FROM payments_settle(
        p_user_id, p_key, encode(sha256(convert_to(v_fingerprint, 'UTF8')), 'hex'), p_lock_wait,
        v_authorizer_id, v_ids, p_year, p_channel, p_operator_id, p_counter_id, p_today, p_now,
        p_references[1:cardinality(v_ids)], p_codes[1:cardinality(v_ids)], p_kind, p_expected_amounts,
        p_expected_payer_id
    );
END;
$$;

-- Pays the p_kind premiums of p_beneficiary_ids for p_year: from p_authorizer_id's personal account,
-- or, when p_authorizer_id is NULL (a self-payment, one beneficiary), from the richest bound account
-- that covers it, ties to the oldest binding. All or nothing; with p_expected_amounts or
-- p_expected_payer_id, nothing unless the amounts and the payer are those (payments_pay).
CREATE FUNCTION payments_settle(
    p_user_id integer,
    p_key text,
    p_fingerprint text,
    p_lock_wait text,
    p_authorizer_id bigint,
    p_beneficiary_ids bigint[],
    p_year integer,
    p_channel text,
    p_operator_id integer,
    p_counter_id text,
    p_today date,
    p_now timestamptz,
    p_references text[],
    p_codes text[],
    p_kind text,
    p_expected_amounts integer[],
    p_expected_payer_id bigint
) RETURNS SETOF payments_paid
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_key_id bigint;
    v_previous_timeout text;
    v_fingerprint text;
    v_count integer := array_length(p_beneficiary_ids, 1);
    v_beneficiary record;
    v_rate record;
    v_binding record;
    v_payer record;
    v_account record;
    v_binding_ids bigint[] := '{}';
    v_relations text[] := '{}';
    v_regions text[] := '{}';
    v_amounts integer[] := '{}';
    v_fund_codes text[];
    -- Each kind's premiums go to a fund of their own, per region.
    v_fund_prefix text :=
        CASE WHEN p_kind = 'long_term_care' THEN 'fund:ltc_premium:' ELSE 'fund:resident_premium:' END;
    v_fund_name text :=
        CASE WHEN p_kind = 'long_term_care' THEN 'Long-term-care premium fund ' ELSE 'Resident premium fund ' END;
    v_memo text := CASE WHEN p_kind = 'long_term_care' THEN 'long-term-care premium ' ELSE 'premium ' END;
    v_account_id bigint;
    v_candidates bigint[];
    v_locked_ids bigint[] := '{}';
    v_locked_balances bigint[] := '{}';
    v_person_id bigint;
    v_email text;
    v_name text;
    v_id_number text;
    v_balance bigint;
    v_total bigint := 0;
    v_funds jsonb := '{}';
    v_fund_id bigint;
    v_txn bigint;
    v_payment bigint;
    v_relative record;
    v_facts jsonb;
    v_notification bigint;
    v_relative_notification bigint;
BEGIN
    -- 1. The idempotency claim; a twin holding the same key makes this wait, at most p_lock_wait
    -- (lock_not_available then reaches the caller as idempotency_in_flight).
    v_previous_timeout := current_setting('lock_timeout');
    PERFORM set_config('lock_timeout', p_lock_wait, true);
    INSERT INTO payments_idempotencykey (user_id, key, fingerprint, created_at)
    VALUES (p_user_id, p_key, p_fingerprint, p_now)
    ON CONFLICT (user_id, key) DO NOTHING
    RETURNING id INTO v_key_id;
    PERFORM set_config('lock_timeout', v_previous_timeout, true);
    IF v_key_id IS NULL THEN
        SELECT k.id, k.fingerprint INTO v_key_id, v_fingerprint
        FROM payments_idempotencykey k WHERE k.user_id = p_user_id AND k.key = p_key;
        IF v_fingerprint <> p_fingerprint THEN
            PERFORM payments_refuse('idempotency_conflict');
        END IF;
        RETURN QUERY
            SELECT true, kp.payment_id, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::integer,
                   NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text,
                   NULL::text, NULL::bigint, NULL::bigint, NULL::text, NULL::text
            FROM payments_idempotencykey_payments kp
            WHERE kp.idempotencykey_id = v_key_id ORDER BY kp.payment_id;
        RETURN;
    END IF;

    -- 2. First lock: the enrollments; the beneficiaries as they are now, judged in the order of the locks.
    FOR v_beneficiary IN SELECT * FROM insurees_enrollments_lock(p_beneficiary_ids, p_year, p_kind, p_now) LOOP
        IF v_beneficiary.o_scheme <> 'resident' THEN
            PERFORM payments_refuse('beneficiary_not_resident');
        ELSIF v_beneficiary.o_status <> 'active' THEN
            PERFORM payments_refuse('beneficiary_not_active');
        END IF;
    END LOOP;

    -- 3. Under those locks: the binding of each beneficiary and the premium of the kind due, in the
    -- caller's order.
    FOR i IN 1 .. v_count LOOP
        IF p_authorizer_id IS NOT NULL THEN
            SELECT b.id, b.relation INTO v_binding FROM mutual_aid_binding b
            WHERE b.authorizer_id = p_authorizer_id AND b.beneficiary_id = p_beneficiary_ids[i]
              AND b.status = 'active';
            IF NOT FOUND THEN
                PERFORM payments_refuse('binding_not_found');
            END IF;
            v_binding_ids := v_binding_ids || v_binding.id;
            v_relations := v_relations || v_binding.relation::text;
        END IF;
        SELECT r.amount_fen, r.collection_start, r.collection_end, i2.region_code INTO v_rate
        FROM insurees_insuree i2
        LEFT JOIN insurees_premiumrate r ON r.region_code = i2.region_code AND r.year = p_year AND r.kind = p_kind
        WHERE i2.id = p_beneficiary_ids[i];
        IF v_rate.amount_fen IS NULL THEN
            PERFORM payments_refuse('no_premium_rate', p_kind);
        END IF;
        IF NOT p_today BETWEEN v_rate.collection_start AND v_rate.collection_end THEN
            PERFORM payments_refuse(
                'outside_collection_period',
                to_char(v_rate.collection_start, 'YYYY-MM-DD') || ' ' || to_char(v_rate.collection_end, 'YYYY-MM-DD')
            );
        END IF;
        IF EXISTS (SELECT 1 FROM payments_payment p
                   WHERE p.beneficiary_id = p_beneficiary_ids[i] AND p.year = p_year AND p.kind = p_kind
                     AND p.status = 'settled') THEN
            PERFORM payments_refuse('already_paid', p_kind);
        END IF;
        v_regions := v_regions || v_rate.region_code::text;
        v_amounts := v_amounts || v_rate.amount_fen;
        v_total := v_total + v_rate.amount_fen;
    END LOOP;
    -- These amounts are the ones posted below: held against what the payer confirmed, a rate imported
    -- since his check page refuses the payment, so money never moves at an amount he did not see.
    IF p_expected_amounts IS NOT NULL AND p_expected_amounts IS DISTINCT FROM v_amounts THEN
        PERFORM payments_refuse(
            'amount_changed',
            (SELECT coalesce(sum(a), 0) FROM unnest(p_expected_amounts) AS a)::text || ' ' || v_total::text
        );
    END IF;

    -- The regions' fund accounts, opened with a region's first payment. A twin's uncommitted opening of
    -- the same account is waited for; that twin is past its enrollment locks, so it never waits for ours.
    v_fund_codes := ARRAY(SELECT DISTINCT v_fund_prefix || r FROM unnest(v_regions) AS r ORDER BY 1);
    PERFORM ledger_accounts_ensure(
        v_fund_codes, 'fund',
        ARRAY(SELECT v_fund_name || substr(c, length(v_fund_prefix) + 1) FROM unnest(v_fund_codes) AS c),
        p_now
    );

    IF p_authorizer_id IS NOT NULL THEN
        -- 4a. The authorizer as read now, then his account and the funds, locked in one statement.
        SELECT i.status, i.account_id, i.person_id, p.email, p.name, p.id_number INTO v_payer
        FROM insurees_insuree i JOIN insurees_person p ON p.id = i.person_id WHERE i.id = p_authorizer_id;
        v_person_id := v_payer.person_id;
        v_email := v_payer.email;
        v_name := v_payer.name;
        v_id_number := v_payer.id_number;
        IF v_payer.status <> 'active' THEN
            PERFORM payments_refuse('authorizer_not_active');
        ELSIF v_payer.account_id IS NULL THEN
            PERFORM payments_refuse('authorizer_not_employee');
        END IF;
        v_account_id := v_payer.account_id;
        v_candidates := ARRAY[v_account_id];
    ELSE
        -- 4b. Self-payment: every candidate account is locked before choosing (a busy richer account is
        -- waited for, never skipped).
        SELECT array_agg(i.account_id ORDER BY i.account_id) INTO v_candidates
        FROM mutual_aid_binding b JOIN insurees_insuree i ON i.id = b.authorizer_id
        WHERE b.beneficiary_id = p_beneficiary_ids[1] AND b.status = 'active' AND NOT b.self_pay_paused
          AND i.status = 'active' AND i.account_id IS NOT NULL;
        IF v_candidates IS NULL THEN
            PERFORM payments_refuse('binding_not_found');
        END IF;
    END IF;
    FOR v_account IN SELECT * FROM ledger_accounts_lock(v_candidates, v_fund_codes) LOOP
        IF v_account.o_code = ANY (v_fund_codes) THEN
            v_funds := v_funds || jsonb_build_object(v_account.o_code, v_account.o_id);
        ELSE
            v_locked_ids := v_locked_ids || v_account.o_id;
            v_locked_balances := v_locked_balances || v_account.o_balance_fen;
        END IF;
    END LOOP;

    IF p_authorizer_id IS NOT NULL THEN
        v_balance := v_locked_balances[1];
        IF v_balance < v_total THEN
            PERFORM payments_refuse('insufficient_balance', v_total::text);
        END IF;
    ELSE
        -- The richest locked account pays, the oldest binding first among equals; a binding that
        -- qualified since the look is not waited for.
        SELECT b.id, b.relation, b.authorizer_id, locked.id AS account_id, locked.balance_fen, i.person_id,
               p.email, p.name, p.id_number
        INTO v_binding
        FROM mutual_aid_binding b
        JOIN insurees_insuree i ON i.id = b.authorizer_id
        JOIN insurees_person p ON p.id = i.person_id
        JOIN unnest(v_locked_ids, v_locked_balances) AS locked(id, balance_fen) ON locked.id = i.account_id
        WHERE b.beneficiary_id = p_beneficiary_ids[1] AND b.status = 'active' AND NOT b.self_pay_paused
          AND i.status = 'active'
        ORDER BY locked.balance_fen DESC, b.created_at, b.id
        LIMIT 1;
        IF NOT FOUND THEN  -- the last candidate went between the look and the lock
            PERFORM payments_refuse('binding_not_found');
        ELSIF v_binding.balance_fen < v_total THEN
            PERFORM payments_refuse('no_authorizer_can_pay', v_total::text);
        END IF;
        v_account_id := v_binding.account_id;
        v_balance := v_binding.balance_fen;
        v_binding_ids := ARRAY[v_binding.id];
        v_relations := ARRAY[v_binding.relation::text];
        p_authorizer_id := v_binding.authorizer_id;
        v_person_id := v_binding.person_id;
        v_email := v_binding.email;
        v_name := v_binding.name;
        v_id_number := v_binding.id_number;
    END IF;
    -- Under the accounts' locks, the payer is the one confirmed (the self-payment rule may pick another
    -- account once balances change).
    IF p_expected_payer_id IS NOT NULL AND p_expected_payer_id <> p_authorizer_id THEN
        PERFORM payments_refuse('payer_changed', p_authorizer_id::text);
    END IF;

    -- 5. Settle each premium: a balanced ledger transaction, the payment, its outbox row, the notices.
    FOR i IN 1 .. v_count LOOP
        v_fund_id := (v_funds ->> (v_fund_prefix || v_regions[i]))::bigint;
        v_balance := v_balance - v_amounts[i];
        v_txn := ledger_post(
            v_memo || p_year || ' ' || v_regions[i], p_references[i], NULL,
            ARRAY[v_account_id, v_fund_id], ARRAY[-v_amounts[i], v_amounts[i]]::bigint[], p_now
        );
        INSERT INTO payments_payment (
            reference, year, kind, amount_fen, beneficiary_id, authorizer_id, binding_id, region_code, relation,
            channel, status, ledger_transaction_id, operator_id, counter_id, verification_code, created_at,
            refund_reason, refund_note
        ) VALUES (
            p_references[i], p_year, p_kind, v_amounts[i], p_beneficiary_ids[i], p_authorizer_id, v_binding_ids[i],
            v_regions[i], v_relations[i], p_channel, 'settled', v_txn, p_operator_id, p_counter_id, p_codes[i],
            p_now, '', ''
        ) RETURNING id INTO v_payment;
        INSERT INTO payments_outboxmessage (topic, payment_id, created_at, attempts, last_error)
        VALUES ('enrollment_sync', v_payment, p_now, 0, '');
        -- A notice to each side, through notices' own function; rendered when read, in the reader's
        -- language, from these facts (payments.notifications). Each names the other side in full.
        SELECT b.id, bp.id AS person_id, bp.name::text AS name, bp.id_number::text AS id_number INTO v_relative
        FROM insurees_insuree b JOIN insurees_person bp ON bp.id = b.person_id WHERE b.id = p_beneficiary_ids[i];
        v_facts := jsonb_build_object(
            'payment_id', v_payment, 'year', p_year, 'amount_fen', v_amounts[i], 'relation', v_relations[i],
            'channel', p_channel, 'kind', p_kind
        );
        v_notification := notices_post(
            v_person_id, 'debit',
            v_facts || jsonb_build_object(
                'reader_is_authorizer', true, 'relative_name', v_relative.name, 'balance_after_fen', v_balance
            ),
            'payment', v_payment, p_now
        );
        v_relative_notification := notices_post(
            v_relative.person_id, 'premium_paid',
            v_facts || jsonb_build_object('reader_is_authorizer', false, 'relative_name', v_name),
            'payment', v_payment, p_now
        );
        INSERT INTO payments_idempotencykey_payments (idempotencykey_id, payment_id) VALUES (v_key_id, v_payment);
        RETURN QUERY SELECT false, v_payment, v_binding_ids[i], p_authorizer_id, v_relations[i], v_regions[i],
            v_amounts[i], v_txn, v_notification, v_relative_notification, v_balance, v_person_id, v_name,
            v_id_number, v_email, v_relative.id, v_relative.person_id, v_relative.name, v_relative.id_number;
    END LOOP;
END;
$$;
