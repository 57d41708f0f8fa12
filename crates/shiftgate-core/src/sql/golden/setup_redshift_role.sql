-- Shiftgate setup: read-only catalog user "catalog_reader" on Amazon Redshift (role "catalog_reader_role")
-- Passwords are shown as '********'; reveal them to get a runnable script.

-- Run as a superuser. Users are cluster-wide; privileges are per database:
-- run this in the database that holds the schemas below.
-- ALTER DEFAULT PRIVILEGES FOR USER o IN SCHEMA s requires o to hold CREATE on s.
-- Statements noted as outside a transaction block must not be wrapped in BEGIN ... COMMIT.

-- Catalog user "catalog_reader": logs in with a password and reads only through role "catalog_reader_role".
-- SYSLOG ACCESS stays RESTRICTED (the default): the user sees only its own rows in system log views.
CREATE USER "catalog_reader" PASSWORD '********' CONNECTION LIMIT 5;

-- RBAC role "catalog_reader_role" carries every privilege below; its name differs from every user name, as Redshift requires.
CREATE ROLE "catalog_reader_role";
GRANT ROLE "catalog_reader_role" TO "catalog_reader";

-- Schema "Sales Data": USAGE to reach it, SELECT on the tables and views that exist now,
-- and default privileges for tables created later by "admin", "ETL_Loader".
GRANT USAGE ON SCHEMA "Sales Data" TO ROLE "catalog_reader_role";
GRANT SELECT ON ALL TABLES IN SCHEMA "Sales Data" TO ROLE "catalog_reader_role";
ALTER DEFAULT PRIVILEGES FOR USER "admin" IN SCHEMA "Sales Data" GRANT SELECT ON TABLES TO ROLE "catalog_reader_role";
ALTER DEFAULT PRIVILEGES FOR USER "ETL_Loader" IN SCHEMA "Sales Data" GRANT SELECT ON TABLES TO ROLE "catalog_reader_role";

-- Schema "we""ird": USAGE to reach it, SELECT on the tables and views that exist now,
-- and default privileges for tables created later by "etl".
GRANT USAGE ON SCHEMA "we""ird" TO ROLE "catalog_reader_role";
GRANT SELECT ON ALL TABLES IN SCHEMA "we""ird" TO ROLE "catalog_reader_role";
ALTER DEFAULT PRIVILEGES FOR USER "etl" IN SCHEMA "we""ird" GRANT SELECT ON TABLES TO ROLE "catalog_reader_role";

-- Schema "ünïcode": USAGE to reach it, SELECT on the tables and views that exist now,
-- and default privileges for tables created later by "ETL_Loader", "etl".
GRANT USAGE ON SCHEMA "ünïcode" TO ROLE "catalog_reader_role";
GRANT SELECT ON ALL TABLES IN SCHEMA "ünïcode" TO ROLE "catalog_reader_role";
ALTER DEFAULT PRIVILEGES FOR USER "ETL_Loader" IN SCHEMA "ünïcode" GRANT SELECT ON TABLES TO ROLE "catalog_reader_role";
ALTER DEFAULT PRIVILEGES FOR USER "etl" IN SCHEMA "ünïcode" GRANT SELECT ON TABLES TO ROLE "catalog_reader_role";

-- External schema "spectrum": USAGE only (external tables take no grants of their own).
-- Runs outside a transaction block: GRANT on external resources can't run inside one.
GRANT USAGE ON SCHEMA "spectrum" TO ROLE "catalog_reader_role";

-- Datashare consumer databases: USAGE on the database exposes its shared objects
-- (for databases created from a datashare without WITH PERMISSIONS).
-- Runs outside a transaction block, like other grants on external resources.
GRANT USAGE ON DATABASE "sales_share" TO ROLE "catalog_reader_role";

-- Optional: table size and skew statistics; svv_table_info is superuser-only unless granted.
GRANT SELECT ON pg_catalog.svv_table_info TO ROLE "catalog_reader_role";

-- Not granted on purpose: pg_catalog and information_schema.
-- Catalog metadata is readable by every user; granting those schemas opens superuser-only system tables.
