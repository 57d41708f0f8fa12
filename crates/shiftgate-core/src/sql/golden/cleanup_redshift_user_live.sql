-- Shiftgate cleanup: what the vendor's original script left for "metamapper" on Amazon Redshift

-- Run as a superuser in every database the vendor script ran in.
-- Found: user "metamapper".

-- Statement 6: default privileges without FOR USER / IN SCHEMA, for every schema.
ALTER DEFAULT PRIVILEGES FOR USER "admin" REVOKE SELECT ON TABLES FROM "metamapper";

-- Statements 7-8: over-broad system schema grants (pg_catalog opens superuser-only tables).
REVOKE SELECT ON ALL TABLES IN SCHEMA information_schema FROM "metamapper";
REVOKE SELECT ON ALL TABLES IN SCHEMA pg_catalog FROM "metamapper";

-- Tables created since by whoever ran statement 6 got SELECT for the user, in every schema:
-- revoke it wherever that creator owns tables, and wherever the catalogs still show a grant.
REVOKE SELECT ON ALL TABLES IN SCHEMA "hr" FROM "metamapper";
REVOKE SELECT ON ALL TABLES IN SCHEMA "marketing" FROM "metamapper";
REVOKE SELECT ON ALL TABLES IN SCHEMA "sales" FROM "metamapper";

-- Other default privileges still naming the user (pg_default_acl).
ALTER DEFAULT PRIVILEGES FOR USER "etl" IN SCHEMA "hr" REVOKE ALL ON TABLES FROM "metamapper";
