-- Shiftgate fix: grants missing for catalog user "catalog_reader" (group "catalog_ro"); run as a superuser

-- Schema "Sales Data":
-- not readable: by_admin (owner intern); grant SELECT on what exists now.
-- "intern" owns tables the user can't read: give it default privileges so its next table is readable.
GRANT SELECT ON ALL TABLES IN SCHEMA "Sales Data" TO GROUP "catalog_ro";
ALTER DEFAULT PRIVILEGES FOR USER "intern" IN SCHEMA "Sales Data" GRANT SELECT ON TABLES TO GROUP "catalog_ro";

-- Schema "we""ird":
-- reading "we""ird"."t1" failed: permission denied for relation t1

-- Schema "spectrum":
-- the user can't reach it: grant USAGE.
-- Runs outside a transaction block: GRANT on external resources can't run inside one.
GRANT USAGE ON SCHEMA "spectrum" TO GROUP "catalog_ro";

-- Datashare consumer databases the user can't see:
-- Runs outside a transaction block, like other grants on external resources.
GRANT USAGE ON DATABASE "sales_share" TO GROUP "catalog_ro";

-- svv_table_info is not readable:
GRANT SELECT ON pg_catalog.svv_table_info TO GROUP "catalog_ro";
