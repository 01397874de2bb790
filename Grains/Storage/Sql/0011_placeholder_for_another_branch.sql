-- Placeholder: version 0011 belongs to another branch of issue 19's work (migrations must run 1, 2, 3, ... without gaps).
-- The lead deletes this file when that branch's 0011 is merged beside 0012.
SELECT 1;
