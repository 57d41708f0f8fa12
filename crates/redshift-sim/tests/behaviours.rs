//! Redshift behaviours Shiftgate's setup, teardown and audit rely on (issue 20 item 9): the
//! `svv_*_privileges` views with their documented columns and visibility, write privileges,
//! REVOKE ALL, `SET` / `SHOW enable_case_sensitive_identifier`, three-part names, DROP SCHEMA's
//! 2BP01 naming the dependents, DROP USER / GROUP 55006, ALTER USER NOCREATEDB / SYSLOG ACCESS.

mod common;

use common::*;
use redshift_sim::{Simulator, Warehouse};

const SETUP: &str = "
    CREATE USER reader PASSWORD 'Reader1234';
    CREATE GROUP readers WITH USER reader;
    CREATE ROLE auditors;
    GRANT ROLE auditors TO reader;
    GRANT USAGE ON SCHEMA sales TO GROUP readers;
    GRANT SELECT ON ALL TABLES IN SCHEMA sales TO GROUP readers;
    GRANT INSERT, UPDATE ON sales.orders TO reader;
    GRANT USAGE ON SCHEMA marketing TO ROLE auditors;
    ALTER DEFAULT PRIVILEGES FOR USER etl_loader IN SCHEMA sales GRANT SELECT ON TABLES TO GROUP readers;
    GRANT USAGE ON DATABASE partner_share TO reader;
";

#[tokio::test]
async fn privilege_views_list_explicit_grants_by_identity() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    c.batch_execute(SETUP).await.expect("setup");
    assert_eq!(
        rows(
            &c,
            "SELECT namespace_name, privilege_type, identity_name, identity_type, admin_option \
             FROM svv_schema_privileges WHERE namespace_name IN ('sales', 'marketing') ORDER BY 1, 3"
        )
        .await,
        vec![
            ["marketing", "USAGE", "analysts", "group", "f"].map(|s| Some(s.to_string())).to_vec(),
            ["marketing", "USAGE", "auditors", "role", "f"].map(|s| Some(s.to_string())).to_vec(),
            ["sales", "USAGE", "readers", "group", "f"].map(|s| Some(s.to_string())).to_vec(),
        ]
    );
    let rel = column(
        &c,
        "SELECT relation_name || ':' || privilege_type || ':' || identity_name || ':' || identity_type \
         FROM svv_relation_privileges WHERE namespace_name = 'sales' ORDER BY 1",
    )
    .await;
    assert_eq!(
        rel,
        [
            "customers:SELECT:readers:group",
            "orders:INSERT:reader:user",
            "orders:SELECT:readers:group",
            "orders:UPDATE:reader:user",
            "v_orders_lb:SELECT:readers:group",
        ]
    );
    assert_eq!(
        rows(
            &c,
            "SELECT schema_name, object_type, owner_name, owner_type, privilege_type, grantee_name, \
             grantee_type FROM svv_default_privileges"
        )
        .await,
        vec![
            ["sales", "RELATION", "etl_loader", "user", "SELECT", "readers", "group"]
                .map(|s| Some(s.to_string()))
                .to_vec()
        ]
    );
    assert_eq!(
        column(&c, "SELECT user_name || '>' || role_name FROM svv_user_grants").await,
        ["reader>auditors"]
    );
    assert_eq!(
        column(&c, "SELECT database_name || ':' || identity_name FROM svv_database_privileges")
            .await,
        ["partner_share:reader"]
    );
    // pg_class.relacl shows the write letters; has_table_privilege agrees.
    assert_eq!(
        scalar(&c, "SELECT relacl FROM pg_class WHERE relname = 'orders'").await,
        "{reader=aw/etl_loader,\"group readers=r/etl_loader\"}"
    );
    assert_eq!(
        scalar(&c, "SELECT has_table_privilege('reader', 'sales.orders', 'INSERT')").await,
        "t"
    );
    assert_eq!(
        scalar(&c, "SELECT has_table_privilege('reader', 'sales.orders', 'DELETE')").await,
        "f"
    );

    // A regular user sees only its own identities (r_SVV_RELATION_PRIVILEGES.md).
    let r = connect_tls(&sim, "reader", "Reader1234", "dev").await.expect("reader");
    let mine =
        column(&r, "SELECT DISTINCT identity_name FROM svv_schema_privileges ORDER BY 1").await;
    assert_eq!(mine, ["auditors", "public", "readers"]);
    assert_eq!(scalar(&r, "SELECT count(*) FROM svv_default_privileges").await, "1");
    assert_eq!(expect_err(&r, "SELECT * FROM svl_user_info").await.0, "42501");
    // svl_user_info for the superuser: SYSLOG ACCESS and CREATEDB as ALTER USER set them.
    exec(&c, "ALTER USER reader CREATEDB SYSLOG ACCESS UNRESTRICTED").await;
    let flags = "SELECT usecreatedb, syslogaccess FROM svl_user_info WHERE usename = 'reader'";
    assert_eq!(rows(&c, flags).await, vec![vec![Some("t".into()), Some("UNRESTRICTED".into())]]);
    exec(&c, "ALTER USER reader NOCREATEDB").await;
    exec(&c, "ALTER USER reader SYSLOG ACCESS RESTRICTED").await;
    assert_eq!(rows(&c, flags).await, vec![vec![Some("f".into()), Some("RESTRICTED".into())]]);

    // REVOKE ALL takes every table privilege; then the views are empty for the user.
    exec(&c, "REVOKE ALL ON ALL TABLES IN SCHEMA sales FROM reader").await;
    exec(&c, "REVOKE ALL ON ALL TABLES IN SCHEMA sales FROM GROUP readers").await;
    exec(&c, "ALTER DEFAULT PRIVILEGES FOR USER etl_loader IN SCHEMA sales REVOKE ALL ON TABLES FROM GROUP readers").await;
    assert_eq!(
        scalar(&c, "SELECT count(*) FROM svv_relation_privileges WHERE namespace_name = 'sales'")
            .await,
        "0"
    );
    assert_eq!(scalar(&c, "SELECT count(*) FROM svv_default_privileges").await, "0");
    assert_eq!(scalar(&c, "SELECT count(*) FROM pg_default_acl").await, "0");
}

#[tokio::test]
async fn drop_user_group_schema_fail_while_objects_depend() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    c.batch_execute(SETUP).await.expect("setup");
    let (code, msg) = expect_err(&c, "DROP GROUP readers").await;
    assert_eq!(code, "55006");
    assert!(msg.contains("group \"readers\""), "{msg}");
    assert_eq!(expect_err(&c, "DROP USER reader").await.0, "55006");
    assert_eq!(expect_err(&c, "DROP ROLE auditors").await.0, "2BP01");
    // DROP SCHEMA names what depends on it (PostgreSQL's DETAIL lines).
    let err = c.batch_execute("DROP SCHEMA marketing").await.expect_err("dependents");
    let db = err.as_db_error().expect("server error");
    assert_eq!(db.code().code(), "2BP01");
    assert_eq!(db.message(), "cannot drop schema marketing because other objects depend on it");
    let detail = db.detail().unwrap_or_default();
    assert!(detail.contains("table marketing.campaigns depends on schema marketing"), "{detail}");
    assert!(detail.contains("view marketing.v_active_campaigns"), "{detail}");
    assert_eq!(expect_err(&c, "DROP SCHEMA nosuch").await.0, "3F000");
    exec(&c, "DROP SCHEMA IF EXISTS nosuch").await;
    exec(&c, "CREATE SCHEMA scratch").await;
    exec(&c, "CREATE TABLE scratch.t (id int)").await;
    exec(&c, "DROP SCHEMA scratch CASCADE").await;
    assert!(sim.catalog().schema_by_name("scratch").is_none());
    // No DROP OWNED on Redshift.
    assert_eq!(expect_err(&c, "DROP OWNED BY reader").await.0, "0A000");
}

#[tokio::test]
async fn case_sensitive_identifiers_follow_the_session_setting() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    assert_eq!(scalar(&c, "SHOW enable_case_sensitive_identifier").await, "off");
    // Folding (the default): "Sales EU" is sales eu.
    exec(&c, "CREATE SCHEMA \"Folded EU\"").await;
    assert!(sim.catalog().schema_by_name("folded eu").is_some());
    // In one batch, as Shiftgate sends a script segment: the SET applies to what follows.
    c.batch_execute(
        "SET enable_case_sensitive_identifier TO true; CREATE SCHEMA \"Sales EU\"; \
         CREATE GROUP \"Catalog_RO\"; GRANT USAGE ON SCHEMA \"Sales EU\" TO GROUP \"Catalog_RO\";",
    )
    .await
    .expect("case-sensitive batch");
    assert_eq!(scalar(&c, "SHOW enable_case_sensitive_identifier").await, "on");
    let w = sim.catalog();
    assert!(w.schema_by_name("Sales EU").is_some() && w.group_by_name("Catalog_RO").is_some());
    assert_eq!(
        scalar(
            &c,
            "SELECT identity_name FROM svv_schema_privileges WHERE namespace_name = 'Sales EU'"
        )
        .await,
        "Catalog_RO"
    );
    exec(&c, "SET enable_case_sensitive_identifier TO false").await;
    assert_eq!(expect_err(&c, "GRANT USAGE ON SCHEMA \"Sales EU\" TO PUBLIC").await.0, "3F000");
    // A cluster whose parameter group turns it on: sessions start case-sensitive.
    let mut w = Warehouse::sample();
    w.case_sensitive_identifiers = true;
    let cs = start(Simulator::builder().warehouse(w)).await;
    let c2 = admin(&cs).await;
    assert_eq!(scalar(&c2, "SHOW enable_case_sensitive_identifier").await, "on");
}

#[tokio::test]
async fn three_part_names_in_the_current_database() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    exec(&c, "CREATE USER reader PASSWORD 'Reader1234'").await;
    exec(&c, "GRANT USAGE ON SCHEMA dev.sales TO reader").await;
    exec(&c, "GRANT SELECT ON dev.sales.orders TO reader").await;
    let r = connect_tls(&sim, "reader", "Reader1234", "dev").await.expect("reader");
    assert_eq!(scalar(&r, "SELECT count(*) FROM dev.sales.orders").await, "300");
    let (code, msg) = expect_err(&c, "GRANT SELECT ON other_db.sales.orders TO reader").await;
    assert_eq!(code, "0A000");
    assert!(msg.contains("other_db"), "{msg}");
}
