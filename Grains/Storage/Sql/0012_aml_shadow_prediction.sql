-- Shadow predictions (issue 19 item 3): a challenger model set scores every decision the champion makes while it runs in
-- shadow, and never acts. One row per (decision, challenger), beside the champion's own predictions in
-- aml_decision_outcome; the two mature together from that row's max adverse excursion, so the trainer compares them on
-- exactly the same decisions (per-side pinball loss and coverage of the 24 h quantile behind the cap, Brier of the risk score).
CREATE TABLE aml_shadow_prediction
(
    decision_digest        bytea            NOT NULL,
    model_hash             bytea            NOT NULL,
    asset                  text             NOT NULL,
    leverage_alpha         double precision NOT NULL,
    leverage_quantile      double precision NOT NULL,
    max_leverage_x100      integer          NOT NULL,
    maintenance_margin_bps integer          NOT NULL,
    risk_score_bps         integer          NOT NULL,
    scored_at              timestamptz      NOT NULL,
    CONSTRAINT pk_aml_shadow_prediction PRIMARY KEY (decision_digest, model_hash),
    CONSTRAINT fk_aml_shadow_prediction_decision FOREIGN KEY (decision_digest) REFERENCES aml_decision_outcome (decision_digest),
    CONSTRAINT ck_aml_shadow_prediction_model_hash CHECK (octet_length(model_hash) = 32)
);

CREATE INDEX ix_aml_shadow_prediction_model ON aml_shadow_prediction (model_hash, asset);

-- The shadow scorer reads the decisions recorded since its run began; the drift watch the newest matured ones of the
-- champion per side (each hour, per asset).
CREATE INDEX ix_aml_decision_outcome_recorded ON aml_decision_outcome (asset, recorded_at);
CREATE INDEX ix_aml_decision_outcome_model_side ON aml_decision_outcome (asset, model_hash, is_long, decided_at) WHERE matured_at IS NOT NULL;
