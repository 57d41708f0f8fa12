-- Shiftgate teardown: remove catalog user "catalog_reader" and role "catalog_reader_role" from Amazon Redshift

-- Run as a superuser. Revoke in every database where setup granted,
-- then run the last two blocks once: the drops fail while any privilege still names them.
-- Redshift checks only the current database before DROP USER, so revoke everywhere first.

-- Schema "Sales Data": default privileges per creator, then SELECT and USAGE.
ALTER DEFAULT PRIVILEGES FOR USER "admin" IN SCHEMA "Sales Data" REVOKE SELECT ON TABLES FROM ROLE "catalog_reader_role";
ALTER DEFAULT PRIVILEGES FOR USER "ETL_Loader" IN SCHEMA "Sales Data" REVOKE SELECT ON TABLES FROM ROLE "catalog_reader_role";
REVOKE SELECT ON ALL TABLES IN SCHEMA "Sales Data" FROM ROLE "catalog_reader_role";
REVOKE USAGE ON SCHEMA "Sales Data" FROM ROLE "catalog_reader_role";

-- Schema "we""ird": default privileges per creator, then SELECT and USAGE.
ALTER DEFAULT PRIVILEGES FOR USER "etl" IN SCHEMA "we""ird" REVOKE SELECT ON TABLES FROM ROLE "catalog_reader_role";
REVOKE SELECT ON ALL TABLES IN SCHEMA "we""ird" FROM ROLE "catalog_reader_role";
REVOKE USAGE ON SCHEMA "we""ird" FROM ROLE "catalog_reader_role";

-- Schema "ünïcode": default privileges per creator, then SELECT and USAGE.
ALTER DEFAULT PRIVILEGES FOR USER "ETL_Loader" IN SCHEMA "ünïcode" REVOKE SELECT ON TABLES FROM ROLE "catalog_reader_role";
ALTER DEFAULT PRIVILEGES FOR USER "etl" IN SCHEMA "ünïcode" REVOKE SELECT ON TABLES FROM ROLE "catalog_reader_role";
REVOKE SELECT ON ALL TABLES IN SCHEMA "ünïcode" FROM ROLE "catalog_reader_role";
REVOKE USAGE ON SCHEMA "ünïcode" FROM ROLE "catalog_reader_role";

-- External schema "spectrum": USAGE only.
-- Runs outside a transaction block: REVOKE on external resources can't run inside one.
REVOKE USAGE ON SCHEMA "spectrum" FROM ROLE "catalog_reader_role";

-- Datashare consumer databases.
-- Runs outside a transaction block, like other revokes on external resources.
REVOKE USAGE ON DATABASE "sales_share" FROM ROLE "catalog_reader_role";

-- Table size and skew statistics.
REVOKE SELECT ON pg_catalog.svv_table_info FROM ROLE "catalog_reader_role";

-- Membership, then the role itself.
REVOKE ROLE "catalog_reader_role" FROM "catalog_reader";
DROP ROLE "catalog_reader_role";

-- The user last: it fails if the user still owns objects or holds privileges.
DROP USER IF EXISTS "catalog_reader";
