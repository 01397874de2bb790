-- The outcome store (issue 19): one row per risk decision (OPEN and ADJUST: the decisions a model made), keyed by its
-- EIP-712 digest like aml_audit_decision. It holds what the decision was computed from (the canonical feature bytes,
-- whose keccak256 is features_hash, and the engine's full-precision input), what the model predicted, the decision as
-- signed, and, once known, what happened: how the position ended on-chain (from the indexer's events) and, once the
-- market's candles cover the horizon, the max adverse excursion over it. The learning loop and `aml verify` read it.
CREATE TABLE aml_decision_outcome
(
    decision_digest        bytea            NOT NULL,
    position_id            text             NOT NULL,
    asset                  text             NOT NULL,
    kind                   text             NOT NULL,
    is_long                boolean          NOT NULL,
    model_hash             bytea            NOT NULL,
    features_hash          bytea            NOT NULL,
    -- The Decision record as signed (JSON): the digest is recomputed from it.
    decision               jsonb            NOT NULL,
    -- NULL when the risk grain no longer held the quote's inputs (RiskOptions.RecentInputs) when the open came back.
    feature_bytes          bytea            NULL,
    inputs                 jsonb            NULL,
    leverage_quantile      double precision NULL,
    leverage_alpha         double precision NULL,
    max_leverage_x100      integer          NOT NULL,
    maintenance_margin_bps integer          NOT NULL,
    risk_score_bps         integer          NOT NULL,
    entry_price_e8         bigint           NOT NULL,
    decided_at             timestamptz      NOT NULL,
    horizon_hours          integer          NOT NULL,
    -- How the position ended on-chain (the final event), NULL while it is live.
    final_status           text             NULL,
    settled_at             timestamptz      NULL,
    settle_tx_hash         bytea            NULL,
    realized_pnl           bigint           NULL,
    bad_debt               bigint           NULL,
    fill_price_e8          bigint           NULL,
    -- Matured: the candles cover [decided_at, decided_at + horizon).
    matured_at             timestamptz      NULL,
    mae                    double precision NULL,
    covered                boolean          NULL,
    liquidated             boolean          NULL,
    recorded_at            timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT pk_aml_decision_outcome PRIMARY KEY (decision_digest),
    CONSTRAINT ck_aml_decision_outcome_digest CHECK (octet_length(decision_digest) = 32),
    CONSTRAINT ck_aml_decision_outcome_model_hash CHECK (octet_length(model_hash) = 32),
    CONSTRAINT ck_aml_decision_outcome_features_hash CHECK (octet_length(features_hash) = 32),
    CONSTRAINT ck_aml_decision_outcome_horizon CHECK (horizon_hours > 0),
    CONSTRAINT ck_aml_decision_outcome_bytes CHECK (feature_bytes IS NULL OR octet_length(feature_bytes) % 4 = 0)
);

CREATE INDEX ix_aml_decision_outcome_position ON aml_decision_outcome (position_id, decided_at);
CREATE INDEX ix_aml_decision_outcome_unmatured ON aml_decision_outcome (asset, decided_at) WHERE matured_at IS NULL;
