-- Shiftgate teardown for catalog user "catalog_reader", group "Catalog_RO" on Amazon Redshift

-- Read from the live catalogs: only what is still granted is revoked.
-- Setup record of 2026-12-01T10:00:00Z in database dev found: removing only what that setup added.

-- This cluster has enable_case_sensitive_identifier on and some names below hold capitals:
-- set it for this session too, or Redshift would fold them to lower case and miss them.
SET enable_case_sensitive_identifier TO true;

-- Default privileges naming group "Catalog_RO", for every (owner, schema) pair in pg_default_acl and svv_default_privileges.
ALTER DEFAULT PRIVILEGES FOR USER "etl" IN SCHEMA "Sales EU" REVOKE ALL ON TABLES FROM GROUP "Catalog_RO";
ALTER DEFAULT PRIVILEGES FOR USER "later" IN SCHEMA "Sales EU" REVOKE ALL ON TABLES FROM GROUP "Catalog_RO";
ALTER DEFAULT PRIVILEGES FOR USER "admin" REVOKE ALL ON TABLES FROM GROUP "Catalog_RO";

-- Table and view privileges of group "Catalog_RO".
REVOKE ALL ON "pg_catalog"."svv_table_info" FROM GROUP "Catalog_RO";
REVOKE ALL ON ALL TABLES IN SCHEMA "Sales EU" FROM GROUP "Catalog_RO";

-- Schema privileges of group "Catalog_RO".
REVOKE ALL ON SCHEMA "Sales EU" FROM GROUP "Catalog_RO";

-- Run once, after the revokes in every database: the drops fail while a privilege names them.

-- Last, in this order: the user leaves the group, then the group is dropped, then the user is dropped.
ALTER GROUP "Catalog_RO" DROP USER "catalog_reader";
DROP GROUP "Catalog_RO";
DROP USER IF EXISTS "catalog_reader";
