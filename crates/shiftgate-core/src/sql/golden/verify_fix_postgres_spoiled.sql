-- Shiftgate fix: grants missing for catalog user "catalog_reader" (group "catalog_ro"); run as a superuser

-- Schema "d":
-- "intern": no default privilege gives "catalog_ro" SELECT on the tables it creates here; add one so its next table is readable.
ALTER DEFAULT PRIVILEGES FOR USER "intern" IN SCHEMA "d" GRANT SELECT ON TABLES TO GROUP "catalog_ro";

-- Schema "hr":
-- the user can't reach it: grant USAGE, SELECT on what exists now, and default privileges for its owners.
-- not readable: people (owner hr_owner); grant SELECT on what exists now.
-- "hr_owner" owns tables the user can't read; its default privileges are stated again (no change if present).
GRANT USAGE ON SCHEMA "hr" TO GROUP "catalog_ro";
GRANT SELECT ON ALL TABLES IN SCHEMA "hr" TO GROUP "catalog_ro";
ALTER DEFAULT PRIVILEGES FOR USER "hr_owner" IN SCHEMA "hr" GRANT SELECT ON TABLES TO GROUP "catalog_ro";
