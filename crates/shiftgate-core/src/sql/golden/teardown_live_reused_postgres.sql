-- Shiftgate teardown for catalog user "catalog_reader", group "Catalog_RO" on PostgreSQL

-- Read from the live catalogs: only what is still granted is revoked.
-- Setup record of 2026-12-01T10:00:00Z in database dev found: removing only what that setup added.
-- User "catalog_reader" existed before setup: it is kept.
-- The group "Catalog_RO" existed before setup: it is kept with its earlier grants and members (members kept: alice).

-- Schema "Sales EU": only what setup added (earlier grants of the reused group stay).
ALTER DEFAULT PRIVILEGES FOR USER "etl" IN SCHEMA "Sales EU" REVOKE SELECT ON TABLES FROM GROUP "Catalog_RO";
REVOKE SELECT ON "Sales EU"."Orders" FROM GROUP "Catalog_RO";

-- Run once, after the revokes in every database: the drops fail while a privilege names them.

-- Last, in this order: the user leaves the group.
ALTER GROUP "Catalog_RO" DROP USER "catalog_reader";
