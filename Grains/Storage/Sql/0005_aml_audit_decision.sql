-- The oracle's decision audit log: one row per risk decision the oracle signs, keyed by its EIP-712 digest,
-- so that "never sent twice, never lost" can be checked against the chain afterwards. Written by the oracle
-- grain; status follows the submission (e.g. signed, submitted, confirmed, failed) and outcome holds the
-- receipt's or the error's summary.
CREATE TABLE aml_audit_decision
(
    decision_digest bytea       NOT NULL,
    position_id     text        NOT NULL,
    kind            text        NOT NULL,
    features_hash   bytea       NOT NULL,
    model_hash      bytea       NOT NULL,
    signer_bitmap   bigint      NOT NULL,
    tx_hash         bytea       NULL,
    status          text        NOT NULL,
    outcome         text        NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_aml_audit_decision PRIMARY KEY (decision_digest),
    CONSTRAINT ck_aml_audit_decision_digest CHECK (octet_length(decision_digest) = 32),
    CONSTRAINT ck_aml_audit_decision_features_hash CHECK (octet_length(features_hash) = 32),
    CONSTRAINT ck_aml_audit_decision_model_hash CHECK (octet_length(model_hash) = 32),
    CONSTRAINT ck_aml_audit_decision_tx_hash CHECK (tx_hash IS NULL OR octet_length(tx_hash) = 32),
    CONSTRAINT ck_aml_audit_decision_signer_bitmap CHECK (signer_bitmap >= 0)
);

CREATE INDEX ix_aml_audit_decision_position ON aml_audit_decision (position_id, created_at);
CREATE INDEX ix_aml_audit_decision_status ON aml_audit_decision (status) WHERE status <> 'confirmed';
