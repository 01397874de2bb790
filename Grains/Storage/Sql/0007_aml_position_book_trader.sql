-- The trader holding each book row, so that a shard that re-activates can price its due rows in the reassessment batch
-- (the trader's profile is a model input) instead of waking every position whose trader it has not seen again. The
-- in-memory row (Grains/Book/BookRow.cs) has no room for a 20-byte address (its 128 bytes have 15 of padding), so the
-- shard keeps traders beside the rows and stores them here, in the row's own line of the table: one COPY still loads a
-- shard and one batch still writes a delta. The exact id the position holds (the TraderGrain key), not a normalised
-- address: a differently cased form would be another trader grain. NULL only for rows stored before this migration;
-- those wake their position, whose next upsert fills it in.
ALTER TABLE aml_position_book
    ADD COLUMN trader text NULL,
    ADD CONSTRAINT ck_aml_position_book_trader CHECK (trader IS NULL OR length(trader) BETWEEN 1 AND 100);
