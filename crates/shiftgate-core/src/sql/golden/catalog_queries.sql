-- ==== discovery (Redshift)
-- schema list
SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname <> 'information_schema' ORDER BY nspname;
-- table and view owners
SELECT schemaname, tableowner AS owner FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') UNION ALL SELECT schemaname, viewowner AS owner FROM pg_views WHERE schemaname NOT IN ('pg_catalog', 'information_schema');
-- external schema list
SELECT schemaname FROM svv_external_schemas ORDER BY schemaname;
-- datashare database list
SELECT database_name FROM svv_redshift_databases WHERE database_type = 'shared' ORDER BY database_name;
-- user list
SELECT usename FROM pg_user ORDER BY usename;
-- group list
SELECT groname FROM pg_group ORDER BY groname;
-- role list
SELECT role_name FROM svv_roles ORDER BY role_name;

-- ==== discovery (PostgreSQL)
-- schema list
SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname <> 'information_schema' ORDER BY nspname;
-- table and view owners
SELECT schemaname, tableowner AS owner FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') UNION ALL SELECT schemaname, viewowner AS owner FROM pg_views WHERE schemaname NOT IN ('pg_catalog', 'information_schema');
-- user list
SELECT usename FROM pg_user ORDER BY usename;
-- group list
SELECT groname FROM pg_group ORDER BY groname;
-- role list
SELECT rolname FROM pg_roles WHERE rolcanlogin = 'f' ORDER BY rolname;

-- ==== optional discovery (Redshift)
-- schema privilege list
SELECT namespace_name, identity_name, identity_type, privilege_type FROM svv_schema_privileges ORDER BY 1, 2, 4;
-- table privilege list
SELECT namespace_name, relation_name, identity_name, identity_type, privilege_type FROM svv_relation_privileges ORDER BY 1, 2, 3, 5;
-- default privilege list (live state)
SELECT owner_name, COALESCE(schema_name, ''), object_type, grantee_name, grantee_type FROM svv_default_privileges ORDER BY 1, 2, 4;
-- pg_default_acl read
SELECT pg_get_userbyid(defacluser), defaclnamespace, defaclobjtype, defaclacl FROM pg_default_acl;
-- schema oid list
SELECT oid, nspname FROM pg_namespace;
-- database privilege list
SELECT database_name, identity_name, identity_type, privilege_type FROM svv_database_privileges ORDER BY 1, 2, 4;
-- group membership list
SELECT g.groname, 'group', u.usename FROM pg_group g, pg_user u WHERE u.usesysid = ANY (g.grolist) ORDER BY 1, 3;
-- role membership list
SELECT role_name, 'role', user_name FROM svv_user_grants ORDER BY 1, 3;
-- user attribute list
SELECT usename, usesuper, usecreatedb, usesuper FROM pg_user ORDER BY usename;
-- case-sensitive identifier setting
SHOW enable_case_sensitive_identifier;
-- datashare database options
SELECT database_name, database_options FROM svv_redshift_databases WHERE database_type = 'shared' ORDER BY database_name;

-- ==== optional discovery (PostgreSQL)
-- schema privilege list
SELECT n.nspname, pg_get_userbyid(a.grantee), 'role', a.privilege_type FROM pg_namespace n, aclexplode(n.nspacl) a WHERE a.grantee <> 0 AND a.grantee <> n.nspowner ORDER BY 1, 2, 4;
-- table privilege list
SELECT n.nspname, c.relname, pg_get_userbyid(a.grantee), 'role', a.privilege_type FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a WHERE a.grantee <> 0 AND a.grantee <> c.relowner AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY 1, 2, 3, 5;
-- default privilege list (live state)
SELECT pg_get_userbyid(d.defaclrole), COALESCE(n.nspname, ''), d.defaclobjtype, pg_get_userbyid(a.grantee), 'role' FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a WHERE a.grantee <> 0 AND a.grantee <> d.defaclrole ORDER BY 1, 2, 4;
-- group membership list
SELECT pg_get_userbyid(roleid), 'role', pg_get_userbyid(member) FROM pg_auth_members ORDER BY 1, 3;
-- user attribute list
SELECT rolname, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles ORDER BY rolname;

-- ==== verify (Redshift plan a)
-- schema USAGE check
SELECT nspname, has_schema_privilege(current_user, nspname, 'USAGE') AS can_use, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname IN ('Sales Data', 'we"ird', 'ünïcode', 'spectrum') ORDER BY nspname;
-- table SELECT check
SELECT schemaname, tablename AS relname, tableowner AS owner, 'table' AS relkind, has_table_privilege(current_user, quote_ident(schemaname) || '.' || quote_ident(tablename), 'SELECT') AS can_select FROM pg_tables WHERE schemaname IN ('Sales Data', 'we"ird', 'ünïcode') UNION ALL SELECT schemaname, viewname AS relname, viewowner AS owner, 'view' AS relkind, has_table_privilege(current_user, quote_ident(schemaname) || '.' || quote_ident(viewname), 'SELECT') AS can_select FROM pg_views WHERE schemaname IN ('Sales Data', 'we"ird', 'ünïcode');
-- late-binding view columns
SELECT view_schema, view_name, col_name FROM pg_get_late_binding_view_cols() cols(view_schema name, view_name name, col_name name, col_type varchar, col_num int) WHERE view_schema IN ('Sales Data', 'we"ird', 'ünïcode') ORDER BY view_schema, view_name, col_num;
-- external table list
SELECT schemaname, tablename FROM svv_external_tables WHERE schemaname IN ('spectrum') ORDER BY schemaname, tablename;
-- datashare visibility check
SELECT database_name FROM svv_redshift_databases WHERE database_name IN ('sales_share') ORDER BY database_name;
-- svv_table_info check
SELECT has_table_privilege(current_user, 'pg_catalog.svv_table_info', 'SELECT') AS can_select FROM pg_namespace WHERE nspname = 'pg_catalog';

-- ==== verify insights (Redshift plan a)
-- default privileges list
SELECT owner_name, schema_name, grantee_name FROM svv_default_privileges WHERE object_type = 'RELATION' AND privilege_type = 'SELECT' ORDER BY owner_name, schema_name, grantee_name;
-- catalog tool's definitions query
SELECT table_schema, count(DISTINCT table_name) AS tables, count(*) AS columns, count(*) - count(table_object_id) AS unresolved FROM (SELECT ns.nspname AS table_schema, ns.oid AS schema_object_id, c.relname AS table_name, c.oid AS table_object_id, CASE WHEN c.relkind = 'r' THEN 'table' WHEN c.relkind IN ('v', 'm') THEN 'view' END AS table_type, a.attname AS column_name, pgd.description AS column_description, c.oid || '/' || a.attnum AS column_object_id, a.attnum AS ordinal_position, t.typname AS data_type, CASE WHEN NULLIF(a.atttypmod, -1) IS NOT NULL THEN NULLIF(a.atttypmod, -1) WHEN t.typname = 'timestamp' THEN NULL ELSE a.attlen END AS max_length, NULL AS numeric_scale, NOT a.attnotnull AS is_nullable, FALSE AS is_primary, COALESCE(d.adsrc, '') AS default_value FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid JOIN pg_type t ON a.atttypid = t.oid JOIN pg_catalog.pg_namespace ns ON c.relnamespace = ns.oid LEFT JOIN pg_attrdef d ON c.oid = d.adrelid AND a.attnum = d.adnum LEFT JOIN pg_catalog.pg_description pgd ON pgd.objsubid = a.attnum AND pgd.objoid = t.oid WHERE ns.nspname NOT IN ('information_schema', 'pg_catalog', 'pg_internal') AND ns.nspname NOT LIKE 'pg_temp%' AND ns.nspname NOT LIKE 'pg_am%' AND a.attnum > 0 AND c.relkind IN ('r', 'v', 'm')) definitions GROUP BY table_schema ORDER BY table_schema;
-- datashare table list
SELECT database_name, schema_name, table_name FROM svv_redshift_tables WHERE database_name IN ('sales_share') ORDER BY database_name, schema_name, table_name;

-- ==== verify (PostgreSQL plan)
-- schema USAGE check
SELECT nspname, has_schema_privilege(current_user, nspname, 'USAGE') AS can_use, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname IN ('sales', 'Sales Data') ORDER BY nspname;
-- table SELECT check
SELECT n.nspname AS schemaname, c.relname, pg_get_userbyid(c.relowner) AS owner, CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END AS relkind, has_table_privilege(current_user, c.oid, 'SELECT') AS can_select FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('sales', 'Sales Data') AND c.relkind IN ('r', 'p', 'v', 'm', 'f');

-- ==== verify insights (PostgreSQL plan)
-- default privileges list
SELECT pg_get_userbyid(d.defaclrole) AS owner_name, n.nspname AS schema_name, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END AS grantee_name FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace CROSS JOIN LATERAL aclexplode(d.defaclacl) a WHERE d.defaclobjtype = 'r' AND a.privilege_type = 'SELECT' ORDER BY 1, 2, 3;
-- catalog tool's definitions query
SELECT table_schema, count(DISTINCT table_name) AS tables, count(*) AS columns, count(*) - count(table_object_id) AS unresolved FROM (WITH primary_key AS (SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.table_constraints tc JOIN information_schema.constraint_column_usage ccu USING (constraint_schema, constraint_name) JOIN information_schema.columns c ON c.table_schema = tc.constraint_schema AND c.table_name = tc.table_name AND c.column_name = ccu.column_name WHERE tc.constraint_type = 'PRIMARY KEY') SELECT c.table_schema, c.table_schema::regnamespace::oid AS schema_object_id, c.table_name, to_regclass(c.table_schema || '.' || c.table_name)::oid AS table_object_id, lower(t.table_type) AS table_type, to_regclass(c.table_schema || '.' || c.table_name)::oid || '/' || c.ordinal_position AS column_object_id, c.column_name, pg_catalog.col_description(to_regclass(c.table_schema || '.' || c.table_name)::oid, c.ordinal_position) AS column_description, c.ordinal_position, c.data_type, COALESCE(c.character_maximum_length, c.numeric_precision) AS max_length, c.numeric_scale, upper(c.is_nullable) = 'YES' AS is_nullable, pk.column_name IS NOT NULL AS is_primary, COALESCE(c.column_default, '') AS default_value FROM information_schema.columns c JOIN information_schema.tables t ON c.table_schema = t.table_schema AND c.table_name = t.table_name LEFT JOIN primary_key pk ON c.table_schema = pk.table_schema AND c.table_name = pk.table_name AND c.column_name = pk.column_name WHERE c.table_schema NOT IN ('information_schema', 'pg_catalog', 'pg_toast')) definitions GROUP BY table_schema ORDER BY table_schema;

