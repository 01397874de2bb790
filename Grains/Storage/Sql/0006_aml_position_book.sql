-- The market shards' position books: one row per position per shard (market × bucket), the compact row a shard keeps
-- in memory (Grains/Book/BookRow.cs). Written as deltas (a batched upsert and delete of the rows changed since the
-- last flush, one round trip) and loaded whole per shard on activation with COPY; seeded with COPY BINARY. Amounts
-- in collateral units, prices E8, margins bps, pending_margin_from unix seconds, next_reassess_at_ms unix ms (0 = not
-- scheduled); a band price 0 means no band, band directions follow BandDirection (0 falling, 1 rising).
CREATE TABLE aml_position_book
(
    market                 text     NOT NULL,
    bucket                 smallint NOT NULL,
    position_id            bytea    NOT NULL,
    is_long                boolean  NOT NULL,
    risk_score_bps         smallint NOT NULL,
    max_leverage_x100      integer  NOT NULL,
    collateral             bigint   NOT NULL,
    size                   bigint   NOT NULL,
    entry_price_e8         bigint   NOT NULL,
    maintenance_margin_bps integer  NOT NULL,
    pending_margin_bps     integer  NOT NULL,
    pending_margin_from    bigint   NOT NULL,
    version                bigint   NOT NULL,
    liquidation_direction  smallint NOT NULL,
    liquidation_band_e8    bigint   NOT NULL,
    warning_direction      smallint NOT NULL,
    warning_band_e8        bigint   NOT NULL,
    next_reassess_at_ms    bigint   NOT NULL,
    CONSTRAINT pk_aml_position_book PRIMARY KEY (market, bucket, position_id),
    CONSTRAINT ck_aml_position_book_position_id CHECK (octet_length(position_id) = 32),
    CONSTRAINT ck_aml_position_book_bucket CHECK (bucket >= 0),
    CONSTRAINT ck_aml_position_book_terms CHECK (collateral > 0 AND size > 0 AND entry_price_e8 > 0),
    CONSTRAINT ck_aml_position_book_margins CHECK (maintenance_margin_bps BETWEEN 1 AND 10000 AND pending_margin_bps BETWEEN 0 AND 10000),
    CONSTRAINT ck_aml_position_book_risk CHECK (risk_score_bps BETWEEN 0 AND 10000 AND max_leverage_x100 >= 100),
    CONSTRAINT ck_aml_position_book_times CHECK (pending_margin_from >= 0 AND version >= 0 AND next_reassess_at_ms >= 0),
    CONSTRAINT ck_aml_position_book_bands CHECK (liquidation_direction IN (0, 1) AND warning_direction IN (0, 1)
        AND liquidation_band_e8 >= 0 AND warning_band_e8 >= 0)
);
