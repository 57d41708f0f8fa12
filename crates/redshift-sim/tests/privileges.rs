//! DDL/DCL semantics: CREATE USER grammar and password policy (redshift.md §1.1), groups and RBAC
//! roles (§1.2), GRANT/REVOKE and has_*_privilege (§1.3, §2), default privileges that follow the
//! creator (§1.4), teardown order (§1.9), transactions, identifier folding, the leader-node rule and
//! the vendor's original script (§1.7).

mod common;

use common::*;

#[tokio::test]
async fn create_user_grammar_and_password_policy() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    assert_eq!(
        expect_err(&c, "CREATE USER metamapper PASSWORD = 'Secret123'").await,
        ("42601".into(), "syntax error at or near \"=\"".into())
    );
    assert_eq!(
        expect_err(&c, "CREATE USER weak PASSWORD 'lowercase1'").await,
        ("42601".into(), "password must contain an uppercase ASCII character".into())
    );
    assert_eq!(expect_err(&c, "CREATE USER weak PASSWORD 'Sh0rt'").await.0, "42601");
    assert_eq!(expect_err(&c, "CREATE USER weak PASSWORD 'Has@Sign123'").await.0, "42601");
    exec(&c, "CREATE USER mm WITH PASSWORD 'Metamapper1' CONNECTION LIMIT 5 SYSLOG ACCESS RESTRICTED NOCREATEDB NOCREATEUSER").await;
    exec(&c, "CREATE USER hashed PASSWORD 'md50123456789abcdef0123456789abcdef'").await;
    exec(&c, "CREATE USER iam_only PASSWORD DISABLE CONNECTION LIMIT UNLIMITED").await;
    assert_eq!(
        expect_err(&c, "CREATE USER mm PASSWORD 'Metamapper1'").await,
        ("42710".into(), "user \"mm\" already exists".into())
    );
    // md5 login with the stored hash formula; ALTER USER changes it.
    connect_tls(&sim, "mm", "Metamapper1", "dev").await.expect("mm logs in");
    exec(&c, "ALTER USER mm PASSWORD 'Changed1234'").await;
    assert!(connect_tls(&sim, "mm", "Metamapper1", "dev").await.is_err());
    connect_tls(&sim, "mm", "Changed1234", "dev").await.expect("new password");
    assert!(connect_tls(&sim, "iam_only", "Anything1", "dev").await.is_err());
    let u = sim.catalog();
    assert_eq!(u.user_by_name("mm").and_then(|u| u.connection_limit), Some(5));
}

#[tokio::test]
async fn user_names_keep_case_other_identifiers_fold() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    exec(&c, "CREATE USER \"MixedUser\" PASSWORD 'Mixed1234'; CREATE GROUP \"Readers_G\"").await;
    let w = sim.catalog();
    assert!(w.user_by_name("MixedUser").is_some());
    assert!(w.group_by_name("readers_g").is_some());
    exec(&c, "GRANT USAGE ON SCHEMA \"Finance Data\" TO GROUP \"READERS_G\"").await;
    assert_eq!(
        scalar(&c, "select quote_ident(nspname) from pg_namespace where nspname like 'finance%'")
            .await,
        "\"finance data\""
    );
}

#[tokio::test]
async fn group_flow_grants_and_privilege_checks() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    exec(
        &c,
        "CREATE USER mm PASSWORD 'Metamapper1'; CREATE GROUP mm_ro; ALTER GROUP mm_ro ADD USER mm",
    )
    .await;
    let mm = connect_tls(&sim, "mm", "Metamapper1", "dev").await.expect("login");
    assert_eq!(scalar(&mm, "select has_schema_privilege('sales', 'USAGE')").await, "f");
    assert_eq!(
        expect_err(&mm, "SELECT 1 FROM \"sales\".\"orders\" LIMIT 0").await,
        ("42501".into(), "permission denied for schema sales".into())
    );
    exec(&c, "GRANT USAGE ON SCHEMA \"sales\" TO GROUP mm_ro").await;
    assert_eq!(
        expect_err(&mm, "SELECT 1 FROM \"sales\".\"orders\" LIMIT 0").await,
        ("42501".into(), "permission denied for relation orders".into())
    );
    exec(&c, "GRANT SELECT ON ALL TABLES IN SCHEMA \"sales\" TO GROUP mm_ro").await;
    exec(&mm, "SELECT 1 FROM \"sales\".\"orders\" LIMIT 0").await;
    assert_eq!(rows(&mm, "SELECT * FROM sales.customers LIMIT 5").await.len(), 5);
    assert_eq!(scalar(&mm, "select has_table_privilege('sales.v_orders_lb', 'SELECT')").await, "t");
    assert_eq!(scalar(&c, "select has_table_privilege('mm', quote_ident('sales') || '.' || quote_ident('orders'), 'SELECT')").await, "t");
    assert_eq!(scalar(&c, "select has_schema_privilege('mm', 'marketing', 'USAGE')").await, "f");
    // Query A of redshift.md §2, as the catalog user.
    let unusable = column(&mm, "SELECT nspname FROM pg_catalog.pg_namespace n WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND NOT has_schema_privilege(current_user, n.nspname, 'USAGE') ORDER BY 1").await;
    assert_eq!(unusable, vec!["finance data", "marketing", "spectrum_events"]);
    // The snapshot doesn't cover a table created later.
    exec(&c, "CREATE TABLE sales.later (id int)").await;
    assert_eq!(scalar(&mm, "select has_table_privilege('sales.later', 'SELECT')").await, "f");
    assert_eq!(
        expect_err(&mm, "select has_table_privilege('sales.nosuch', 'SELECT')").await.0,
        "42P01"
    );
}

#[tokio::test]
async fn rbac_roles() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    let (code, msg) = expect_err(&c, "CREATE ROLE etl_loader").await;
    assert_eq!(code, "42710");
    assert!(msg.contains("etl_loader") && msg.contains("user"), "{msg}");
    exec(&c, "CREATE ROLE reader; GRANT ROLE reader TO analyst; GRANT USAGE ON SCHEMA sales TO ROLE reader; GRANT SELECT ON sales.orders TO ROLE reader").await;
    let an = connect_tls(&sim, "analyst", ANALYST_PASSWORD, "dev").await.expect("login");
    assert_eq!(scalar(&an, "select has_schema_privilege('sales', 'USAGE')").await, "t");
    exec(&an, "select 1 from sales.orders limit 0").await;
    assert_eq!(
        column(&an, "select role_name from svv_roles order by role_name").await,
        vec!["reader"]
    );
    assert_eq!(
        expect_err(&c, "DROP ROLE reader").await.1,
        "cannot drop this role since it has been granted on a user"
    );
    assert_eq!(
        expect_err(&c, "ALTER GROUP reader ADD USER analyst").await.1,
        "group \"reader\" does not exist"
    );
    exec(&c, "DROP ROLE reader FORCE").await;
    assert_eq!(scalar(&an, "select has_schema_privilege('sales', 'USAGE')").await, "f");
}

#[tokio::test]
async fn default_privileges_follow_the_named_creator() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    exec(&c, "CREATE USER mm PASSWORD 'Metamapper1'; CREATE GROUP mm_ro WITH USER mm").await;
    exec(&c, "GRANT USAGE ON SCHEMA sales TO GROUP mm_ro").await;
    exec(&c, "ALTER DEFAULT PRIVILEGES FOR USER etl_loader IN SCHEMA sales GRANT SELECT ON TABLES TO GROUP mm_ro").await;
    exec(&c, "CREATE TABLE sales.by_admin (id integer)").await;
    let etl = connect_tls(&sim, "etl_loader", ETL_PASSWORD, "dev").await.expect("etl login");
    exec(&etl, "CREATE TABLE sales.by_etl (id integer, note varchar(100))").await;
    exec(&etl, "CREATE VIEW sales.v_by_etl AS SELECT id FROM sales.by_etl").await;
    exec(
        &etl,
        "CREATE VIEW sales.v_lb AS SELECT id, note FROM sales.by_etl WITH NO SCHEMA BINDING",
    )
    .await;
    // A regular user may not name another user (§1.4).
    assert_eq!(
        expect_err(&etl, "ALTER DEFAULT PRIVILEGES FOR USER admin GRANT SELECT ON TABLES TO mm")
            .await
            .0,
        "42501"
    );
    // pg_default_acl: own rows only for regular users.
    assert_eq!(rows(&etl, "select defacluser, defaclacl from pg_default_acl").await.len(), 1);
    let mm = connect_tls(&sim, "mm", "Metamapper1", "dev").await.expect("mm login");
    assert!(rows(&mm, "select defacluser from pg_default_acl").await.is_empty());
    exec(&mm, "SELECT 1 FROM sales.by_etl LIMIT 0").await;
    exec(&mm, "SELECT 1 FROM sales.v_lb LIMIT 0").await;
    assert_eq!(scalar(&mm, "select has_table_privilege('sales.v_by_etl', 'SELECT')").await, "t");
    assert_eq!(scalar(&mm, "select has_table_privilege('sales.by_admin', 'SELECT')").await, "f");
    assert_eq!(
        expect_err(&mm, "SELECT 1 FROM sales.by_admin LIMIT 0").await.1,
        "permission denied for relation by_admin"
    );
    let cols = rows(&mm, "SELECT view_schema, view_name, col_name, col_type FROM pg_get_late_binding_view_cols() cols(view_schema name, view_name name, col_name name, col_type varchar, col_num int) WHERE view_name = 'v_lb' ORDER BY view_schema, view_name, col_num").await;
    assert_eq!(cols.len(), 2);
    assert_eq!(cols[1][3].as_deref(), Some("character varying(100)"));
}

#[tokio::test]
async fn teardown_order_drop_group_and_user() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    exec(
        &c,
        "CREATE USER mm PASSWORD 'Metamapper1'; CREATE GROUP mm_ro; ALTER GROUP mm_ro ADD USER mm",
    )
    .await;
    exec(&c, "GRANT USAGE ON SCHEMA sales TO GROUP mm_ro; GRANT SELECT ON ALL TABLES IN SCHEMA sales TO GROUP mm_ro").await;
    exec(&c, "ALTER DEFAULT PRIVILEGES FOR USER etl_loader IN SCHEMA sales GRANT SELECT ON TABLES TO GROUP mm_ro").await;
    exec(&c, "GRANT USAGE ON SCHEMA spectrum_events TO GROUP mm_ro; GRANT USAGE ON DATABASE partner_share TO GROUP mm_ro").await;
    exec(&c, "GRANT SELECT ON pg_catalog.svv_table_info TO GROUP mm_ro").await;
    exec(&c, "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO mm").await;
    let blocked = (
        "55006".to_string(),
        "group \"mm_ro\" can't be dropped because the group has a privilege on some object"
            .to_string(),
    );
    assert_eq!(expect_err(&c, "DROP GROUP mm_ro").await, blocked);
    exec(&c, "ALTER DEFAULT PRIVILEGES FOR USER etl_loader IN SCHEMA sales REVOKE SELECT ON TABLES FROM GROUP mm_ro").await;
    exec(&c, "REVOKE SELECT ON ALL TABLES IN SCHEMA sales FROM GROUP mm_ro").await;
    exec(&c, "REVOKE USAGE ON SCHEMA sales FROM GROUP mm_ro").await;
    exec(&c, "REVOKE USAGE ON SCHEMA spectrum_events FROM GROUP mm_ro").await;
    assert_eq!(expect_err(&c, "DROP GROUP mm_ro").await, blocked);
    exec(&c, "REVOKE USAGE ON DATABASE partner_share FROM GROUP mm_ro").await;
    exec(&c, "REVOKE SELECT ON pg_catalog.svv_table_info FROM GROUP mm_ro").await;
    exec(&c, "ALTER GROUP mm_ro DROP USER mm").await;
    exec(&c, "DROP GROUP mm_ro").await;
    assert_eq!(
        expect_err(&c, "DROP GROUP mm_ro").await,
        ("42704".into(), "group \"mm_ro\" does not exist".into())
    );
    assert_eq!(
        expect_err(&c, "DROP USER IF EXISTS mm").await,
        (
            "55006".into(),
            "user \"mm\" can't be dropped because the user has a privilege on some object".into()
        )
    );
    exec(&c, "ALTER DEFAULT PRIVILEGES REVOKE SELECT ON TABLES FROM mm").await;
    exec(&c, "DROP USER IF EXISTS mm; DROP USER IF EXISTS mm").await;
    assert_eq!(
        expect_err(&c, "DROP USER etl_loader").await.1,
        "user \"etl_loader\" can't be dropped because the user owns some object"
    );
}

#[tokio::test]
async fn system_table_grants_are_accepted() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    exec(&c, "CREATE USER mm PASSWORD 'Metamapper1'; CREATE GROUP stats").await;
    let mm = connect_tls(&sim, "mm", "Metamapper1", "dev").await.expect("login");
    assert_eq!(
        expect_err(&mm, "select \"table\" from svv_table_info").await,
        ("42501".into(), "permission denied for relation svv_table_info".into())
    );
    assert_eq!(
        scalar(&c, "select has_table_privilege('mm', 'svv_table_info', 'SELECT')").await,
        "f"
    );
    exec(&c, "GRANT SELECT ON ALL TABLES IN SCHEMA pg_catalog TO mm").await;
    exec(&c, "GRANT SELECT ON pg_catalog.svv_table_info TO GROUP stats").await;
    exec(&c, "GRANT SELECT ON ALL TABLES IN SCHEMA information_schema TO mm").await;
    assert_eq!(
        scalar(&c, "select has_table_privilege('mm', 'svv_table_info', 'SELECT')").await,
        "t"
    );
    assert!(!rows(&mm, "select \"table\" from svv_table_info").await.is_empty());
}

#[tokio::test]
async fn visibility_of_svv_views_follows_access() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    let an = connect_tls(&sim, "analyst", ANALYST_PASSWORD, "dev").await.expect("login");
    assert!(
        column(&an, "SELECT schemaname FROM svv_external_schemas ORDER BY schemaname")
            .await
            .is_empty()
    );
    assert_eq!(
        column(&an, "SELECT database_name FROM svv_redshift_databases WHERE database_type = 'shared' ORDER BY database_name").await,
        Vec::<String>::new()
    );
    assert_eq!(
        column(&c, "SELECT schemaname FROM svv_external_schemas").await,
        vec!["spectrum_events"]
    );
    exec(&c, "GRANT USAGE ON SCHEMA spectrum_events TO analyst; GRANT USAGE ON DATABASE partner_share TO analyst").await;
    assert_eq!(
        column(&an, "SELECT schemaname FROM svv_external_schemas").await,
        vec!["spectrum_events"]
    );
    assert_eq!(
        column(&an, "SELECT tablename FROM svv_external_tables WHERE schemaname = 'spectrum_events' ORDER BY schemaname, tablename").await,
        vec!["clicks", "page_views"]
    );
    assert_eq!(
        column(
            &an,
            "SELECT database_name FROM svv_redshift_databases WHERE database_type = 'shared'"
        )
        .await,
        vec!["partner_share"]
    );
    let all = column(
        &an,
        "SELECT schema_name || '/' || schema_type FROM svv_all_schemas WHERE database_name IN ('dev', 'partner_share') ORDER BY 1",
    )
    .await;
    assert!(
        all.contains(&"spectrum_events/external".to_string())
            && all.contains(&"public/shared".to_string()),
        "{all:?}"
    );
    // pg_* catalogs show everything, including schemas the user can't use.
    let names = column(
        &an,
        "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' ORDER BY nspname",
    )
    .await;
    assert!(names.contains(&"sales".to_string()) && names.contains(&"finance data".to_string()));
    let owners = rows(&an, "SELECT schemaname, tableowner AS owner FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') UNION ALL SELECT schemaname, viewowner AS owner FROM pg_views WHERE schemaname NOT IN ('pg_catalog', 'information_schema')").await;
    assert!(
        owners
            .iter()
            .any(|r| r[0].as_deref() == Some("sales") && r[1].as_deref() == Some("etl_loader"))
    );
    assert_eq!(
        column(&an, "select usename from pg_user where usesuper = true order by usename").await,
        vec!["admin", "rdsdb"]
    );
    assert_eq!(
        scalar(&an, "select grolist from pg_group where groname = 'analysts'").await.chars().next(),
        Some('{')
    );
}

#[tokio::test]
async fn leader_node_rule_and_unsupported_statements() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    let leader = (
        "0A000".to_string(),
        "Specified types or functions (one per INFO message) not supported on Redshift tables."
            .to_string(),
    );
    assert_eq!(
        expect_err(&c, "select has_table_privilege('sales.orders', 'SELECT') from sales.orders")
            .await,
        leader
    );
    assert_eq!(expect_err(&c, "select version() from svv_external_schemas").await, leader);
    assert_eq!(expect_err(&c, "select schemaname from svv_external_schemas where has_schema_privilege(schemaname, 'USAGE')").await, leader);
    // Fine over pg_* catalogs.
    exec(
        &c,
        "select nspname, has_schema_privilege(current_user, nspname, 'USAGE') from pg_namespace",
    )
    .await;
    assert_eq!(
        expect_err(&c, "VACUUM").await,
        ("0A000".into(), "not supported by the simulator: VACUUM".into())
    );
    assert_eq!(
        expect_err(&c, "CREATE DATABASE x").await,
        ("0A000".into(), "not supported by the simulator: CREATE DATABASE".into())
    );
    // What the simulator does not implement still says so instead of faking success.
    assert_eq!(
        expect_err(&c, "select row_number() over (order by oid) from pg_class").await,
        ("0A000".into(), "not supported by the simulator: window function row_number".into())
    );
    assert_eq!(expect_err(&c, "select * from stl_query").await.0, "0A000");
    assert_eq!(expect_err(&c, "select * from information_schema.routines").await.0, "0A000");
    assert_eq!(expect_err(&c, "with recursive r as (select 1) select * from r").await.0, "0A000");
    assert_eq!(
        expect_err(&c, "select * from nosuch").await,
        ("42P01".into(), "relation \"nosuch\" does not exist".into())
    );
    assert_eq!(expect_err(&c, "select nosuch from pg_user").await.0, "42703");
}

#[tokio::test]
async fn transactions_and_multi_statement_queries() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    // Each statement of a multi-statement Query gets its own CommandComplete.
    let msgs =
        c.simple_query("CREATE GROUP g1; CREATE GROUP g2; SELECT groname FROM pg_group WHERE groname IN ('g1','g2')").await.expect("batch");
    let completes = msgs
        .iter()
        .filter(|m| matches!(m, tokio_postgres::SimpleQueryMessage::CommandComplete(_)))
        .count();
    assert_eq!(completes, 3);
    // An error later in the string rolls back the implicit transaction.
    assert_eq!(expect_err(&c, "CREATE GROUP g3; CREATE GROUP g3").await.0, "42710");
    assert!(sim.catalog().group_by_name("g3").is_none());
    // Explicit block: failed state, then ROLLBACK undoes the CREATE USER.
    exec(&c, "BEGIN; CREATE USER tx_user PASSWORD 'TxUser1234'").await;
    assert!(sim.catalog().user_by_name("tx_user").is_none(), "not visible before commit");
    assert_eq!(expect_err(&c, "CREATE USER tx_user PASSWORD 'TxUser1234'").await.0, "42710");
    assert_eq!(expect_err(&c, "select 1").await.0, "25P02");
    exec(&c, "ROLLBACK").await;
    assert!(sim.catalog().user_by_name("tx_user").is_none());
    exec(&c, "BEGIN; CREATE USER tx_user PASSWORD 'TxUser1234'; COMMIT").await;
    assert!(sim.catalog().user_by_name("tx_user").is_some());
    // The extended protocol runs DDL too.
    c.execute("CREATE GROUP via_extended", &[]).await.expect("extended DDL");
    assert!(sim.catalog().group_by_name("via_extended").is_some());
    // tokio-postgres's own transaction API.
    let mut c2 = connect_tls(&sim, "admin", ADMIN_PASSWORD, "dev").await.expect("login");
    let t = c2.transaction().await.expect("begin");
    t.batch_execute("CREATE GROUP rolled_back").await.expect("create");
    t.rollback().await.expect("rollback");
    assert!(sim.catalog().group_by_name("rolled_back").is_none());
}

#[tokio::test]
async fn session_authorization_switches_current_user() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    exec(&c, "SET SESSION AUTHORIZATION 'etl_loader'").await;
    assert_eq!(scalar(&c, "select current_user").await, "etl_loader");
    assert_eq!(scalar(&c, "select session_user").await, "admin");
    exec(&c, "CREATE TABLE sales.owned_by_etl (id int)").await;
    exec(&c, "RESET SESSION AUTHORIZATION").await;
    assert_eq!(
        scalar(&c, "select tableowner from pg_tables where tablename = 'owned_by_etl'").await,
        "etl_loader"
    );
    let an = connect_tls(&sim, "analyst", ANALYST_PASSWORD, "dev").await.expect("login");
    assert_eq!(expect_err(&an, "SET SESSION AUTHORIZATION 'admin'").await.0, "42501");
    assert_eq!(
        expect_err(&an, "CREATE TABLE sales.t (id int)").await.1,
        "permission denied for schema sales"
    );
}

/// The vendor's script (seed-redshift-guide.md with `<schema>` = sales), one statement at a time, as
/// redshift.md §1.7 predicts for Redshift. Statement 1 fails, so the user never exists: every later
/// grant to the *user* `metamapper` fails with `user "metamapper" does not exist`.
#[tokio::test]
async fn vendor_script_fails_where_redshift_md_predicts() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    let script = [
        "CREATE USER metamapper PASSWORD = '<redacted>';",
        "CREATE ROLE metamapper;",
        "ALTER GROUP metamapper ADD USER metamapper;",
        "GRANT USAGE ON SCHEMA \"sales\" TO GROUP metamapper;",
        "GRANT SELECT ON ALL TABLES IN SCHEMA \"sales\" TO GROUP metamapper;",
        "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO metamapper;",
        "GRANT SELECT ON ALL TABLES IN SCHEMA information_schema TO metamapper;",
        "GRANT SELECT ON ALL TABLES IN SCHEMA pg_catalog TO metamapper;",
    ];
    let mut results = Vec::new();
    for s in script {
        results.push(c.batch_execute(s).await.map_err(|e| db_error(&e)));
    }
    let no_group = Err(("42704".to_string(), "group \"metamapper\" does not exist".to_string()));
    let no_user = Err(("42704".to_string(), "user \"metamapper\" does not exist".to_string()));
    assert_eq!(results[0], Err(("42601".into(), "syntax error at or near \"=\"".into())));
    assert_eq!(results[1], Ok(()));
    assert_eq!(results[2], no_group);
    assert_eq!(results[3], no_group);
    assert_eq!(results[4], no_group);
    assert_eq!(results[5], no_user);
    assert_eq!(results[6], no_user);
    assert_eq!(results[7], no_user);

    // With statement 1 fixed (§1.7 "with it fixed"): 2 fails (role = user name), 3–5 still fail, 6–8 succeed.
    let sim = start_sample().await;
    let c = admin(&sim).await;
    let mut fixed = vec!["CREATE USER metamapper PASSWORD 'Metamapper1';"];
    fixed.extend_from_slice(&script[1..]);
    let mut results = Vec::new();
    for s in fixed {
        results.push(c.batch_execute(s).await.map_err(|e| db_error(&e)));
    }
    assert_eq!(results[0], Ok(()));
    assert_eq!(results[1].as_ref().map_err(|e| e.0.as_str()), Err("42710"));
    assert_eq!(results[2], no_group);
    assert_eq!(results[3], no_group);
    assert_eq!(results[4], no_group);
    assert_eq!(&results[5..], &[Ok(()), Ok(()), Ok(())]);
    // Statement 6 covers only tables the admin creates later, in any schema (§1.7 #6).
    exec(&c, "CREATE TABLE marketing.admin_later (id int)").await;
    assert_eq!(
        scalar(&c, "select has_table_privilege('metamapper', 'marketing.admin_later', 'SELECT')")
            .await,
        "t"
    );
    let etl = connect_tls(&sim, "etl_loader", ETL_PASSWORD, "dev").await.expect("etl");
    exec(&etl, "CREATE TABLE sales.etl_later (id int)").await;
    assert_eq!(
        scalar(&c, "select has_table_privilege('metamapper', 'sales.etl_later', 'SELECT')").await,
        "f"
    );
    // Statement 8 opened superuser-only system views.
    assert_eq!(
        scalar(&c, "select has_table_privilege('metamapper', 'svv_table_info', 'SELECT')").await,
        "t"
    );
}

#[tokio::test]
async fn pg_class_attribute_and_external_catalogs() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    let oid = scalar(&c, "select oid from pg_class where relname = 'orders'").await;
    let cols = column(
        &c,
        &format!(
            "select attname from pg_attribute where attrelid = {oid} and attnum > 0 order by attnum"
        ),
    )
    .await;
    assert_eq!(cols, vec!["order_id", "customer_id", "amount", "ordered_at"]);
    // Late-binding views have no pg_attribute rows (redshift.md §1.6).
    let lb = scalar(&c, "select oid from pg_class where relname = 'v_orders_lb'").await;
    assert!(
        column(&c, &format!("select attname from pg_attribute where attrelid = {lb}"))
            .await
            .is_empty()
    );
    assert_eq!(scalar(&c, "select relkind from pg_class where relname = 'v_orders_lb'").await, "v");
    assert_eq!(column(&c, "select esname from pg_external_schema").await, vec!["spectrum_events"]);
    assert_eq!(
        column(&c, "select columnname from svv_external_columns where tablename = 'clicks' order by columnnum").await,
        vec!["event_id", "url"]
    );
    let ns = scalar(&c, "select nspacl from pg_namespace where nspname = 'marketing'").await;
    assert!(ns.contains("group analysts=U/admin"), "{ns}");
}
