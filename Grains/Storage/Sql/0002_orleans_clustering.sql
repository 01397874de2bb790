-- Cluster membership for Microsoft.Orleans.Clustering.AdoNet (10.4.2).
--
-- One version row per cluster (DeploymentId = ClusterId). Every change to a membership row bumps that version
-- in the same statement, and only when the caller's expected version still matches: a compare-and-swap that
-- makes concurrent silos serialise on the version row (the UPDATE re-checks the condition after waiting for a
-- competing writer's lock). A statement reports success as a single integer column > 0.
CREATE TABLE orleans_membership_version
(
    deployment_id varchar(150) NOT NULL,
    changed_at    timestamptz  NOT NULL DEFAULT now(),
    version       integer      NOT NULL DEFAULT 0,
    CONSTRAINT pk_orleans_membership_version PRIMARY KEY (deployment_id)
);

-- One row per silo incarnation (address, port, generation).
CREATE TABLE orleans_membership
(
    deployment_id   varchar(150)  NOT NULL,
    address         varchar(45)   NOT NULL,
    port            integer       NOT NULL,
    generation      integer       NOT NULL,
    silo_name       varchar(150)  NOT NULL,
    host_name       varchar(150)  NOT NULL,
    status          integer       NOT NULL,
    proxy_port      integer       NOT NULL DEFAULT 0,
    suspect_times   varchar(8000) NULL,
    start_time      timestamptz   NOT NULL,
    i_am_alive_time timestamptz   NOT NULL,
    CONSTRAINT pk_orleans_membership PRIMARY KEY (deployment_id, address, port, generation),
    CONSTRAINT fk_orleans_membership_version FOREIGN KEY (deployment_id)
        REFERENCES orleans_membership_version (deployment_id) ON DELETE CASCADE
);

INSERT INTO orleansquery (querykey, querytext) VALUES
-- Creates the cluster's version row once; 1 when this call created it, 0 when it existed.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO orleans_membership_version (deployment_id)
    VALUES (@DeploymentId::varchar)
    ON CONFLICT (deployment_id) DO NOTHING
    RETURNING 1)
SELECT count(*)::integer FROM created;
$q$),

-- Adds a silo row and bumps the version, both or neither. The version only moves when the expected version
-- matches and the row is new; a concurrent insert of the same row fails on the primary key, which rolls the
-- whole statement back (the provider treats the error as a failed attempt and retries).
('InsertMembershipKey', $q$
WITH bumped AS (
    UPDATE orleans_membership_version
    SET version = version + 1, changed_at = now()
    WHERE deployment_id = @DeploymentId::varchar
      AND version = @Version::integer
      AND NOT EXISTS (
          SELECT 1 FROM orleans_membership
          WHERE deployment_id = @DeploymentId::varchar AND address = @Address::varchar
            AND port = @Port::integer AND generation = @Generation::integer)
    RETURNING deployment_id),
inserted AS (
    INSERT INTO orleans_membership
        (deployment_id, address, port, generation, silo_name, host_name, status, proxy_port,
         start_time, i_am_alive_time)
    SELECT deployment_id, @Address::varchar, @Port::integer, @Generation::integer, @SiloName::varchar,
           @HostName::varchar, @Status::integer, coalesce(@ProxyPort::integer, 0), @StartTime::timestamptz,
           @IAmAliveTime::timestamptz
    FROM bumped
    RETURNING 1)
SELECT count(*)::integer FROM inserted;
$q$),

-- Changes a silo row and bumps the version, both or neither (same compare-and-swap as the insert).
('UpdateMembershipKey', $q$
WITH bumped AS (
    UPDATE orleans_membership_version
    SET version = version + 1, changed_at = now()
    WHERE deployment_id = @DeploymentId::varchar
      AND version = @Version::integer
      AND EXISTS (
          SELECT 1 FROM orleans_membership
          WHERE deployment_id = @DeploymentId::varchar AND address = @Address::varchar
            AND port = @Port::integer AND generation = @Generation::integer)
    RETURNING deployment_id),
updated AS (
    UPDATE orleans_membership m
    SET status = @Status::integer,
        suspect_times = @SuspectTimes::varchar,
        i_am_alive_time = @IAmAliveTime::timestamptz
    FROM bumped
    WHERE m.deployment_id = bumped.deployment_id AND m.address = @Address::varchar
      AND m.port = @Port::integer AND m.generation = @Generation::integer
    RETURNING 1)
SELECT count(*)::integer FROM updated;
$q$),

-- The heartbeat: not versioned, the provider never checks its outcome.
('UpdateIAmAlivetimeKey', $q$
UPDATE orleans_membership
SET i_am_alive_time = @IAmAliveTime::timestamptz
WHERE deployment_id = @DeploymentId::varchar AND address = @Address::varchar
  AND port = @Port::integer AND generation = @Generation::integer;
$q$),

-- One silo's row with the table version. The outer join returns the version even when the silo has no row
-- (the provider recognises "no member" by a NULL StartTime).
('MembershipReadRowKey', $q$
SELECT v.deployment_id AS "DeploymentId", m.address AS "Address", m.port AS "Port",
       m.generation AS "Generation", m.silo_name AS "SiloName", m.host_name AS "HostName",
       m.status AS "Status", m.proxy_port AS "ProxyPort", m.suspect_times AS "SuspectTimes",
       m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime", v.version AS "Version"
FROM orleans_membership_version v
LEFT JOIN orleans_membership m
       ON m.deployment_id = v.deployment_id AND m.address = @Address::varchar
      AND m.port = @Port::integer AND m.generation = @Generation::integer
WHERE v.deployment_id = @DeploymentId::varchar;
$q$),

-- Every silo row with the table version (one row with NULL member columns when the cluster has no silo).
('MembershipReadAllKey', $q$
SELECT v.deployment_id AS "DeploymentId", m.address AS "Address", m.port AS "Port",
       m.generation AS "Generation", m.silo_name AS "SiloName", m.host_name AS "HostName",
       m.status AS "Status", m.proxy_port AS "ProxyPort", m.suspect_times AS "SuspectTimes",
       m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime", v.version AS "Version"
FROM orleans_membership_version v
LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId::varchar;
$q$),

-- Forgets a whole cluster (its silo rows go with the version row through the cascade).
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleans_membership_version WHERE deployment_id = @DeploymentId::varchar;
$q$),

-- Gateways that clients may connect to: active silos with a gateway port.
('GatewaysQueryKey', $q$
SELECT address AS "Address", proxy_port AS "ProxyPort", generation AS "Generation"
FROM orleans_membership
WHERE deployment_id = @DeploymentId::varchar AND status = @Status::integer AND proxy_port > 0;
$q$),

-- Bulk clean-up of dead silos (status 6 = Dead) that stopped heart-beating before the cut-off.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleans_membership
WHERE deployment_id = @DeploymentId::varchar AND status = 6
  AND i_am_alive_time < @IAmAliveTime::timestamptz;
$q$),

-- Per-row clean-up used by 10.4: the provider decides in .NET which dead rows are old enough and deletes each
-- one only if it still holds the values it read, so a row that changed in between survives.
('CleanupDefunctSiloEntryKey', $q$
DELETE FROM orleans_membership
WHERE deployment_id = @DeploymentId::varchar AND address = @Address::varchar
  AND port = @Port::integer AND generation = @Generation::integer AND status = 6
  AND start_time = @StartTime::timestamptz AND i_am_alive_time = @IAmAliveTime::timestamptz
  AND suspect_times IS NOT DISTINCT FROM @SuspectTimes::varchar;
$q$);
