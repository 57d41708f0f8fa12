//! Contract with the SQL generator in `shiftgate-core::sql`: every discovery query, the setup script,
//! every verification query and the teardown script run on the simulator as Shiftgate would run
//! them, and the outcomes are what redshift.md predicts (setup passes verification, teardown leaves
//! nothing behind, the vendor's original script fails as §1.7 says).

mod common;

use common::*;
use shiftgate_core::sql::{
    Access, AppliedPlan, Dialect, FoundBefore, QueryResults, SchemaGrant, SchemaKind, SetupOptions,
    SetupPlan, discovery, setup_script, teardown, teardown_script, verify,
};
use tokio_postgres::Client;

async fn run_queries(
    client: &Client,
    queries: &[shiftgate_core::sql::CatalogQuery],
    results: &mut QueryResults,
) {
    for q in queries {
        let outcome = match client.simple_query(&q.sql).await {
            Ok(msgs) => Ok(msgs
                .into_iter()
                .filter_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => {
                        Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                    }
                    _ => None,
                })
                .collect()),
            Err(e) => Err(db_error(&e).1),
        };
        // Every query Shiftgate sends must be answered, the optional discovery ones included.
        if let Err(e) = &outcome {
            panic!("query {:?} failed on the simulator: {e}\n{}", q.id, q.sql);
        }
        results.insert(q.id.clone(), outcome);
    }
}

async fn run_script(client: &Client, script: &shiftgate_core::sql::Script) {
    for s in script.statements() {
        if let Err(e) = client.batch_execute(s.sql()).await {
            panic!("{} failed: {:?}", s.masked_sql(), db_error(&e));
        }
    }
}

fn plan(access: Access) -> SetupPlan {
    SetupPlan {
        dialect: Dialect::Redshift,
        user: "metamapper".into(),
        password: "Catalog1234".into(),
        access,
        schemas: vec![
            SchemaGrant {
                name: "sales".into(),
                kind: SchemaKind::Local,
                owners: vec!["etl_loader".into()],
            },
            SchemaGrant {
                name: "marketing".into(),
                kind: SchemaKind::Local,
                owners: vec!["admin".into()],
            },
            SchemaGrant {
                name: "finance data".into(),
                kind: SchemaKind::Local,
                owners: vec!["admin".into()],
            },
            SchemaGrant {
                name: "spectrum_events".into(),
                kind: SchemaKind::External,
                owners: vec![],
            },
        ],
        datashare_databases: vec!["partner_share".into()],
        connection_limit: Some(5),
        grant_svv_table_info: true,
    }
}

/// Discovery as the app runs it: the required queries, the optional live-privilege ones and the
/// owners' CREATE checks — every one answered.
async fn discover(client: &Client) -> shiftgate_core::sql::Discovery {
    let mut results = QueryResults::new();
    run_queries(client, &discovery::queries(Dialect::Redshift), &mut results).await;
    run_queries(client, &discovery::optional_queries(Dialect::Redshift), &mut results).await;
    let mut found = discovery::evaluate(Dialect::Redshift, &results).expect("discovery parses");
    assert!(found.notes.is_empty(), "{:?}", found.notes);
    assert!(found.acl.read, "{:?}", found.acl);
    let checks = found.owner_create_queries().expect("owner checks");
    let mut more = QueryResults::new();
    run_queries(client, &checks, &mut more).await;
    found.apply_owner_checks(&more).expect("owner checks parse");
    found
}

async fn full_cycle(access: Access) {
    let sim = start_sample().await;
    let admin_client = admin(&sim).await;

    let found = discover(&admin_client).await;
    assert!(
        found.schemas.iter().any(|s| s.name == "spectrum_events" && s.kind == SchemaKind::External),
        "{found:?}"
    );
    assert_eq!(found.datashare_databases, vec!["partner_share".to_string()]);

    let plan = plan(access);
    let setup = setup_script(&plan, &found.existing_state()).expect("plan is valid");
    run_script(&admin_client, &setup).await;

    // Verification as the new user, like the app does.
    let user =
        connect_tls(&sim, "metamapper", "Catalog1234", "dev").await.expect("catalog user logs in");
    let mut results = QueryResults::new();
    run_queries(&user, &verify::plan_queries(&plan).expect("queries"), &mut results).await;
    let probes = verify::probe_queries(&plan, &results).expect("probes");
    assert!(!probes.is_empty());
    run_queries(&user, &probes, &mut results).await;
    let report = verify::evaluate(&plan, &results).expect("report");
    assert!(report.passed(), "{report:#?}");
    assert_eq!(report.schemas.len(), 4);
    let sales = &report.schemas[0];
    assert!(sales.usage && sales.tables_total >= 3 && sales.probe == Some(Ok(())), "{sales:#?}");
    assert_eq!(sales.late_binding_cols, 2, "{sales:#?}");
    assert_eq!(report.svv_table_info, Some(true));
    assert!(report.datashares.iter().all(|d| d.visible) && !report.datashares.is_empty());

    // A missing grant shows up as a failed verdict.
    exec(
        &admin_client,
        &format!("REVOKE SELECT ON sales.customers FROM {} metamapper_ro", plan.access.kind_word()),
    )
    .await;
    let mut again = QueryResults::new();
    run_queries(&user, &verify::plan_queries(&plan).expect("queries"), &mut again).await;
    let report = verify::evaluate(&plan, &again).expect("report");
    assert!(!report.passed());
    assert_eq!(report.schemas[0].tables_unreadable, vec!["customers".to_string()], "{report:#?}");

    // A table the ETL user creates later is covered by the default privileges.
    let etl = connect_tls(&sim, "etl_loader", ETL_PASSWORD, "dev").await.expect("etl");
    exec(&etl, "CREATE TABLE sales.created_after_setup (id int)").await;
    exec(&user, "SELECT 1 FROM sales.created_after_setup LIMIT 0").await;
    drop(user);

    run_script(&admin_client, &teardown_script(&plan).expect("teardown")).await;
    let w = sim.catalog();
    assert!(w.user_by_name("metamapper").is_none());
    assert!(
        w.group_by_name("metamapper_ro").is_none() && w.role_by_name("metamapper_ro").is_none()
    );
    assert_eq!(w.default_acls().count(), 0);
}

#[tokio::test]
async fn group_setup_verify_teardown() {
    full_cycle(Access::Group { name: "metamapper_ro".into() }).await;
}

#[tokio::test]
async fn role_setup_verify_teardown() {
    full_cycle(Access::Role { name: "metamapper_ro".into() }).await;
}

#[tokio::test]
async fn vendor_original_script_matches_expectations() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    let script =
        shiftgate_core::sql::vendor::vendor_original_script("metamapper", "sales").expect("script");
    let mut outcomes = Vec::new();
    for s in script.statements() {
        outcomes.push(c.batch_execute(s.sql()).await.map_err(|e| db_error(&e)));
    }
    assert_eq!(outcomes.len(), 8, "{outcomes:?}");
    assert_eq!(
        outcomes[0].as_ref().map_err(|e| e.1.as_str()),
        Err("syntax error at or near \"=\"")
    );
    assert!(outcomes[1].is_ok());
    for o in &outcomes[2..5] {
        assert_eq!(
            o.as_ref().map_err(|e| e.1.as_str()),
            Err("group \"metamapper\" does not exist")
        );
    }
}

/// Teardown from the live catalogs (issue 20): after setup, discovery reads the grants back through
/// `svv_*_privileges` / `pg_default_acl`; the live teardown removes exactly those, a second run
/// finds nothing left, and a group that existed before setup keeps its members and earlier grants.
async fn live_teardown(access: Access) {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    let before = discover(&c).await;
    let mut plan = plan(access.clone());
    plan.schemas.retain(|s| s.kind == SchemaKind::Local);
    let setup = setup_script(&plan, &before.existing_state()).expect("plan is valid");
    run_script(&c, &setup).await;
    let applied = AppliedPlan {
        database: "dev".into(),
        applied_at: "2026-01-01T00:00:00Z".into(),
        plan: plan.clone(),
        found: Some(FoundBefore::from_existing(&plan, &before.existing_state())),
        options: SetupOptions::default(),
    };
    // The live state shows every grant setup made, by kind of grantee.
    let after = discover(&c).await;
    let is_access =
        |p: &shiftgate_core::sql::live::Principal| p.is_access(Dialect::Redshift, &access);
    let schemas: Vec<&str> = after
        .acl
        .schema_privileges
        .iter()
        .filter(|p| is_access(&p.grantee))
        .map(|p| p.schema.as_str())
        .collect();
    assert!(schemas.contains(&"sales") && schemas.contains(&"finance data"), "{:?}", after.acl);
    assert!(after.acl.default_privileges.iter().any(|d| is_access(&d.grantee)
        && d.owner == "etl_loader"
        && d.schema.as_deref() == Some("sales")));
    // A table created later by an owner the plan did not list gets a grant by hand.
    exec(&c, "CREATE TABLE marketing.later_by_admin (id int)").await;
    exec(
        &c,
        &format!(
            "GRANT SELECT ON marketing.later_by_admin TO {} metamapper_ro",
            access.kind_word()
        ),
    )
    .await;
    let after = discover(&c).await;
    let live = after.existing_state();
    let decision = teardown::teardown_decide(&plan, Some(&applied), &live, Default::default());
    assert!(decision.drop_user && decision.drop_access, "{decision:?}");
    let tp = teardown::teardown_live(&plan, Some(&applied), &live, &decision).expect("teardown");
    run_script(&c, &tp.revoke).await;
    run_script(&c, &tp.drop).await;
    let w = sim.catalog();
    assert!(w.user_by_name("metamapper").is_none());
    assert!(
        w.group_by_name("metamapper_ro").is_none() && w.role_by_name("metamapper_ro").is_none()
    );
    assert_eq!(w.default_acls().count(), 0);
    // Twice: nothing left.
    let again = discover(&c).await.existing_state();
    let decision = teardown::teardown_decide(&plan, Some(&applied), &again, Default::default());
    let tp = teardown::teardown_live(&plan, Some(&applied), &again, &decision).expect("teardown");
    assert!(
        tp.nothing_left(),
        "{:?}",
        tp.combined().statements().map(|s| s.sql().to_string()).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn group_live_teardown_removes_what_the_catalogs_show() {
    live_teardown(Access::Group { name: "metamapper_ro".into() }).await;
}

#[tokio::test]
async fn role_live_teardown_removes_what_the_catalogs_show() {
    live_teardown(Access::Role { name: "metamapper_ro".into() }).await;
}

#[tokio::test]
async fn reused_group_keeps_its_members_and_earlier_grants() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    // `analysts` predates setup: member analyst, USAGE + SELECT on marketing.
    let before = discover(&c).await;
    let mut plan = plan(Access::Group { name: "analysts".into() });
    plan.schemas.retain(|s| s.name == "sales");
    let setup = setup_script(&plan, &before.existing_state()).expect("plan is valid");
    run_script(&c, &setup).await;
    let applied = AppliedPlan {
        database: "dev".into(),
        applied_at: "2026-01-01T00:00:00Z".into(),
        plan: plan.clone(),
        found: Some(FoundBefore::from_existing(&plan, &before.existing_state())),
        options: SetupOptions::default(),
    };
    let live = discover(&c).await.existing_state();
    let decision = teardown::teardown_decide(&plan, Some(&applied), &live, Default::default());
    assert!(!decision.drop_access && decision.access_reused, "{decision:?}");
    let tp = teardown::teardown_live(&plan, Some(&applied), &live, &decision).expect("teardown");
    run_script(&c, &tp.revoke).await;
    run_script(&c, &tp.drop).await;
    let w = sim.catalog();
    let g = w.group_by_name("analysts").expect("kept");
    let analyst = w.user_by_name("analyst").expect("analyst").id;
    assert!(g.members.contains(&analyst));
    let marketing = w.schema_by_name("marketing").expect("marketing");
    assert!(marketing.usage.contains(&redshift_sim::catalog::Grantee::Group(g.id)));
    let sales = w.schema_by_name("sales").expect("sales");
    assert!(!sales.usage.contains(&redshift_sim::catalog::Grantee::Group(g.id)));
    assert!(w.user_by_name("metamapper").is_none());
}

/// Issue 16 item 7: every audit query (`shiftgate-core::sql::audit::queries`, listed in
/// `golden/audit_queries.sql`) is answered on the simulator, unscoped and scoped, and the matrix
/// needs no fallback.
#[tokio::test]
async fn audit_queries_are_answered() {
    use shiftgate_core::sql::audit::{self, AuditScope};
    let sim = start_sample().await;
    let c = admin(&sim).await;
    let scopes = [
        AuditScope::default(),
        AuditScope {
            grantees: vec!["analyst".into()],
            schemas: vec!["marketing".into(), "Sales EU".into()],
        },
    ];
    for scope in scopes {
        let qs = audit::queries(Dialect::Redshift, &scope).expect("queries");
        let mut results = QueryResults::new();
        run_queries(&c, &qs, &mut results).await;
        let m = audit::evaluate(Dialect::Redshift, &scope, &results).expect("matrix");
        assert!(m.notes.is_empty(), "{:?}", m.notes);
        let analyst = m.grantee("analyst").expect("analyst");
        let marketing = analyst.schemas.iter().find(|s| s.schema == "marketing").expect("cell");
        assert_eq!(marketing.level, audit::CellLevel::Read, "{marketing:#?}");
    }
}
