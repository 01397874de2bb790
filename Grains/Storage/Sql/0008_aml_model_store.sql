-- The model store (issue 19): every model set a silo may serve, content-addressed by its modelHash (keccak256 of the
-- model files, the calibration and the schema; Risk/RiskModelSet.cs). A set is written once and never changed: the
-- same hash published twice is one row, and a reader checks the files against the hash before serving them. Silos
-- load the models a decision names from here, so every silo of a cluster serves the same bytes and an auditor can
-- fetch the exact set behind any featuresHash/modelHash pair on-chain.
CREATE TABLE aml_model_set
(
    model_hash   bytea       NOT NULL,
    asset        text        NOT NULL,
    pooled       boolean     NOT NULL,
    trained_from timestamptz NOT NULL,
    trained_to   timestamptz NOT NULL,
    -- model.json exactly as the trainer wrote it: identity, window, schema, model card, validation metrics.
    manifest     text        NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_aml_model_set PRIMARY KEY (model_hash),
    CONSTRAINT ck_aml_model_set_hash CHECK (octet_length(model_hash) = 32),
    CONSTRAINT ck_aml_model_set_asset CHECK (length(asset) BETWEEN 1 AND 200)
);

CREATE INDEX ix_aml_model_set_asset ON aml_model_set (asset, published_at);

-- The set's files by name (leverage.zip, ..., calibration.json, model.json), the bytes the hash is over.
CREATE TABLE aml_model_file
(
    model_hash bytea NOT NULL,
    name       text  NOT NULL,
    content    bytea NOT NULL,
    CONSTRAINT pk_aml_model_file PRIMARY KEY (model_hash, name),
    CONSTRAINT fk_aml_model_file_set FOREIGN KEY (model_hash) REFERENCES aml_model_set (model_hash),
    CONSTRAINT ck_aml_model_file_name CHECK (name ~ '^[a-z0-9.-]{1,64}$')
);
