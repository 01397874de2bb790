-- When each model set began serving an asset (issue 19, model cards): the first time a risk grain served it, by
-- promotion or from the local folder. A model card's live coverage counts the matured decisions made with the set
-- since then. One row per (asset, model): a set promoted again later keeps its first time.
CREATE TABLE aml_model_promotion
(
    asset       text        NOT NULL,
    model_hash  bytea       NOT NULL,
    promoted_at timestamptz NOT NULL,
    CONSTRAINT pk_aml_model_promotion PRIMARY KEY (asset, model_hash),
    CONSTRAINT fk_aml_model_promotion_set FOREIGN KEY (model_hash) REFERENCES aml_model_set (model_hash)
);
