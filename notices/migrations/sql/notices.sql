-- Writing notices: the one statement every writer goes through, from Python (notices.services) and
-- from other apps' SQL (payments_settle), so a notice is written with the change it tells of, in the
-- same transaction. Delivery outside the portal happens later, from the row (delivered_at).
--
-- Loaded whole by notices' migrations; it drops what it creates first, so loading it again after an
-- edit replaces every object with the file's current text.

DROP FUNCTION IF EXISTS notices_post(bigint, text, jsonb, text, bigint, timestamptz);
DROP FUNCTION IF EXISTS notices_post_many(bigint[], text[], jsonb[], text[], bigint[], text[], timestamptz);

-- One notice per position of the arrays (all of one length); a notice whose (person, dedup key) is
-- taken already is skipped (the unique index decides, so concurrent writers never send it twice).
-- Returns the ids written, in the order given.
CREATE FUNCTION notices_post_many(
    p_person_ids bigint[],
    p_kinds text[],
    p_facts jsonb[],
    p_link_kinds text[],
    p_link_ids bigint[],
    p_dedup_keys text[],
    p_now timestamptz
) RETURNS SETOF bigint
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
    INSERT INTO notices_notice (
        person_id, kind, facts, link_kind, link_id, dedup_key, created_at, delivery_attempts
    )
    SELECT n.person_id, n.kind, n.facts, coalesce(n.link_kind, ''), n.link_id, coalesce(n.dedup_key, ''),
           p_now, 0
    FROM unnest(p_person_ids, p_kinds, p_facts, p_link_kinds, p_link_ids, p_dedup_keys) WITH ORDINALITY
        AS n(person_id, kind, facts, link_kind, link_id, dedup_key, position)
    ORDER BY n.position
    ON CONFLICT DO NOTHING
    RETURNING id;
END;
$$;

-- One notice, for SQL callers: its id.
CREATE FUNCTION notices_post(
    p_person_id bigint, p_kind text, p_facts jsonb, p_link_kind text, p_link_id bigint, p_now timestamptz
) RETURNS bigint
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_id bigint;
BEGIN
    SELECT n INTO v_id FROM notices_post_many(
        ARRAY[p_person_id], ARRAY[p_kind], ARRAY[p_facts], ARRAY[p_link_kind], ARRAY[p_link_id], ARRAY[''],
        p_now
    ) AS n;
    RETURN v_id;
END;
$$;
