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

-- ==== verify (Redshift plan a)
-- schema USAGE check
SELECT nspname, has_schema_privilege(current_user, nspname, 'USAGE') AS can_use FROM pg_namespace WHERE nspname IN ('Sales Data', 'we"ird', 'ünïcode', 'spectrum') ORDER BY nspname;
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

