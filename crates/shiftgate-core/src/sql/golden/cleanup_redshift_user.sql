-- Shiftgate cleanup: what the vendor's original script left for "metamapper" on Amazon Redshift

-- Run as a superuser in every database the vendor script ran in.
-- Found: user "metamapper".

-- Statement 6: default privileges without FOR USER / IN SCHEMA, for every schema.
ALTER DEFAULT PRIVILEGES FOR USER "admin" REVOKE SELECT ON TABLES FROM "metamapper";

-- Statements 7-8: over-broad system schema grants (pg_catalog opens superuser-only tables).
REVOKE SELECT ON ALL TABLES IN SCHEMA information_schema FROM "metamapper";
REVOKE SELECT ON ALL TABLES IN SCHEMA pg_catalog FROM "metamapper";
