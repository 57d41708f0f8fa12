-- Shiftgate teardown: remove catalog user "catalog_reader" and group "catalog_ro" from PostgreSQL

-- Run as a superuser. Revoke in every database where setup granted,
-- then run the last two blocks once: the drops fail while any privilege still names them.

-- Schema "sales": default privileges per creator, then SELECT and USAGE.
ALTER DEFAULT PRIVILEGES FOR USER "etl_owner" IN SCHEMA "sales" REVOKE SELECT ON TABLES FROM GROUP "catalog_ro";
ALTER DEFAULT PRIVILEGES FOR USER "postgres" IN SCHEMA "sales" REVOKE SELECT ON TABLES FROM GROUP "catalog_ro";
REVOKE SELECT ON ALL TABLES IN SCHEMA "sales" FROM GROUP "catalog_ro";
REVOKE USAGE ON SCHEMA "sales" FROM GROUP "catalog_ro";

-- Schema "Sales Data": default privileges per creator, then SELECT and USAGE.
ALTER DEFAULT PRIVILEGES FOR USER "postgres" IN SCHEMA "Sales Data" REVOKE SELECT ON TABLES FROM GROUP "catalog_ro";
REVOKE SELECT ON ALL TABLES IN SCHEMA "Sales Data" FROM GROUP "catalog_ro";
REVOKE USAGE ON SCHEMA "Sales Data" FROM GROUP "catalog_ro";

-- Membership, then the group itself.
ALTER GROUP "catalog_ro" DROP USER "catalog_reader";
DROP GROUP "catalog_ro";

-- The user last: it fails if the user still owns objects or holds privileges.
DROP USER IF EXISTS "catalog_reader";
