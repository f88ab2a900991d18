-- The enrollments' SQL: how a payment, a sync and a refund take their first lock, and how a sync marks
-- an enrollment paid. Loaded whole by insurees' migrations; it drops what it creates first, so loading
-- it again after an edit replaces every object with the file's current text.

DROP FUNCTION IF EXISTS insurees_enrollments_lock(bigint[], integer, text, timestamptz);
DROP FUNCTION IF EXISTS insurees_enrollments_lock_pairs(bigint[], integer[], text[], timestamptz);
DROP FUNCTION IF EXISTS insurees_enrollments_mark_paid(bigint[], integer[], text[], bigint[], timestamptz);

-- An enrollment is per insuree, year and premium kind (resident_medical, long_term_care): a payment of
-- one kind locks and marks only that kind's enrollment, so the two kinds never wait on each other.

-- The first lock of a payment or a refund: the insurees' enrollments for the year and kind, created
-- where missing, locked in primary-key order (inserts in that order too, so two payments for the same
-- relatives in another order never wait on each other in a cycle). Returns each insuree as he is
-- once the lock is granted, in the order of the locks.
CREATE FUNCTION insurees_enrollments_lock(
    p_insuree_ids bigint[], p_year integer, p_kind text, p_now timestamptz
)
RETURNS TABLE (o_insuree_id bigint, o_scheme text, o_status text, o_region_code text)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    INSERT INTO insurees_enrollment (insuree_id, year, kind, paid, updated_at)
    SELECT wanted.id, p_year, p_kind, false, p_now FROM unnest(p_insuree_ids) AS wanted(id) ORDER BY wanted.id
    ON CONFLICT DO NOTHING;
    PERFORM 1 FROM insurees_enrollment e
    WHERE e.insuree_id = ANY (p_insuree_ids) AND e.year = p_year AND e.kind = p_kind
    ORDER BY e.id FOR UPDATE;
    RETURN QUERY
        SELECT i.id, i.scheme::text, i.status::text, i.region_code::text
        FROM insurees_enrollment e JOIN insurees_insuree i ON i.id = e.insuree_id
        WHERE e.insuree_id = ANY (p_insuree_ids) AND e.year = p_year AND e.kind = p_kind ORDER BY e.id;
END;
$$;

-- The same first lock for (insuree, year, kind) triples of several years and kinds at once (a batch
-- of syncs).
CREATE FUNCTION insurees_enrollments_lock_pairs(
    p_insuree_ids bigint[], p_years integer[], p_kinds text[], p_now timestamptz
)
RETURNS void
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    INSERT INTO insurees_enrollment (insuree_id, year, kind, paid, updated_at)
    SELECT DISTINCT wanted.id, wanted.year, wanted.kind, false, p_now
    FROM unnest(p_insuree_ids, p_years, p_kinds) AS wanted(id, year, kind) ORDER BY 1, 2, 3
    ON CONFLICT DO NOTHING;
    PERFORM 1 FROM insurees_enrollment e
    WHERE (e.insuree_id, e.year, e.kind) IN (SELECT * FROM unnest(p_insuree_ids, p_years, p_kinds))
    ORDER BY e.id FOR UPDATE;
END;
$$;

-- Marks each (insuree, year, kind) enrollment paid by its payment, under the caller's locks;
-- idempotent. Returns the payments whose enrollment changed.
CREATE FUNCTION insurees_enrollments_mark_paid(
    p_insuree_ids bigint[], p_years integer[], p_kinds text[], p_payment_ids bigint[], p_now timestamptz
) RETURNS SETOF bigint
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
        WITH marked AS (
            UPDATE insurees_enrollment e SET paid = true, payment_id = paid.payment_id, paid_at = p_now,
                updated_at = p_now
            FROM unnest(p_insuree_ids, p_years, p_kinds, p_payment_ids) AS paid(insuree_id, year, kind, payment_id)
            WHERE e.insuree_id = paid.insuree_id AND e.year = paid.year AND e.kind = paid.kind
              AND NOT (e.paid AND e.payment_id IS NOT DISTINCT FROM paid.payment_id)
            RETURNING paid.payment_id
        )
        SELECT marked.payment_id FROM marked;
END;
$$;
