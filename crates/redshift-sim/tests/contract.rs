//! Contract with the SQL generator in `shiftgate-core::sql`: every discovery query, the setup script,
//! every verification query and the teardown script run on the simulator as Shiftgate would run
//! them, and the outcomes are what redshift.md predicts (setup passes verification, teardown leaves
//! nothing behind, the vendor's original script fails as §1.7 says).

mod common;

use common::*;
use shiftgate_core::sql::{
    Access, Dialect, QueryResults, SchemaGrant, SchemaKind, SetupPlan, discovery, setup_script,
    teardown_script, verify,
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
        // The live-privilege queries (teardown from the live catalogs) are optional: where the
        // simulator can't answer one, discovery says so and teardown mirrors the plan.
        let optional =
            shiftgate_core::sql::live::queries(Dialect::Redshift).iter().any(|l| l.id == q.id);
        if let Err(e) = &outcome
            && !optional
        {
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

async fn full_cycle(access: Access) {
    let sim = start_sample().await;
    let admin_client = admin(&sim).await;

    let mut results = QueryResults::new();
    run_queries(&admin_client, &discovery::queries(Dialect::Redshift), &mut results).await;
    let found = discovery::evaluate(Dialect::Redshift, &results).expect("discovery parses");
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
