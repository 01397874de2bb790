-- The oracle's state as a row journal (Grains/Oracle/OracleJournal.cs), replacing the one grain-state blob it rewrote on
-- every write: each write stores only the rows that changed since the last one, in one batch (one round trip, one
-- transaction) together with the audit rows of the same decisions (staged in an outbox table when the audit table
-- refuses them), and activation rebuilds the state from the rows.
-- Times are the oracle's clock; settled entries past the retention window are deleted by the write that follows the
-- oracle's own pruning.

-- One row per oracle: the fencing version (each write advances it by one, and only from the version the writer read,
-- so a second activation of the same oracle cannot interleave its writes) and the next batch nonce.
CREATE TABLE aml_oracle_journal
(
    oracle_key       text        NOT NULL,
    version          bigint      NOT NULL,
    next_batch_nonce bigint      NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_aml_oracle_journal PRIMARY KEY (oracle_key),
    CONSTRAINT ck_aml_oracle_journal_version CHECK (version > 0 AND next_batch_nonce >= 0)
);

-- Every decision the oracle took in and still holds, by digest: the decision as submitted (UTF-8 JSON, never changed
-- after the insert) and its progress (changed in place). queue_seq orders the queue; NULL when not queued.
CREATE TABLE aml_oracle_entry
(
    oracle_key       text        NOT NULL,
    digest           bytea       NOT NULL,
    decision         bytea       NOT NULL,
    trader_signature text        NULL,
    trace_parent     text        NULL,
    queued_at        timestamptz NOT NULL,
    status           text        NOT NULL,
    signer_bitmap    text        NOT NULL,
    tx_hash          text        NULL,
    outcome          text        NULL,
    updated_at       timestamptz NOT NULL,
    signed_at        timestamptz NULL,
    queue_seq        bigint      NULL,
    CONSTRAINT pk_aml_oracle_entry PRIMARY KEY (oracle_key, digest),
    CONSTRAINT ck_aml_oracle_entry_digest CHECK (octet_length(digest) = 32)
);

-- The signed transactions in flight (mined = false) and mined but not yet confirmed (mined = true), with the exact raw
-- bytes that are rebroadcast after a crash; seq orders each list.
CREATE TABLE aml_oracle_transaction
(
    oracle_key  text        NOT NULL,
    tx_hash     text        NOT NULL,
    raw         bytea       NOT NULL,
    nonce       bigint      NOT NULL,
    digests     text[]      NOT NULL,
    batch_nonce bigint      NULL,
    sent_at     timestamptz NOT NULL,
    mined       boolean     NOT NULL,
    block       bigint      NOT NULL,
    block_hash  text        NULL,
    seq         bigint      NOT NULL,
    CONSTRAINT pk_aml_oracle_transaction PRIMARY KEY (oracle_key, tx_hash),
    CONSTRAINT ck_aml_oracle_transaction_numbers CHECK (nonce >= 0 AND block >= 0 AND (batch_nonce IS NULL OR batch_nonce >= 0))
);

-- The live CLOSE of each position (UTF-8 JSON of the signed decision).
CREATE TABLE aml_oracle_close
(
    oracle_key  text  NOT NULL,
    position_id text  NOT NULL,
    signed      bytea NOT NULL,
    CONSTRAINT pk_aml_oracle_close PRIMARY KEY (oracle_key, position_id)
);

-- The first statement of every journal write: advances the oracle's version from p_expected (0: no row yet) and stores
-- the next batch nonce, or raises SQLSTATE AMLJ1, which aborts the whole write, when another writer got there first.
CREATE FUNCTION aml_oracle_journal_advance(p_key text, p_expected bigint, p_next_batch_nonce bigint) RETURNS bigint
    LANGUAGE plpgsql AS
$$
BEGIN
    IF p_expected = 0 THEN
        INSERT INTO aml_oracle_journal (oracle_key, version, next_batch_nonce)
        VALUES (p_key, 1, p_next_batch_nonce)
        ON CONFLICT (oracle_key) DO NOTHING;
    ELSE
        UPDATE aml_oracle_journal
        SET version = version + 1, next_batch_nonce = p_next_batch_nonce, updated_at = now()
        WHERE oracle_key = p_key AND version = p_expected;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the oracle journal of % is no longer at version %: another activation wrote it', p_key, p_expected
            USING ERRCODE = 'AMLJ1';
    END IF;
    RETURN p_expected + 1;
END
$$;

-- Audit rows the audit table refused (it was away, locked out, or a row failed a check), kept until it takes them: a
-- journal write must never fail, nor the engine stop, because of its audit rows, and none may be lost.
-- Its columns are the audit table's (as a row of it is staged), without the two times the upsert sets.
CREATE TABLE aml_oracle_audit_outbox (LIKE aml_audit_decision);
ALTER TABLE aml_oracle_audit_outbox
    DROP COLUMN created_at,
    DROP COLUMN updated_at,
    ADD COLUMN staged_order bigint GENERATED ALWAYS AS IDENTITY,
    ADD CONSTRAINT pk_aml_oracle_audit_outbox PRIMARY KEY (decision_digest);

-- The audit statement of a journal write: upserts the given rows (and any staged earlier, which rows given now for the
-- same digest replace) into aml_audit_decision and returns true; when that fails, stages the given rows instead and
-- returns false, so the journal write around it still commits. Called with empty arrays it only drains the outbox.
-- A new audit row's created_at is now() plus its place in the call in microseconds, so rows inserted together keep
-- their order (readers order by created_at); staged rows come just before.
CREATE FUNCTION aml_oracle_audit(
    p_digest bytea[], p_position text[], p_kind text[], p_features bytea[], p_model bytea[], p_bitmap bigint[], p_tx bytea[],
    p_status text[], p_outcome text[], p_signed timestamptz[]) RETURNS boolean
    LANGUAGE plpgsql AS
$$
BEGIN
    BEGIN
        WITH moved AS (
            DELETE FROM aml_oracle_audit_outbox
            RETURNING decision_digest, position_id, kind, features_hash, model_hash, signer_bitmap, tx_hash, status, outcome, signed_at, staged_order),
        given AS (
            SELECT d, p, k, f, m, b, t, s, o, sa, n
            FROM unnest(p_digest, p_position, p_kind, p_features, p_model, p_bitmap, p_tx, p_status, p_outcome, p_signed)
                WITH ORDINALITY AS r(d, p, k, f, m, b, t, s, o, sa, n)
            UNION ALL
            SELECT decision_digest, position_id, kind, features_hash, model_hash, signer_bitmap, tx_hash, status, outcome, signed_at,
                   row_number() OVER (ORDER BY staged_order) - count(*) OVER ()
            FROM moved WHERE NOT (decision_digest = ANY (p_digest)))
        INSERT INTO aml_audit_decision
            (decision_digest, position_id, kind, features_hash, model_hash, signer_bitmap, tx_hash, status, outcome, signed_at, created_at, updated_at)
        SELECT d, p, k, f, m, b, t, s, o, sa, now() + n * interval '1 microsecond', now() FROM given
        ON CONFLICT (decision_digest) DO UPDATE SET
            signer_bitmap = EXCLUDED.signer_bitmap, tx_hash = EXCLUDED.tx_hash, status = EXCLUDED.status,
            outcome = EXCLUDED.outcome, signed_at = COALESCE(aml_audit_decision.signed_at, EXCLUDED.signed_at), updated_at = now();
        RETURN true;
    EXCEPTION WHEN OTHERS THEN
        INSERT INTO aml_oracle_audit_outbox
            (decision_digest, position_id, kind, features_hash, model_hash, signer_bitmap, tx_hash, status, outcome, signed_at)
        SELECT * FROM unnest(p_digest, p_position, p_kind, p_features, p_model, p_bitmap, p_tx, p_status, p_outcome, p_signed)
        ON CONFLICT (decision_digest) DO UPDATE SET
            signer_bitmap = EXCLUDED.signer_bitmap, tx_hash = EXCLUDED.tx_hash, status = EXCLUDED.status, outcome = EXCLUDED.outcome,
            signed_at = COALESCE(aml_oracle_audit_outbox.signed_at, EXCLUDED.signed_at);
        RETURN false;
    END;
END
$$;
