-- ==== audit (Redshift, --schemas 'Sales EU')
-- audit identity list
SELECT usename, 'user', usesuper, usecreatedb, 't', syslogaccess FROM svl_user_info ORDER BY usename;
-- audit user list (pg_user)
SELECT usename, 'user', usesuper, usecreatedb, 't', NULL FROM pg_catalog.pg_user ORDER BY usename;
-- audit group list
SELECT groname FROM pg_catalog.pg_group ORDER BY groname;
-- audit role list
SELECT role_name FROM svv_roles ORDER BY role_name;
-- audit membership list
SELECT u.usename, 'user', g.groname, 'group' FROM pg_catalog.pg_group g, pg_catalog.pg_user u WHERE u.usesysid = ANY (g.grolist);
-- audit role grants to users
SELECT user_name, 'user', role_name, 'role' FROM svv_user_grants;
-- audit role grants to roles
SELECT role_name, 'role', granted_role_name, 'role' FROM svv_role_grants;
-- audit schema privileges (catalog)
SELECT n.nspname, pg_catalog.pg_get_userbyid(n.nspowner), n.nspacl FROM pg_catalog.pg_namespace n WHERE left(n.nspname, 3) <> 'pg_' AND n.nspname <> 'information_schema' AND n.nspname IN ('Sales EU') ORDER BY n.nspname;
-- audit relation privileges (catalog)
SELECT n.nspname, c.relname, c.relkind, pg_catalog.pg_get_userbyid(c.relowner), c.relacl FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'v') AND left(n.nspname, 3) <> 'pg_' AND n.nspname <> 'information_schema' AND n.nspname IN ('Sales EU') ORDER BY n.nspname, c.relname;
-- audit default privileges (catalog)
SELECT pg_catalog.pg_get_userbyid(d.defacluser), n.nspname, d.defaclobjtype, d.defaclacl FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace;
-- audit system schema grants
SELECT n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner), c.relacl FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('pg_catalog', 'information_schema') AND c.relkind IN ('r', 'v') AND c.relacl IS NOT NULL;
-- audit external schema list
SELECT schemaname FROM svv_external_schemas ORDER BY schemaname;
-- audit svv_schema_privileges
SELECT namespace_name, privilege_type, identity_name, identity_type FROM svv_schema_privileges WHERE namespace_name IN ('Sales EU');
-- audit svv_relation_privileges
SELECT namespace_name, relation_name, privilege_type, identity_name, identity_type FROM svv_relation_privileges WHERE namespace_name IN ('Sales EU');
-- audit column grants
SELECT namespace_name, relation_name, column_name, privilege_type, identity_name, identity_type FROM svv_column_privileges WHERE namespace_name IN ('Sales EU');
-- audit svv_default_privileges
SELECT owner_name, schema_name, object_type, privilege_type, grantee_name, grantee_type FROM svv_default_privileges;
-- audit datashare database list
SELECT database_name FROM svv_redshift_databases WHERE database_type = 'shared' ORDER BY database_name;
-- audit svv_database_privileges
SELECT database_name, privilege_type, identity_name, identity_type FROM svv_database_privileges;

-- ==== audit (PostgreSQL, --schemas 'Sales EU')
-- audit identity list
SELECT rolname, CASE WHEN rolcanlogin THEN 'user' ELSE 'role' END, rolsuper, rolcreatedb, rolinherit, NULL FROM pg_catalog.pg_roles WHERE left(rolname, 3) <> 'pg_' ORDER BY rolname;
-- audit membership list
SELECT m.rolname, 'role', r.rolname, 'role' FROM pg_catalog.pg_auth_members a JOIN pg_catalog.pg_roles r ON r.oid = a.roleid JOIN pg_catalog.pg_roles m ON m.oid = a.member;
-- audit schema privileges (catalog)
SELECT n.nspname, pg_catalog.pg_get_userbyid(n.nspowner), n.nspacl FROM pg_catalog.pg_namespace n WHERE left(n.nspname, 3) <> 'pg_' AND n.nspname <> 'information_schema' AND n.nspname IN ('Sales EU') ORDER BY n.nspname;
-- audit relation privileges (catalog)
SELECT n.nspname, c.relname, c.relkind, pg_catalog.pg_get_userbyid(c.relowner), c.relacl FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') AND left(n.nspname, 3) <> 'pg_' AND n.nspname <> 'information_schema' AND n.nspname IN ('Sales EU') ORDER BY n.nspname, c.relname;
-- audit default privileges (catalog)
SELECT pg_catalog.pg_get_userbyid(d.defaclrole), n.nspname, d.defaclobjtype, d.defaclacl FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace;
-- audit system schema grants
SELECT n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner), c.relacl FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('pg_catalog', 'information_schema') AND c.relkind IN ('r', 'v', 'm', 'p', 'f') AND c.relacl IS NOT NULL;
-- audit column grants
SELECT n.nspname, c.relname, a.attname, a.attacl FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND left(n.nspname, 3) <> 'pg_' AND n.nspname <> 'information_schema' AND n.nspname IN ('Sales EU');

