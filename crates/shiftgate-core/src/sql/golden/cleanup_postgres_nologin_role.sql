-- Shiftgate cleanup: what the vendor's original script left for "metamapper" on PostgreSQL

-- Run as a superuser in every database the vendor script ran in.
-- Found: role "metamapper" (no user of that name).

-- Statements 4-5 granted these schemas straight to the role (GROUP is a noise word on PostgreSQL).
REVOKE SELECT ON ALL TABLES IN SCHEMA "sales" FROM "metamapper";
REVOKE USAGE ON SCHEMA "sales" FROM "metamapper";

-- Statement 6: default privileges without FOR USER / IN SCHEMA, for every schema.
ALTER DEFAULT PRIVILEGES FOR USER "postgres" REVOKE SELECT ON TABLES FROM "metamapper";

-- Statements 7-8: over-broad system schema grants (pg_catalog opens superuser-only tables).
REVOKE SELECT ON ALL TABLES IN SCHEMA information_schema FROM "metamapper";
REVOKE SELECT ON ALL TABLES IN SCHEMA pg_catalog FROM "metamapper";

-- Statement 2 created role "metamapper"; nobody can log in as it.
-- DROP OWNED BY revokes whatever is still granted to it in this database (it owns nothing).
DROP OWNED BY "metamapper";
DROP ROLE "metamapper";
