-- Shiftgate setup: read-only catalog user "catalog_reader" on PostgreSQL (group "catalog_ro")
-- Passwords are shown as '********'; reveal them to get a runnable script.

-- Run as a superuser. Users are cluster-wide; privileges are per database:
-- run this in the database that holds the schemas below.
-- ALTER DEFAULT PRIVILEGES FOR USER o IN SCHEMA s requires o to hold CREATE on s.

-- Catalog user "catalog_reader": logs in with a password and reads only through group "catalog_ro".
CREATE USER "catalog_reader" PASSWORD '********' CONNECTION LIMIT 5;

-- Group "catalog_ro" carries every privilege below, so the user can be replaced without re-granting.
CREATE GROUP "catalog_ro";
ALTER GROUP "catalog_ro" ADD USER "catalog_reader";

-- Schema "sales": USAGE to reach it, SELECT on the tables and views that exist now,
-- and default privileges for tables created later by "etl_owner", "postgres".
GRANT USAGE ON SCHEMA "sales" TO GROUP "catalog_ro";
GRANT SELECT ON ALL TABLES IN SCHEMA "sales" TO GROUP "catalog_ro";
ALTER DEFAULT PRIVILEGES FOR USER "etl_owner" IN SCHEMA "sales" GRANT SELECT ON TABLES TO GROUP "catalog_ro";
ALTER DEFAULT PRIVILEGES FOR USER "postgres" IN SCHEMA "sales" GRANT SELECT ON TABLES TO GROUP "catalog_ro";

-- Schema "Sales Data": USAGE to reach it, SELECT on the tables and views that exist now,
-- and default privileges for tables created later by "postgres".
GRANT USAGE ON SCHEMA "Sales Data" TO GROUP "catalog_ro";
GRANT SELECT ON ALL TABLES IN SCHEMA "Sales Data" TO GROUP "catalog_ro";
ALTER DEFAULT PRIVILEGES FOR USER "postgres" IN SCHEMA "Sales Data" GRANT SELECT ON TABLES TO GROUP "catalog_ro";

-- Not granted on purpose: pg_catalog and information_schema.
-- Catalog metadata is readable by every user; granting those schemas opens superuser-only system tables.
