-- Shiftgate setup: read-only catalog user "catalog_reader" on PostgreSQL (role "catalog_reader_role")
-- Passwords are shown as '********'; reveal them to get a runnable script.

-- Run as a superuser. Users are cluster-wide; privileges are per database:
-- run this in the database that holds the schemas below.
-- ALTER DEFAULT PRIVILEGES FOR USER o IN SCHEMA s requires o to hold CREATE on s.

-- Catalog user "catalog_reader": logs in with a password and reads only through role "catalog_reader_role".
CREATE USER "catalog_reader" PASSWORD '********' CONNECTION LIMIT 5;

-- Role "catalog_reader_role" (NOLOGIN) carries every privilege below, so the user can be replaced without re-granting.
CREATE ROLE "catalog_reader_role" NOLOGIN;
GRANT "catalog_reader_role" TO "catalog_reader";

-- Schema "sales": USAGE to reach it, SELECT on the tables and views that exist now,
-- and default privileges for tables created later by "etl_owner", "postgres".
GRANT USAGE ON SCHEMA "sales" TO "catalog_reader_role";
GRANT SELECT ON ALL TABLES IN SCHEMA "sales" TO "catalog_reader_role";
ALTER DEFAULT PRIVILEGES FOR USER "etl_owner" IN SCHEMA "sales" GRANT SELECT ON TABLES TO "catalog_reader_role";
ALTER DEFAULT PRIVILEGES FOR USER "postgres" IN SCHEMA "sales" GRANT SELECT ON TABLES TO "catalog_reader_role";

-- Schema "Sales Data": USAGE to reach it, SELECT on the tables and views that exist now,
-- and default privileges for tables created later by "postgres".
GRANT USAGE ON SCHEMA "Sales Data" TO "catalog_reader_role";
GRANT SELECT ON ALL TABLES IN SCHEMA "Sales Data" TO "catalog_reader_role";
ALTER DEFAULT PRIVILEGES FOR USER "postgres" IN SCHEMA "Sales Data" GRANT SELECT ON TABLES TO "catalog_reader_role";

-- Not granted on purpose: pg_catalog and information_schema.
-- Catalog metadata is readable by every user; granting those schemas opens superuser-only system tables.
