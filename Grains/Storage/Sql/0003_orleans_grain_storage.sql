-- Grain state for Microsoft.Orleans.Persistence.AdoNet (10.4.2).
--
-- A grain's state is one row, identified by service, grain type and grain id (N0/N1 of a Guid or integer key,
-- the string key or key extension in grain_id_extension). The two hashes come from the provider and only feed
-- the index. `version` is the ETag: a write or clear names the version it read and succeeds only if the row
-- still has it (optimistic concurrency); a first write (no version) succeeds only if no row exists. Each
-- statement returns exactly one row, and a returned version equal to the caller's (or NULL) is how the
-- provider learns of a conflict and throws InconsistentStateException.
CREATE TABLE orleans_storage
(
    service_id         varchar(150) NOT NULL,
    grain_type         varchar(512) NOT NULL,
    grain_type_hash    integer      NOT NULL,
    grain_id_hash      integer      NOT NULL,
    grain_id_n0        bigint       NOT NULL,
    grain_id_n1        bigint       NOT NULL,
    grain_id_extension varchar(512) NULL,
    payload_binary     bytea        NULL,
    version            integer      NOT NULL,
    modified_at        timestamptz  NOT NULL DEFAULT now(),
    -- NULLS NOT DISTINCT (PostgreSQL 15): a grain without key extension is still one row.
    CONSTRAINT uq_orleans_storage_grain UNIQUE NULLS NOT DISTINCT
        (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension)
);

CREATE INDEX ix_orleans_storage_hashes ON orleans_storage (grain_id_hash, grain_type_hash);

INSERT INTO orleansquery (querykey, querytext) VALUES
('ReadFromStorageKey', $q$
SELECT payload_binary AS "PayloadBinary", version AS "Version"
FROM orleans_storage
WHERE grain_id_hash = @GrainIdHash::integer AND grain_type_hash = @GrainTypeHash::integer
  AND service_id = @ServiceId::varchar AND grain_type = @GrainTypeString::varchar
  AND grain_id_n0 = @GrainIdN0::bigint AND grain_id_n1 = @GrainIdN1::bigint
  AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString::varchar;
$q$),

-- Update when the caller's version matches, insert when the caller has none and no row exists; otherwise
-- nothing changes and the caller's own version (or NULL) comes back as the conflict signal.
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE orleans_storage
    SET payload_binary = @PayloadBinary::bytea, version = version + 1, modified_at = now()
    WHERE @GrainStateVersion::integer IS NOT NULL
      AND grain_id_hash = @GrainIdHash::integer AND grain_type_hash = @GrainTypeHash::integer
      AND service_id = @ServiceId::varchar AND grain_type = @GrainTypeString::varchar
      AND grain_id_n0 = @GrainIdN0::bigint AND grain_id_n1 = @GrainIdN1::bigint
      AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString::varchar
      AND version = @GrainStateVersion::integer
    RETURNING version),
inserted AS (
    INSERT INTO orleans_storage
        (service_id, grain_type, grain_type_hash, grain_id_hash, grain_id_n0, grain_id_n1,
         grain_id_extension, payload_binary, version)
    SELECT @ServiceId::varchar, @GrainTypeString::varchar, @GrainTypeHash::integer, @GrainIdHash::integer,
           @GrainIdN0::bigint, @GrainIdN1::bigint, @GrainIdExtensionString::varchar, @PayloadBinary::bytea, 1
    WHERE @GrainStateVersion::integer IS NULL
    ON CONFLICT ON CONSTRAINT uq_orleans_storage_grain DO NOTHING
    RETURNING version)
SELECT coalesce((SELECT version FROM updated), (SELECT version FROM inserted), @GrainStateVersion::integer)
       AS "NewGrainStateVersion";
$q$),

-- Clearing keeps the row (and its version history) with an empty payload, so a later first write by a stale
-- activation still conflicts. Same version rule and conflict signal as the write.
('ClearStorageKey', $q$
WITH cleared AS (
    UPDATE orleans_storage
    SET payload_binary = NULL, version = version + 1, modified_at = now()
    WHERE grain_id_hash = @GrainIdHash::integer AND grain_type_hash = @GrainTypeHash::integer
      AND service_id = @ServiceId::varchar AND grain_type = @GrainTypeString::varchar
      AND grain_id_n0 = @GrainIdN0::bigint AND grain_id_n1 = @GrainIdN1::bigint
      AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString::varchar
      AND version = @GrainStateVersion::integer
    RETURNING version)
SELECT coalesce((SELECT version FROM cleared), @GrainStateVersion::integer) AS "NewGrainStateVersion";
$q$);
