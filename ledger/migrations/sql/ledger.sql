-- The ledger's own SQL: the one posting of a balanced transaction, account locks, and the invariants
-- the database holds whatever path writes (Python services, the payment functions, raw SQL).
-- Loaded whole by ledger's migrations; it drops what it creates first, so loading it again after an
-- edit replaces every object with the file's current text.

DROP FUNCTION IF EXISTS ledger_post(text, text, bigint, bigint[], bigint[], timestamptz);
DROP FUNCTION IF EXISTS ledger_accounts_lock(bigint[], text[]);
DROP FUNCTION IF EXISTS ledger_accounts_ensure(text[], text, text[], timestamptz);
DROP TRIGGER IF EXISTS ledger_entries_posted ON ledger_entry;
DROP TRIGGER IF EXISTS ledger_accounts_opened ON ledger_account;
DROP TRIGGER IF EXISTS ledger_account_opens_at_zero ON ledger_account;
DROP TRIGGER IF EXISTS ledger_account_balance_from_entries_only ON ledger_account;
DROP TRIGGER IF EXISTS ledger_account_identity_fixed ON ledger_account;
DROP TRIGGER IF EXISTS ledger_account_kept ON ledger_account;
DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_entries_posted();
DROP FUNCTION IF EXISTS ledger_accounts_opened();
DROP FUNCTION IF EXISTS ledger_refuse_balance_change();
DROP FUNCTION IF EXISTS ledger_refuse_account_change();
DROP FUNCTION IF EXISTS ledger_transaction_balanced();

-- Posts one transaction: its legs (account, amount) go in as one statement of entries, whose trigger
-- moves the balances. The caller has locked the accounts (ledger_accounts_lock) and judged their
-- balances; the database refuses an unbalanced set of legs and a negative balance all the same.
CREATE FUNCTION ledger_post(
    p_memo text,
    p_reference text,
    p_reverses bigint,
    p_account_ids bigint[],
    p_amounts bigint[],
    p_now timestamptz
) RETURNS bigint
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_txn bigint;
BEGIN
    INSERT INTO ledger_transaction (memo, reference, reverses_id, created_at)
    VALUES (p_memo, p_reference, p_reverses, p_now)
    RETURNING id INTO v_txn;
    INSERT INTO ledger_entry (transaction_id, account_id, amount_fen, created_at)
    SELECT v_txn, leg.account_id, leg.amount_fen, p_now
    FROM unnest(p_account_ids, p_amounts) AS leg(account_id, amount_fen);
    RETURN v_txn;
END;
$$;

-- The accounts with these ids or codes, locked in primary-key order (the one order every writer
-- follows), as they are once the locks are granted.
CREATE FUNCTION ledger_accounts_lock(p_ids bigint[], p_codes text[])
RETURNS TABLE (o_id bigint, o_code text, o_kind text, o_balance_fen bigint)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
        SELECT a.id, a.code::text, a.kind::text, a.balance_fen FROM ledger_account a
        WHERE a.id = ANY (p_ids) OR a.code = ANY (p_codes)
        ORDER BY a.id FOR NO KEY UPDATE;
END;
$$;

-- Opens the accounts of these codes that do not exist yet, with a zero balance, in code order. An
-- insert that meets a twin's uncommitted one waits for it, so the caller holds no account lock yet.
CREATE FUNCTION ledger_accounts_ensure(p_codes text[], p_kind text, p_names text[], p_now timestamptz)
RETURNS void
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    -- Almost always they all exist: then no insert, and no statement for the trigger on new accounts.
    IF NOT EXISTS (
        SELECT 1 FROM unnest(p_codes) AS wanted(code)
        WHERE NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.code = wanted.code)
    ) THEN
        RETURN;
    END IF;
    INSERT INTO ledger_account (code, kind, name, balance_fen, created_at)
    SELECT wanted.code, p_kind, wanted.name, 0, p_now
    FROM unnest(p_codes, p_names) AS wanted(code, name)
    WHERE NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.code = wanted.code)
    ORDER BY wanted.code
    ON CONFLICT (code) DO NOTHING;
END;
$$;

-- After each statement of entries: every transaction it touches gets all its entries from this one
-- statement (none added to a transaction posted before), at least two, summing to zero; then the
-- balances move by what the entries say, the accounts locked first in primary-key order (a no-op for a
-- caller that locked them already, as every posting of the portal does).
CREATE FUNCTION ledger_entries_posted() RETURNS trigger
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_refused bigint;
BEGIN
    SELECT t.transaction_id INTO v_refused
    FROM (
        SELECT n.transaction_id, count(*) AS legs, sum(n.amount_fen) AS total
        FROM ledger_new_entries n GROUP BY n.transaction_id
    ) t
    WHERE t.total <> 0 OR t.legs < 2
       OR (SELECT count(*) FROM ledger_entry e WHERE e.transaction_id = t.transaction_id) <> t.legs
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % is not balanced: its entries, posted together, must sum to zero',
            v_refused USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balanced';
    END IF;
    PERFORM 1 FROM ledger_account a
    WHERE a.id IN (SELECT n.account_id FROM ledger_new_entries n) ORDER BY a.id FOR NO KEY UPDATE;
    UPDATE ledger_account a SET balance_fen = a.balance_fen + moved.delta
    FROM (
        SELECT n.account_id, sum(n.amount_fen) AS delta FROM ledger_new_entries n GROUP BY n.account_id
    ) moved
    WHERE a.id = moved.account_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER ledger_entries_posted AFTER INSERT ON ledger_entry
    REFERENCING NEW TABLE AS ledger_new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_posted();

-- A balance is the sum of the account's entries: an account opens at zero, and its balance then moves
-- only with its entries (the trigger above); its key, code and kind never change, and it is never
-- deleted, so its entries stay its own.
CREATE FUNCTION ledger_refuse_balance_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'account %: a balance starts at zero and changes only by posting entries',
        coalesce(OLD.id, NEW.id) USING ERRCODE = 'check_violation', CONSTRAINT = 'balance_fen_from_entries';
END;
$$;
CREATE TRIGGER ledger_account_opens_at_zero BEFORE INSERT ON ledger_account
    FOR EACH ROW WHEN (NEW.balance_fen <> 0)
    EXECUTE FUNCTION ledger_refuse_balance_change();
CREATE TRIGGER ledger_account_balance_from_entries_only BEFORE UPDATE OF balance_fen ON ledger_account
    FOR EACH ROW WHEN (OLD.balance_fen IS DISTINCT FROM NEW.balance_fen AND pg_trigger_depth() = 0)
    EXECUTE FUNCTION ledger_refuse_balance_change();

CREATE FUNCTION ledger_refuse_account_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'account %: an account keeps its key, code and kind, and is never deleted', OLD.id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_account_identity_fixed';
END;
$$;
CREATE TRIGGER ledger_account_identity_fixed BEFORE UPDATE OF id, code, kind ON ledger_account
    FOR EACH ROW WHEN (OLD.id <> NEW.id OR OLD.code <> NEW.code OR OLD.kind <> NEW.kind)
    EXECUTE FUNCTION ledger_refuse_account_change();
CREATE TRIGGER ledger_account_kept BEFORE DELETE ON ledger_account
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_account_change();

-- At commit, as django-hordak does: every transaction posted has entries, and they sum to zero.
CREATE FUNCTION ledger_transaction_balanced() RETURNS trigger
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_legs bigint;
    v_total bigint;
BEGIN
    SELECT count(*), coalesce(sum(e.amount_fen), 0) INTO v_legs, v_total
    FROM ledger_entry e WHERE e.transaction_id = NEW.id;
    IF v_legs < 2 OR v_total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % is not balanced (% entries summing to %)', NEW.id, v_legs, v_total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balanced';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER ledger_transaction_balanced AFTER INSERT ON ledger_transaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balanced();
