"""On PostgreSQL a payment and an enrollment sync each run as one server-side function: one round trip
instead of twenty, with the same locks in the same order and the same refusals as the ORM path that
SQLite keeps (payments/services.py). payments/postgres.py calls them; the behaviour tests run on both.

A refusal is raised with SQLSTATE GJ001, the error code as message and its facts as detail; it rolls
the whole transaction back, as the ORM path's ApplicationError does.
"""

from django.db import migrations

PAY = r"""
CREATE OR REPLACE FUNCTION payments_refuse(p_code text, p_detail text DEFAULT '') RETURNS void
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
    o_notification_id bigint,
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

-- Pays the premiums of p_beneficiary_ids for p_year: from p_authorizer_id's personal account, or, when
-- p_authorizer_id is NULL (a self-payment, one beneficiary), from the richest bound account that
-- covers it. All or nothing. Returns one row per payment, o_replayed when the key was used before.
CREATE OR REPLACE FUNCTION payments_pay(
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
    p_codes text[]
) RETURNS SETOF payments_paid
LANGUAGE plpgsql AS $$
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
    v_account_id bigint;
    v_candidates bigint[];
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
    v_notification bigint;
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
                   NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text,
                   NULL::bigint, NULL::bigint, NULL::text, NULL::text
            FROM payments_idempotencykey_payments kp
            WHERE kp.idempotencykey_id = v_key_id ORDER BY kp.payment_id;
        RETURN;
    END IF;

    -- 2. First lock: the enrollments, created where missing, in primary-key order.
    INSERT INTO insurees_enrollment (insuree_id, year, paid, updated_at)
    SELECT b.id, p_year, false, p_now FROM unnest(p_beneficiary_ids) AS b(id) ORDER BY b.id
    ON CONFLICT DO NOTHING;
    PERFORM 1 FROM insurees_enrollment e
    WHERE e.insuree_id = ANY (p_beneficiary_ids) AND e.year = p_year
    ORDER BY e.id FOR UPDATE;
    -- The beneficiaries as they are now, judged in the order of their locks.
    FOR v_beneficiary IN
        SELECT i.scheme, i.status FROM insurees_enrollment e JOIN insurees_insuree i ON i.id = e.insuree_id
        WHERE e.insuree_id = ANY (p_beneficiary_ids) AND e.year = p_year ORDER BY e.id
    LOOP
        IF v_beneficiary.scheme <> 'resident' THEN
            PERFORM payments_refuse('beneficiary_not_resident');
        ELSIF v_beneficiary.status <> 'active' THEN
            PERFORM payments_refuse('beneficiary_not_active');
        END IF;
    END LOOP;

    -- 3. Under those locks: the binding of each beneficiary and the premium due, in the caller's order.
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
        LEFT JOIN insurees_premiumrate r ON r.region_code = i2.region_code AND r.year = p_year
        WHERE i2.id = p_beneficiary_ids[i];
        IF v_rate.amount_fen IS NULL THEN
            PERFORM payments_refuse('no_premium_rate');
        END IF;
        IF NOT p_today BETWEEN v_rate.collection_start AND v_rate.collection_end THEN
            PERFORM payments_refuse(
                'outside_collection_period',
                to_char(v_rate.collection_start, 'YYYY-MM-DD') || ' ' || to_char(v_rate.collection_end, 'YYYY-MM-DD')
            );
        END IF;
        IF EXISTS (SELECT 1 FROM payments_payment p
                   WHERE p.beneficiary_id = p_beneficiary_ids[i] AND p.year = p_year AND p.status = 'settled') THEN
            PERFORM payments_refuse('already_paid');
        END IF;
        v_regions := v_regions || v_rate.region_code::text;
        v_amounts := v_amounts || v_rate.amount_fen;
        v_total := v_total + v_rate.amount_fen;
    END LOOP;

    -- The regions' fund accounts, created with a region's first payment. A twin's uncommitted insert of
    -- the same account is waited for; that twin is past its enrollment locks, so it never waits for ours.
    INSERT INTO ledger_account (code, kind, name, balance_fen, created_at)
    SELECT 'fund:resident_premium:' || r, 'fund', 'Resident premium fund ' || r, 0, p_now
    FROM (SELECT DISTINCT unnest(v_regions) AS r ORDER BY 1) AS regions
    WHERE NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.code = 'fund:resident_premium:' || regions.r)
    ON CONFLICT (code) DO NOTHING;

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
        FOR v_account IN
            SELECT a.id, a.code, a.balance_fen FROM ledger_account a
            WHERE a.id = ANY (v_account_id || ARRAY(
                SELECT f.id FROM ledger_account f
                WHERE f.code = ANY (ARRAY(SELECT 'fund:resident_premium:' || unnest(v_regions)))
            ))
            ORDER BY a.id FOR UPDATE
        LOOP
            IF v_account.id = v_account_id THEN
                v_balance := v_account.balance_fen;
            ELSE
                v_funds := v_funds || jsonb_build_object(v_account.code, v_account.id);
            END IF;
        END LOOP;
        IF v_balance < v_total THEN
            PERFORM payments_refuse('insufficient_balance', v_total::text);
        END IF;
    ELSE
        -- 4b. Self-payment: every candidate account is locked before choosing (a busy richer account is
        -- waited for, never skipped), then the richest pays, the oldest binding first among equals.
        SELECT array_agg(i.account_id ORDER BY i.account_id) INTO v_candidates
        FROM mutual_aid_binding b JOIN insurees_insuree i ON i.id = b.authorizer_id
        WHERE b.beneficiary_id = p_beneficiary_ids[1] AND b.status = 'active' AND NOT b.self_pay_paused
          AND i.status = 'active' AND i.account_id IS NOT NULL;
        IF v_candidates IS NULL THEN
            PERFORM payments_refuse('binding_not_found');
        END IF;
        PERFORM 1 FROM ledger_account a
        WHERE a.id = ANY (v_candidates || ARRAY(
            SELECT f.id FROM ledger_account f WHERE f.code = 'fund:resident_premium:' || v_regions[1]
        ))
        ORDER BY a.id FOR UPDATE;
        -- Chosen among the locked accounts only: a binding that qualified since is not waited for.
        SELECT b.id, b.relation, b.authorizer_id, a.id AS account_id, a.balance_fen, i.person_id, p.email,
               p.name, p.id_number
        INTO v_binding
        FROM mutual_aid_binding b
        JOIN insurees_insuree i ON i.id = b.authorizer_id
        JOIN insurees_person p ON p.id = i.person_id
        JOIN ledger_account a ON a.id = i.account_id
        WHERE b.beneficiary_id = p_beneficiary_ids[1] AND b.status = 'active' AND NOT b.self_pay_paused
          AND i.status = 'active' AND a.id = ANY (v_candidates)
        ORDER BY a.balance_fen DESC, b.created_at, b.id
        LIMIT 1;
        IF NOT FOUND THEN  -- the last candidate went between the look and the lock
            PERFORM payments_refuse('binding_not_found');
        ELSIF v_binding.balance_fen < v_total THEN
            PERFORM payments_refuse('no_authorizer_can_pay', v_total::text);
        END IF;
        SELECT a.id INTO v_fund_id FROM ledger_account a WHERE a.code = 'fund:resident_premium:' || v_regions[1];
        v_funds := jsonb_build_object('fund:resident_premium:' || v_regions[1], v_fund_id);
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

    -- 5. Settle each premium: a balanced ledger transaction, the payment, its outbox row, the notice.
    FOR i IN 1 .. v_count LOOP
        v_fund_id := (v_funds ->> ('fund:resident_premium:' || v_regions[i]))::bigint;
        v_balance := v_balance - v_amounts[i];
        INSERT INTO ledger_transaction (memo, reference, created_at)
        VALUES ('premium ' || p_year || ' ' || v_regions[i], p_references[i], p_now)
        RETURNING id INTO v_txn;
        INSERT INTO ledger_entry (transaction_id, account_id, amount_fen, created_at)
        VALUES (v_txn, v_account_id, -v_amounts[i], p_now), (v_txn, v_fund_id, v_amounts[i], p_now);
        UPDATE ledger_account a
        SET balance_fen = a.balance_fen + CASE WHEN a.id = v_account_id THEN -v_amounts[i] ELSE v_amounts[i] END
        WHERE a.id IN (v_account_id, v_fund_id);
        INSERT INTO payments_payment (
            reference, year, amount_fen, beneficiary_id, authorizer_id, binding_id, region_code, relation,
            channel, status, ledger_transaction_id, operator_id, counter_id, verification_code, created_at,
            refund_reason, refund_note
        ) VALUES (
            p_references[i], p_year, v_amounts[i], p_beneficiary_ids[i], p_authorizer_id, v_binding_ids[i],
            v_regions[i], v_relations[i], p_channel, 'settled', v_txn, p_operator_id, p_counter_id, p_codes[i],
            p_now, '', ''
        ) RETURNING id INTO v_payment;
        INSERT INTO payments_outboxmessage (topic, payment_id, created_at, attempts, last_error)
        VALUES ('enrollment_sync', v_payment, p_now, 0, '');
        INSERT INTO payments_notification (person_id, kind, payment_id, balance_after_fen, created_at)
        VALUES (v_person_id, 'debit', v_payment, v_balance, p_now)
        RETURNING id INTO v_notification;
        INSERT INTO payments_idempotencykey_payments (idempotencykey_id, payment_id) VALUES (v_key_id, v_payment);
        RETURN QUERY SELECT false, v_payment, v_binding_ids[i], p_authorizer_id, v_relations[i], v_regions[i],
            v_amounts[i], v_txn, v_notification, v_balance, v_person_id, v_name, v_id_number, v_email,
            b.id, bp.id, bp.name::text, bp.id_number::text
            FROM insurees_insuree b JOIN insurees_person bp ON bp.id = b.person_id WHERE b.id = p_beneficiary_ids[i];
    END LOOP;
END;
$$;
-- The API's payments, as the signed-in person asks for them: p_person_id pays for the residents whose
-- ID numbers he gives, or, with p_id_numbers NULL, pays his own premium. Resolves them as the views'
-- lookups do (mutual_aid.selectors.authorizer_for, insurees.selectors.insuree_get_by_id_number),
-- with the same refusals in the same order, then pays through payments_pay with the fingerprint the
-- ORM path computes from the same insurees (payments.services._fingerprint), so a key used on one
-- path replays on the other. One round trip for a whole request.
CREATE OR REPLACE FUNCTION payments_pay_for_person(
    p_user_id integer,
    p_key text,
    p_lock_wait text,
    p_person_id bigint,
    p_id_numbers text[],
    p_year integer,
    p_channel text,
    p_today date,
    p_now timestamptz,
    p_references text[],
    p_codes text[]
) RETURNS SETOF payments_paid
LANGUAGE plpgsql AS $$
DECLARE
    v_authorizer record;
    v_authorizer_id bigint;  -- NULL for a self-payment
    v_id bigint;
    v_ids bigint[] := '{}';
    v_fingerprint text;
BEGIN
    IF p_id_numbers IS NULL THEN
        SELECT i.id INTO v_id FROM insurees_insuree i WHERE i.person_id = p_person_id AND i.scheme = 'resident';
        IF NOT FOUND THEN
            PERFORM payments_refuse('not_insured');
        END IF;
        v_ids := ARRAY[v_id];
        v_fingerprint := '{"beneficiary": ' || v_id || ', "op": "self", "year": ' || p_year || '}';
    ELSE
        SELECT i.id, i.status INTO v_authorizer FROM insurees_insuree i
        WHERE i.person_id = p_person_id AND i.scheme = 'employee';
        IF NOT FOUND THEN
            IF EXISTS (SELECT 1 FROM insurees_insuree i WHERE i.person_id = p_person_id) THEN
                PERFORM payments_refuse('authorizer_not_employee');
            END IF;
            PERFORM payments_refuse('authorizer_not_insured');
        ELSIF v_authorizer.status <> 'active' THEN
            PERFORM payments_refuse('authorizer_not_active');
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
            || '], "op": "family", "year": ' || p_year || '}';
    END IF;
    RETURN QUERY SELECT * FROM payments_pay(
        p_user_id, p_key, encode(sha256(convert_to(v_fingerprint, 'UTF8')), 'hex'), p_lock_wait,
        v_authorizer_id, v_ids, p_year, p_channel,
        NULL, '', p_today, p_now, p_references[1:cardinality(v_ids)], p_codes[1:cardinality(v_ids)]
    );
END;
$$;

-- Marks the enrollments of settled payments paid and closes their outbox rows; safe to run any number of
-- times (a refunded payment marks nothing). With p_payment_ids: those payments. Without: up to p_limit
-- open outbox rows, skipping rows another sync holds. Locks, in order: the outbox rows, the enrollments
-- by primary key, the payments by primary key (a refund locks enrollment, then payment, too).
CREATE OR REPLACE FUNCTION payments_sync_enrollments(p_payment_ids bigint[], p_limit integer, p_now timestamptz)
RETURNS TABLE (o_payment_id bigint, o_status text, o_changed boolean, o_lag_seconds double precision)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_rows bigint[];
    v_ids bigint[];
    v_changed bigint[];
BEGIN
    IF p_payment_ids IS NULL THEN
        SELECT array_agg(o.id), array_agg(DISTINCT o.payment_id) INTO v_rows, v_ids
        FROM (
            SELECT o.id, o.payment_id FROM payments_outboxmessage o
            WHERE o.dispatched_at IS NULL ORDER BY o.id LIMIT p_limit FOR UPDATE SKIP LOCKED
        ) o;
    ELSE
        SELECT array_agg(o.id) INTO v_rows
        FROM (
            SELECT o.id FROM payments_outboxmessage o
            WHERE o.payment_id = ANY (p_payment_ids) AND o.dispatched_at IS NULL ORDER BY o.id FOR UPDATE
        ) o;
        SELECT array_agg(p.id) INTO v_ids FROM payments_payment p WHERE p.id = ANY (p_payment_ids);
    END IF;
    IF v_ids IS NULL THEN
        RETURN;
    END IF;

    INSERT INTO insurees_enrollment (insuree_id, year, paid, updated_at)
    SELECT DISTINCT p.beneficiary_id, p.year, false, p_now FROM payments_payment p
    WHERE p.id = ANY (v_ids) ORDER BY 1, 2
    ON CONFLICT DO NOTHING;
    PERFORM 1 FROM insurees_enrollment e
    WHERE (e.insuree_id, e.year) IN (SELECT p.beneficiary_id, p.year FROM payments_payment p WHERE p.id = ANY (v_ids))
    ORDER BY e.id FOR UPDATE OF e;
    PERFORM 1 FROM payments_payment p WHERE p.id = ANY (v_ids) ORDER BY p.id FOR UPDATE;

    WITH marked AS (
        UPDATE insurees_enrollment e SET paid = true, payment_id = p.id, paid_at = p_now
        FROM payments_payment p
        WHERE p.id = ANY (v_ids) AND p.status = 'settled'
          AND e.insuree_id = p.beneficiary_id AND e.year = p.year
          AND NOT (e.paid AND e.payment_id IS NOT DISTINCT FROM p.id)
        RETURNING p.id
    )
    SELECT array_agg(marked.id) INTO v_changed FROM marked;
    UPDATE payments_payment p SET enrollment_synced_at = p_now
    WHERE p.id = ANY (v_ids) AND p.enrollment_synced_at IS NULL;
    UPDATE payments_outboxmessage o SET dispatched_at = p_now WHERE o.id = ANY (v_rows);

    RETURN QUERY
        SELECT p.id, p.status::text, p.id = ANY (coalesce(v_changed, '{}')),
               extract(epoch FROM p.enrollment_synced_at - p.created_at)::double precision
        FROM payments_payment p WHERE p.id = ANY (v_ids) ORDER BY p.id;
END;
$$;
"""

UNPAY = """
DROP FUNCTION IF EXISTS payments_pay(
    integer, text, text, text, bigint, bigint[], integer, text, integer, text, date, timestamptz, text[], text[]
);
DROP FUNCTION IF EXISTS payments_pay_for_person(
    integer, text, text, bigint, text[], integer, text, date, timestamptz, text[], text[]
);
DROP FUNCTION IF EXISTS payments_refuse(text, text);
DROP TYPE IF EXISTS payments_paid;
DROP FUNCTION IF EXISTS payments_sync_enrollments(bigint[], integer, timestamptz);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PAY)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNPAY)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_payment_newest_first_index"),
        ("insurees", "0001_initial"),
        ("ledger", "0002_entries_append_only"),
        ("mutual_aid", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, backward)]
