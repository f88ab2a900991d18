-- The enrollment sync: marks the enrollments of settled payments paid and closes their outbox rows;
-- safe to run any number of times (a refunded payment marks nothing). payments.services.sync is its
-- Python door. Each payment marks the enrollment of its own year and premium kind. Loaded whole by
-- payments' migrations; it drops what it creates first.

DROP FUNCTION IF EXISTS payments_sync_enrollments(bigint[], integer, timestamptz);

-- With p_payment_ids: those payments. Without: up to p_limit open outbox rows, skipping rows another
-- sync holds. Locks, in order: the outbox rows, the enrollments by primary key (through insurees),
-- the payments by primary key (a refund locks enrollment, then payment, too).
CREATE FUNCTION payments_sync_enrollments(p_payment_ids bigint[], p_limit integer, p_now timestamptz)
RETURNS TABLE (o_payment_id bigint, o_status text, o_changed boolean, o_lag_seconds double precision)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_rows bigint[];
    v_ids bigint[];
    v_beneficiaries bigint[];
    v_years integer[];
    v_kinds text[];
    v_settled bigint[];
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

    SELECT array_agg(p.beneficiary_id), array_agg(p.year::integer), array_agg(p.kind::text)
    INTO v_beneficiaries, v_years, v_kinds
    FROM payments_payment p WHERE p.id = ANY (v_ids);
    PERFORM insurees_enrollments_lock_pairs(v_beneficiaries, v_years, v_kinds, p_now);
    PERFORM 1 FROM payments_payment p WHERE p.id = ANY (v_ids) ORDER BY p.id FOR UPDATE;

    -- Read under the payments' locks: a refund that came first has made its payment mark nothing.
    SELECT array_agg(p.beneficiary_id ORDER BY p.id), array_agg(p.year::integer ORDER BY p.id),
           array_agg(p.kind::text ORDER BY p.id), array_agg(p.id ORDER BY p.id)
    INTO v_beneficiaries, v_years, v_kinds, v_settled
    FROM payments_payment p WHERE p.id = ANY (v_ids) AND p.status = 'settled';
    SELECT array_agg(marked) INTO v_changed
    FROM insurees_enrollments_mark_paid(v_beneficiaries, v_years, v_kinds, v_settled, p_now) AS marked;
    UPDATE payments_payment p SET enrollment_synced_at = p_now
    WHERE p.id = ANY (v_ids) AND p.enrollment_synced_at IS NULL;
    UPDATE payments_outboxmessage o SET dispatched_at = p_now WHERE o.id = ANY (v_rows);

    RETURN QUERY
        SELECT p.id, p.status::text, p.id = ANY (coalesce(v_changed, '{}')),
               extract(epoch FROM p.enrollment_synced_at - p.created_at)::double precision
        FROM payments_payment p WHERE p.id = ANY (v_ids) ORDER BY p.id;
END;
$$;
