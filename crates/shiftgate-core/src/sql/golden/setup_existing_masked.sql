-- Shiftgate setup: read-only catalog user "catalog_reader" on Amazon Redshift (group "catalog_ro")
-- Passwords are shown as '********'; reveal them to get a runnable script.

-- Run as a superuser. Users are cluster-wide; privileges are per database:
-- run this in the database that holds the schemas below.
-- ALTER DEFAULT PRIVILEGES FOR USER o IN SCHEMA s requires o to hold CREATE on s.
-- Statements noted as outside a transaction block must not be wrapped in BEGIN ... COMMIT.

-- Catalog user "catalog_reader": logs in with a password and reads only through group "catalog_ro".
-- SYSLOG ACCESS stays RESTRICTED (the default): the user sees only its own rows in system log views.
-- user "catalog_reader" exists: password reset instead of CREATE USER,
-- and made read-only: no database creation, no other users' rows in system logs.
-- Its direct grants were not read (discovery could not list privileges).
ALTER USER "catalog_reader" PASSWORD '********';
ALTER USER "catalog_reader" CONNECTION LIMIT 5;
ALTER USER "catalog_reader" NOCREATEDB;
ALTER USER "catalog_reader" SYSLOG ACCESS RESTRICTED;

-- Group "catalog_ro" carries every privilege below, so the user can be replaced without re-granting.
-- group "catalog_ro" exists: CREATE GROUP skipped
ALTER GROUP "catalog_ro" ADD USER "catalog_reader";

-- Schema "Sales Data": USAGE to reach it, SELECT on the tables and views that exist now,
-- and default privileges for tables created later by "admin", "ETL_Loader".
GRANT USAGE ON SCHEMA "Sales Data" TO GROUP "catalog_ro";
GRANT SELECT ON ALL TABLES IN SCHEMA "Sales Data" TO GROUP "catalog_ro";
ALTER DEFAULT PRIVILEGES FOR USER "admin" IN SCHEMA "Sales Data" GRANT SELECT ON TABLES TO GROUP "catalog_ro";
ALTER DEFAULT PRIVILEGES FOR USER "ETL_Loader" IN SCHEMA "Sales Data" GRANT SELECT ON TABLES TO GROUP "catalog_ro";

-- Not granted on purpose: pg_catalog and information_schema.
-- Catalog metadata is readable by every user; granting those schemas opens superuser-only system tables.
