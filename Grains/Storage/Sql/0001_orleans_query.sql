-- The catalogue of statements the Orleans ADO.NET providers run. Each provider reads it once at start-up with
-- the fixed statement `SELECT QueryKey, QueryText FROM OrleansQuery` (unquoted, hence the lower-case names here)
-- and refuses to start when one of its keys is missing. Providers bind parameters by name (@Name) and read
-- result columns by name, so every query below keeps the provider's names in its parameters and aliases while
-- the tables use this project's own snake_case names.
CREATE TABLE orleansquery
(
    querykey  varchar(64) NOT NULL,
    querytext text        NOT NULL,
    CONSTRAINT pk_orleansquery PRIMARY KEY (querykey)
);
