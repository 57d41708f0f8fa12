-- Shiftgate setup: read-only catalog user "catalog_reader" on Amazon Redshift (group "Catalog_RO")
-- Passwords are shown as '********'; reveal them to get a runnable script.

-- Run as a superuser. Users are cluster-wide; privileges are per database:
-- run this in the database that holds the schemas below.
-- ALTER DEFAULT PRIVILEGES FOR USER o IN SCHEMA s requires o to hold CREATE on s.
-- Statements noted as outside a transaction block must not be wrapped in BEGIN ... COMMIT.

-- This cluster has enable_case_sensitive_identifier on and some names below hold capitals:
-- set it for this session too, or Redshift would fold them to lower case and miss them.
SET enable_case_sensitive_identifier TO true;

-- Catalog user "catalog_reader": logs in with a password and reads only through group "Catalog_RO".
-- SYSLOG ACCESS stays RESTRICTED (the default): the user sees only its own rows in system log views.
-- user "catalog_reader" exists: password reset instead of CREATE USER,
-- and made read-only: no database creation, no other users' rows in system logs.
-- Direct grants it already holds (keep them or revoke them by hand):
--   USAGE ON SCHEMA Sales EU
--   SELECT ON Sales EU.Orders
-- It owns tables or views in: Sales EU (an owner can read and change them).
ALTER USER "catalog_reader" PASSWORD '********';
ALTER USER "catalog_reader" NOCREATEDB;
ALTER USER "catalog_reader" SYSLOG ACCESS RESTRICTED;

-- Group "Catalog_RO" carries every privilege below, so the user can be replaced without re-granting.
CREATE GROUP "Catalog_RO";
ALTER GROUP "Catalog_RO" ADD USER "catalog_reader";

-- Schema "Sales EU": USAGE to reach it, SELECT on the tables and views that exist now,
-- and default privileges for tables created later by "admin", "etl".
-- skipped: "gone_user" no longer exists, so ALTER DEFAULT PRIVILEGES FOR USER "gone_user" IN SCHEMA "Sales EU" would fail.
-- skipped: "intern" lacks CREATE on the schema, so ALTER DEFAULT PRIVILEGES FOR USER "intern" IN SCHEMA "Sales EU" would fail.
GRANT USAGE ON SCHEMA "Sales EU" TO GROUP "Catalog_RO";
GRANT SELECT ON ALL TABLES IN SCHEMA "Sales EU" TO GROUP "Catalog_RO";
ALTER DEFAULT PRIVILEGES FOR USER "admin" IN SCHEMA "Sales EU" GRANT SELECT ON TABLES TO GROUP "Catalog_RO";
ALTER DEFAULT PRIVILEGES FOR USER "etl" IN SCHEMA "Sales EU" GRANT SELECT ON TABLES TO GROUP "Catalog_RO";

-- Read-only: no CREATE on schema public through group "Catalog_RO".
-- PUBLIC itself holds CREATE on public by default (Redshift); to close that for every user
-- an admin would run REVOKE CREATE ON SCHEMA public FROM PUBLIC, which Shiftgate leaves to you.
REVOKE CREATE ON SCHEMA public FROM GROUP "Catalog_RO";

-- Not granted on purpose: pg_catalog and information_schema.
-- Catalog metadata is readable by every user; granting those schemas opens superuser-only system tables.
