//! Golden tests: whole rendered scripts compared with checked-in files under `src/sql/golden/`,
//! plus properties every generated script must keep. Regenerate with `UPDATE_GOLDEN=1`, then
//! review the diff line by line against redshift.md §1 / §4.1.

use std::path::PathBuf;

use super::discovery;
use super::forecast;
use super::plan::{Access, Dialect, ExistingState, SchemaGrant, SchemaKind, SetupPlan};
use super::query::{QueryId, QueryResults, Row};
use super::script::Script;
use super::setup::setup_script;
use super::teardown::{cleanup_vendor_script, teardown_script};
use super::vendor::vendor_original_script;
use super::verify::{self, Gap, Verdict};

const PASSWORD: &str = "N0t-A-Real-Pa55word";

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/sql/golden").join(name)
}

pub(super) fn check_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        if let Err(e) = std::fs::write(&path, actual) {
            panic!("writing {}: {e}", path.display());
        }
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("reading {}: {e} (run with UPDATE_GOLDEN=1 to create it)", path.display())
    });
    assert_eq!(
        actual, expected,
        "golden {name} differs; rerun with UPDATE_GOLDEN=1 and review the diff"
    );
}

fn local(name: &str, owners: &[&str]) -> SchemaGrant {
    SchemaGrant {
        name: name.into(),
        kind: SchemaKind::Local,
        owners: owners.iter().map(|o| (*o).to_owned()).collect(),
    }
}

fn external(name: &str) -> SchemaGrant {
    SchemaGrant { name: name.into(), kind: SchemaKind::External, owners: vec![] }
}

fn redshift_group_plan() -> SetupPlan {
    SetupPlan {
        dialect: Dialect::Redshift,
        user: "catalog_reader".into(),
        password: PASSWORD.into(),
        access: Access::Group { name: "catalog_ro".into() },
        schemas: vec![
            local("Sales Data", &["admin", "ETL_Loader"]),
            local("we\"ird", &["etl"]),
            local("ünïcode", &["ETL_Loader", "etl", "ETL_Loader"]),
            external("spectrum"),
        ],
        datashare_databases: vec!["sales_share".into()],
        connection_limit: Some(5),
        grant_svv_table_info: true,
    }
}

fn redshift_role_plan() -> SetupPlan {
    SetupPlan {
        access: Access::Role { name: "catalog_reader_role".into() },
        ..redshift_group_plan()
    }
}

fn postgres_plan(access: Access) -> SetupPlan {
    SetupPlan {
        dialect: Dialect::Postgres,
        user: "catalog_reader".into(),
        password: PASSWORD.into(),
        access,
        schemas: vec![
            local("sales", &["etl_owner", "postgres"]),
            local("Sales Data", &["postgres"]),
        ],
        datashare_databases: vec![],
        connection_limit: Some(5),
        grant_svv_table_info: false,
    }
}

fn setup(plan: &SetupPlan, existing: &ExistingState) -> Script {
    setup_script(plan, existing).unwrap_or_else(|e| panic!("plan must be valid: {e:?}"))
}

/// Every script the generators produce for the fixtures, with a name.
fn all_generated() -> Vec<(&'static str, Script)> {
    let none = ExistingState::default();
    let existing = ExistingState {
        users: vec!["catalog_reader".into()],
        groups: vec!["catalog_ro".into()],
        roles: vec!["catalog_reader_role".into()],
        ..Default::default()
    };
    let ok =
        |r: Result<Script, _>| r.unwrap_or_else(|e: Vec<super::plan::PlanError>| panic!("{e:?}"));
    vec![
        ("setup_redshift_group", setup(&redshift_group_plan(), &none)),
        ("setup_redshift_role", setup(&redshift_role_plan(), &none)),
        ("setup_redshift_existing", setup(&redshift_group_plan(), &existing)),
        ("setup_redshift_role_existing", setup(&redshift_role_plan(), &existing)),
        (
            "setup_postgres_group",
            setup(&postgres_plan(Access::Group { name: "catalog_ro".into() }), &none),
        ),
        (
            "setup_postgres_role",
            setup(&postgres_plan(Access::Role { name: "catalog_reader_role".into() }), &none),
        ),
        ("teardown_redshift_group", ok(teardown_script(&redshift_group_plan()))),
        ("teardown_redshift_role", ok(teardown_script(&redshift_role_plan()))),
        (
            "teardown_postgres_role",
            ok(teardown_script(&postgres_plan(Access::Role { name: "r".into() }))),
        ),
        (
            "cleanup_redshift_user",
            ok(cleanup_vendor_script(
                Dialect::Redshift,
                "metamapper",
                &["admin".into()],
                &["sales".into()],
                &ExistingState { users: vec!["metamapper".into()], ..Default::default() },
            )),
        ),
        (
            "cleanup_redshift_role",
            ok(cleanup_vendor_script(
                Dialect::Redshift,
                "metamapper",
                &[],
                &["sales".into()],
                &ExistingState { roles: vec!["metamapper".into()], ..Default::default() },
            )),
        ),
        (
            "cleanup_postgres_nologin_role",
            ok(cleanup_vendor_script(
                Dialect::Postgres,
                "metamapper",
                &["postgres".into()],
                &["sales".into()],
                &ExistingState {
                    roles: vec!["metamapper".into()],
                    groups: vec!["metamapper".into()],
                    ..Default::default()
                },
            )),
        ),
    ]
}

#[test]
fn golden_sql_setup_redshift_group() {
    check_golden(
        "setup_redshift_group.sql",
        &setup(&redshift_group_plan(), &ExistingState::default()).render(false),
    );
}

#[test]
fn golden_sql_setup_redshift_role() {
    check_golden(
        "setup_redshift_role.sql",
        &setup(&redshift_role_plan(), &ExistingState::default()).render(false),
    );
}

#[test]
fn golden_sql_setup_postgres() {
    let none = ExistingState::default();
    check_golden(
        "setup_postgres_group.sql",
        &setup(&postgres_plan(Access::Group { name: "catalog_ro".into() }), &none).render(false),
    );
    check_golden(
        "setup_postgres_role.sql",
        &setup(&postgres_plan(Access::Role { name: "catalog_reader_role".into() }), &none)
            .render(false),
    );
}

#[test]
fn golden_sql_teardown() {
    let td = |p: &SetupPlan| teardown_script(p).unwrap_or_else(|e| panic!("{e:?}")).render(false);
    check_golden("teardown_redshift_group.sql", &td(&redshift_group_plan()));
    check_golden("teardown_redshift_role.sql", &td(&redshift_role_plan()));
    check_golden(
        "teardown_postgres_group.sql",
        &td(&postgres_plan(Access::Group { name: "catalog_ro".into() })),
    );
}

#[test]
fn golden_sql_cleanup() {
    let scripts = all_generated();
    for name in ["cleanup_redshift_user", "cleanup_redshift_role", "cleanup_postgres_nologin_role"]
    {
        let script = scripts
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s.render(false))
            .unwrap_or_default();
        check_golden(&format!("{name}.sql"), &script);
    }
}

#[test]
fn golden_sql_masked_and_revealed() {
    let existing = ExistingState {
        users: vec!["catalog_reader".into()],
        groups: vec!["catalog_ro".into()],
        ..Default::default()
    };
    let mut plan = redshift_group_plan();
    plan.schemas.truncate(1);
    plan.datashare_databases.clear();
    plan.grant_svv_table_info = false;
    let script = setup(&plan, &existing);
    let masked = script.render(false);
    let revealed = script.render(true);
    assert!(!masked.contains(PASSWORD));
    assert!(revealed.contains(&format!("PASSWORD '{PASSWORD}';")));
    check_golden("setup_existing_masked.sql", &masked);
    check_golden("setup_existing_revealed.sql", &revealed);
}

#[test]
fn golden_sql_catalog_queries() {
    let plan = redshift_group_plan();
    let mut out = String::new();
    for (title, queries) in [
        ("discovery (Redshift)", discovery::queries(Dialect::Redshift)),
        ("discovery (PostgreSQL)", discovery::queries(Dialect::Postgres)),
        ("optional discovery (Redshift)", discovery::optional_queries(Dialect::Redshift)),
        ("optional discovery (PostgreSQL)", discovery::optional_queries(Dialect::Postgres)),
        (
            "verify (Redshift plan a)",
            verify::plan_queries(&plan).unwrap_or_else(|e| panic!("{e:?}")),
        ),
        (
            "verify insights (Redshift plan a)",
            verify::insight_queries(&plan).unwrap_or_else(|e| panic!("{e:?}")),
        ),
        (
            "verify (PostgreSQL plan)",
            verify::plan_queries(&postgres_plan(Access::Group { name: "catalog_ro".into() }))
                .unwrap_or_else(|e| panic!("{e:?}")),
        ),
        (
            "verify insights (PostgreSQL plan)",
            verify::insight_queries(&postgres_plan(Access::Group { name: "catalog_ro".into() }))
                .unwrap_or_else(|e| panic!("{e:?}")),
        ),
    ] {
        out.push_str(&format!("-- ==== {title}\n"));
        for q in queries {
            out.push_str(&format!("-- {}\n{};\n", q.id, q.sql));
        }
        out.push('\n');
    }
    check_golden("catalog_queries.sql", &out);
}

#[test]
fn sql_no_script_grants_system_schemas_wholesale() {
    for (name, script) in all_generated() {
        for s in script.statements() {
            let sql = s.sql().to_ascii_lowercase();
            let wholesale = sql.contains("in schema pg_catalog")
                || sql.contains("in schema \"pg_catalog\"")
                || sql.contains("in schema information_schema")
                || sql.contains("in schema \"information_schema\"");
            if name.starts_with("cleanup") {
                assert!(!wholesale || sql.starts_with("revoke "), "{name}: {sql}");
            } else {
                assert!(!wholesale, "{name}: {sql}");
            }
        }
    }
}

#[test]
fn sql_every_statement_is_one_line_ending_in_semicolon() {
    let mut scripts = all_generated();
    let vendor = vendor_original_script("metamapper", "sales").unwrap_or_else(|e| panic!("{e}"));
    scripts.push(("vendor", vendor));
    for (name, script) in scripts {
        for s in script.statements() {
            assert!(!s.sql().contains('\n') && !s.sql().ends_with(';'), "{name}: {:?}", s.sql());
        }
        for reveal in [false, true] {
            for line in script.render(reveal).lines() {
                assert!(
                    line.is_empty()
                        || line.starts_with("-- ")
                        || line == "--"
                        || line.ends_with(';'),
                    "{name}: {line:?}"
                );
            }
        }
    }
}

#[test]
fn sql_create_user_never_uses_equals_or_syslog_unrestricted() {
    for (name, script) in all_generated() {
        for s in script.statements() {
            assert!(!s.sql().contains("PASSWORD ="), "{name}");
            assert!(!s.sql().contains("UNRESTRICTED"), "{name}");
            assert!(!s.sql().contains("sha256"), "{name}");
        }
    }
}

#[test]
fn sql_external_and_datashare_grants_run_outside_transactions_on_redshift() {
    let script = setup(&redshift_group_plan(), &ExistingState::default());
    for s in script.statements() {
        let external = s.sql().contains("\"spectrum\"") || s.sql().contains("ON DATABASE");
        assert_eq!(s.transactional(), !external, "{}", s.sql());
    }
    let pg = setup(&postgres_plan(Access::Group { name: "g".into() }), &ExistingState::default());
    assert!(pg.statements().all(|s| s.transactional()));
}

#[test]
fn sql_catalog_queries_stay_in_the_simulator_subset() {
    // What runs on Redshift (and so on the simulator). The PostgreSQL verify queries (relation
    // check by OID) and `insight_queries` (default privileges, the catalog tool's own query:
    // informational, their failure never fails verify) are outside the subset on purpose.
    let mut all = discovery::queries(Dialect::Redshift);
    all.extend(discovery::queries(Dialect::Postgres));
    all.extend(verify::plan_queries(&redshift_group_plan()).unwrap_or_else(|e| panic!("{e:?}")));
    let mut results = QueryResults::new();
    results
        .insert(QueryId::RelationPrivileges, Err("42501: permission denied for schema hr".into()));
    results.insert(QueryId::SchemaUsage, rows(&[&["Sales Data", "t"], &["we\"ird", "f"]]));
    let retry =
        verify::retry_queries(&redshift_group_plan(), &results).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(retry.len(), 1);
    all.extend(retry);
    assert!(
        all.iter().all(|q| q.id != QueryId::InspectorCounts && q.id != QueryId::DefaultPrivileges)
    );
    // `discovery::optional_queries` (live privileges) are outside the subset: where the simulator
    // can't answer them, discovery notes it and teardown mirrors the plan.
    for q in &all {
        let lower = q.sql.to_ascii_lowercase();
        assert!(lower.starts_with("select "), "{}", q.sql);
        for banned in [" join ", "(select", " with ", "distinct", "\\"] {
            assert!(!lower.contains(banned), "{banned} in {}", q.sql);
        }
        if lower.contains("union all") {
            assert!(!lower.contains("order by"), "ORDER BY inside UNION ALL: {}", q.sql);
        }
        // Leader-node rule: has_*_privilege only over pg_* catalogs.
        if lower.contains("has_") {
            assert!(
                !lower.contains("svv_") || lower.contains("'pg_catalog.svv_table_info'"),
                "{}",
                q.sql
            );
            assert!(!lower.contains("late_binding"), "{}", q.sql);
        }
    }
}

fn rows(data: &[&[&str]]) -> Result<Vec<Row>, String> {
    Ok(data.iter().map(|r| r.iter().map(|c| Some((*c).to_owned())).collect()).collect())
}

/// Verify reads one shared table of each planned datashare database the user sees, by its
/// three-part name (a consumer can't query a datashare any other way); a database it sees but
/// whose table it can't read (WITH PERMISSIONS, no object grants) fails with the grants to add.
#[test]
fn sql_verify_reads_one_shared_table_per_datashare_database() {
    let plan = SetupPlan {
        datashare_databases: vec!["Partner Share".into(), "plain".into(), "unseen".into()],
        ..redshift_group_plan()
    };
    let round1 = verify::insight_queries(&plan).unwrap_or_else(|e| panic!("{e:?}"));
    let listing = round1.iter().find(|q| q.id == QueryId::DatashareTables).expect("listed");
    assert_eq!(
        listing.sql,
        "SELECT database_name, schema_name, table_name FROM svv_redshift_tables WHERE \
         database_name IN ('Partner Share', 'plain', 'unseen') ORDER BY database_name, \
         schema_name, table_name"
    );
    let mut results = QueryResults::new();
    results.insert(QueryId::VisibleDatashares, rows(&[&["Partner Share"], &["plain"]]));
    results.insert(
        QueryId::DatashareTables,
        rows(&[
            &["plain", "public", "events"],
            &["Partner Share", "we\"ird", "Sales"],
            &["Partner Share", "public", "z_last"],
            &["Partner Share", "public", "a_first"],
        ]),
    );
    let probes: Vec<(QueryId, String)> = verify::probe_queries(&plan, &results)
        .unwrap_or_else(|e| panic!("{e:?}"))
        .into_iter()
        .filter(|q| matches!(q.id, QueryId::DatashareProbe { .. }))
        .map(|q| (q.id, q.sql))
        .collect();
    assert_eq!(
        probes,
        vec![
            (
                QueryId::DatashareProbe { database: "Partner Share".into() },
                "SELECT 1 FROM \"Partner Share\".\"public\".\"a_first\" LIMIT 0".to_string()
            ),
            (
                QueryId::DatashareProbe { database: "plain".into() },
                "SELECT 1 FROM \"plain\".\"public\".\"events\" LIMIT 0".to_string()
            ),
        ],
        "one table each, first by schema then name; nothing from a database the user can't see"
    );
    results.insert(
        QueryId::DatashareProbe { database: "Partner Share".into() },
        Err("42501: permission denied for relation a_first".into()),
    );
    results.insert(QueryId::DatashareProbe { database: "plain".into() }, Ok(vec![]));
    let report = verify::evaluate(&plan, &results).unwrap_or_else(|e| panic!("{e:?}"));
    let [partner, plain, unseen] = &report.datashares[..] else { panic!("three verdicts") };
    assert_eq!((partner.visible, partner.readable), (true, Some(false)));
    assert_eq!(partner.probed.as_deref(), Some("\"Partner Share\".\"public\".\"a_first\""));
    assert!(partner.error.as_deref().is_some_and(|e| e.starts_with("42501")));
    assert_eq!((plain.visible, plain.readable, plain.error.as_deref()), (true, Some(true), None));
    assert_eq!((unseen.visible, unseen.readable, unseen.probed.as_deref()), (false, None, None));
    assert!(!report.passed());
    let fix = report.fix_script.render(false);
    for line in [
        "GRANT USAGE ON DATABASE \"unseen\" TO GROUP \"catalog_ro\";",
        "GRANT USAGE ON SCHEMA \"Partner Share\".\"public\" TO GROUP \"catalog_ro\";",
        "GRANT SELECT ON \"Partner Share\".\"public\".\"z_last\" TO GROUP \"catalog_ro\";",
        "GRANT SELECT ON \"Partner Share\".\"we\"\"ird\".\"Sales\" TO GROUP \"catalog_ro\";",
    ] {
        assert!(fix.contains(line), "{line}\n{fix}");
    }
    assert!(!fix.contains("\"plain\".\"public\""), "a readable share needs nothing: {fix}");
}

#[test]
fn sql_verify_evaluates_gaps_into_a_fix_script() {
    let plan = redshift_group_plan();
    let mut results = QueryResults::new();
    results.insert(
        QueryId::SchemaUsage,
        rows(&[&["Sales Data", "t"], &["spectrum", "f"], &["we\"ird", "t"], &["ünïcode", "t"]]),
    );
    results.insert(
        QueryId::RelationPrivileges,
        rows(&[
            &["Sales Data", "orders", "admin", "table", "t"],
            &["Sales Data", "by_admin", "intern", "table", "f"],
            &["Sales Data", "v_orders", "admin", "view", "t"],
            &["we\"ird", "t1", "etl", "table", "t"],
        ]),
    );
    results.insert(
        QueryId::LateBindingColumns,
        rows(&[&["Sales Data", "lbv", "id"], &["Sales Data", "lbv", "amount"]]),
    );
    results.insert(QueryId::ExternalTables, rows(&[]));
    results.insert(QueryId::VisibleDatashares, rows(&[]));
    results.insert(QueryId::SvvTableInfo, rows(&[&["f"]]));

    let probes = verify::probe_queries(&plan, &results).unwrap_or_else(|e| panic!("{e:?}"));
    let probe_sql: Vec<&str> = probes.iter().map(|q| q.sql.as_str()).collect();
    assert_eq!(
        probe_sql,
        vec![
            "SELECT 1 FROM \"Sales Data\".\"orders\" LIMIT 0",
            "SELECT 1 FROM \"we\"\"ird\".\"t1\" LIMIT 0"
        ]
    );
    results.insert(QueryId::Probe { schema: "Sales Data".into() }, Ok(vec![]));
    results.insert(
        QueryId::Probe { schema: "we\"ird".into() },
        Err("permission denied for relation t1".into()),
    );

    let report = verify::evaluate(&plan, &results).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(!report.passed());
    let sales = &report.schemas[0];
    assert_eq!(sales.tables_total, 3);
    assert_eq!(sales.tables_unreadable, vec!["by_admin"]);
    assert_eq!(sales.unreadable[0].owner, "intern");
    assert_eq!(sales.uncovered_owners, vec!["intern"]);
    assert_eq!(sales.late_binding_cols, 2);
    assert_eq!(sales.probe, Some(Ok(())));
    assert_eq!(
        sales.verdict,
        Verdict::Fail(vec![
            Gap::TablesUnreadable { count: 1 },
            Gap::OwnersUncovered { owners: vec!["intern".into()] }
        ])
    );
    assert!(
        matches!(&report.schemas[1].verdict, Verdict::Fail(g) if matches!(g.as_slice(), [Gap::ProbeFailed { .. }]))
    );
    assert_eq!(report.schemas[2].verdict, Verdict::Pass, "no relations: nothing to read yet");
    assert_eq!(report.schemas[3].verdict, Verdict::Fail(vec![Gap::NoUsage]));
    assert!(!report.datashares[0].visible);
    assert_eq!(report.svv_table_info, Some(false));
    check_golden("verify_fix_redshift.sql", &report.fix_script.render(false));

    let mut clean = QueryResults::new();
    clean.insert(
        QueryId::SchemaUsage,
        rows(&[&["Sales Data", "t"], &["spectrum", "t"], &["we\"ird", "t"], &["ünïcode", "t"]]),
    );
    clean.insert(
        QueryId::RelationPrivileges,
        rows(&[&["Sales Data", "orders", "admin", "table", "t"]]),
    );
    clean.insert(QueryId::LateBindingColumns, rows(&[]));
    clean.insert(QueryId::ExternalTables, rows(&[&["spectrum", "clicks"]]));
    clean.insert(QueryId::VisibleDatashares, rows(&[&["sales_share"]]));
    clean.insert(QueryId::SvvTableInfo, rows(&[&["t"]]));
    clean.insert(QueryId::Probe { schema: "Sales Data".into() }, Ok(vec![]));
    let report = verify::evaluate(&plan, &clean).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(report.passed(), "{report:?}");
    assert_eq!(report.schemas[3].tables_total, 1);
    assert_eq!(report.fix_script.statements().count(), 0);
}

#[test]
fn sql_invalid_plans_are_refused_by_every_generator() {
    let mut plan = redshift_group_plan();
    plan.access = Access::Group { name: "catalog_reader".into() };
    assert!(setup_script(&plan, &ExistingState::default()).is_err());
    assert!(teardown_script(&plan).is_err());
    assert!(verify::plan_queries(&plan).is_err());
    plan = redshift_group_plan();
    plan.schemas.push(local("pg_catalog", &[]));
    assert!(setup_script(&plan, &ExistingState::default()).is_err());
    assert!(
        cleanup_vendor_script(
            Dialect::Postgres,
            "m",
            &[],
            &["pg_catalog".into()],
            &ExistingState::default()
        )
        .is_err()
    );
}

#[test]
fn sql_verify_missing_results_never_pass() {
    let plan = redshift_group_plan();
    let report = verify::evaluate(&plan, &QueryResults::new()).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(!report.passed());
    assert!(report.query_errors.contains(&(QueryId::SchemaUsage, "not run".to_owned())));
    assert!(report.schemas.iter().all(|s| matches!(s.verdict, Verdict::Fail(_))));
}

/// The spoiled batch of issue 16: five schemas, no USAGE on `hr`. Only `hr` fails; the others
/// keep their true counts; `hr`'s fix grants USAGE, SELECT on what exists and default privileges
/// for its owners; an owner without default privileges elsewhere is uncovered with the reason.
#[test]
fn sql_verify_isolates_a_schema_without_usage() {
    let mut plan = postgres_plan(Access::Group { name: "catalog_ro".into() });
    plan.schemas = ["a", "b", "c", "d", "hr"].iter().map(|n| local(n, &["etl"])).collect();
    let mut results = QueryResults::new();
    results.insert(
        QueryId::SchemaUsage,
        rows(&[
            &["a", "t", "admin"],
            &["b", "t", "admin"],
            &["c", "t", "admin"],
            &["d", "t", "admin"],
            &["hr", "f", "admin"],
        ]),
    );
    let mut rels: Vec<[String; 5]> = Vec::new();
    for s in ["a", "b", "c", "d"] {
        for t in 0..3 {
            rels.push([s.into(), format!("t{t}"), "etl".into(), "table".into(), "t".into()]);
        }
    }
    rels.push(["d".into(), "late".into(), "intern".into(), "table".into(), "t".into()]);
    rels.push(["hr".into(), "people".into(), "hr_owner".into(), "table".into(), "t".into()]);
    let rel_rows: Vec<Vec<&str>> =
        rels.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
    let rel_refs: Vec<&[&str]> = rel_rows.iter().map(Vec::as_slice).collect();
    results.insert(QueryId::RelationPrivileges, rows(&rel_refs));
    let mut acl: Vec<[&str; 3]> =
        ["a", "b", "c", "d", "hr"].iter().map(|s| ["etl", *s, "catalog_ro"]).collect();
    acl.push(["hr_owner", "hr", "catalog_ro"]);
    let acl_refs: Vec<&[&str]> = acl.iter().map(|r| r.as_slice()).collect();
    results.insert(QueryId::DefaultPrivileges, rows(&acl_refs));
    results.insert(
        QueryId::InspectorCounts,
        rows(&[
            &["a", "3", "6", "0"],
            &["b", "3", "6", "0"],
            &["c", "3", "6", "0"],
            &["d", "4", "8", "0"],
        ]),
    );
    assert!(verify::retry_queries(&plan, &results).unwrap_or_else(|e| panic!("{e:?}")).is_empty());
    let probes = verify::probe_queries(&plan, &results).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(probes.len(), 4, "no probe where USAGE is missing: {probes:?}");
    for p in &probes {
        results.insert(p.id.clone(), Ok(vec![]));
    }
    let report = verify::evaluate(&plan, &results).unwrap_or_else(|e| panic!("{e:?}"));
    for v in &report.schemas[..3] {
        assert_eq!(v.verdict, Verdict::Pass, "{v:#?}");
        assert_eq!((v.tables_total, v.catalog_view.map(|c| c.tables)), (3, Some(3)));
    }
    let d = &report.schemas[3];
    assert_eq!(d.tables_total, 4);
    assert!(d.tables_unreadable.is_empty());
    assert_eq!(d.uncovered_owners, vec!["intern"], "readable today, not tomorrow");
    let intern = d.forecast.iter().find(|f| f.creator == "intern").expect("intern asked");
    assert_eq!(intern.outcome, forecast::Outcome::No);
    let hr = &report.schemas[4];
    assert_eq!(hr.tables_unreadable, vec!["people"]);
    assert_eq!(hr.uncovered_owners, vec!["hr_owner"]);
    assert!(matches!(&hr.verdict, Verdict::Fail(g) if g.contains(&Gap::NoUsage)));
    assert!(hr.forecast.iter().all(|f| f.outcome == forecast::Outcome::No));
    assert_eq!(hr.catalog_view, Some(Default::default()), "the tool sees nothing there");
    assert!(report.query_errors.is_empty());
    check_golden("verify_fix_postgres_spoiled.sql", &report.fix_script.render(false));
}

/// Redshift: the relation check by name fails as a whole when a schema lacks USAGE; the retry
/// asks only where USAGE holds, and its answer replaces the failure.
#[test]
fn sql_verify_retries_the_relation_check_by_usage() {
    let plan = redshift_group_plan();
    let mut results = QueryResults::new();
    results.insert(
        QueryId::SchemaUsage,
        rows(&[&["Sales Data", "t"], &["spectrum", "t"], &["we\"ird", "f"], &["ünïcode", "t"]]),
    );
    results.insert(
        QueryId::RelationPrivileges,
        Err("42501: permission denied for schema we\"ird".into()),
    );
    let retry = verify::retry_queries(&plan, &results).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(retry.len(), 1);
    let sql = &retry[0].sql;
    assert!(sql.contains("has_table_privilege") && sql.contains("false AS can_select"), "{sql}");
    assert!(sql.contains("schemaname IN ('we\"ird')"), "{sql}");
    results.insert(
        QueryId::RelationPrivilegesByUsage,
        rows(&[
            &["Sales Data", "orders", "admin", "table", "t"],
            &["we\"ird", "t1", "etl", "table", "f"],
        ]),
    );
    for id in [QueryId::LateBindingColumns, QueryId::ExternalTables, QueryId::VisibleDatashares] {
        results.insert(id, rows(&[]));
    }
    results.insert(QueryId::VisibleDatashares, rows(&[&["sales_share"]]));
    results.insert(QueryId::SvvTableInfo, rows(&[&["t"]]));
    let report = verify::evaluate(&plan, &results).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(report.query_errors.is_empty(), "{:?}", report.query_errors);
    assert_eq!(report.schemas[0].verdict, Verdict::Pass, "{:#?}", report.schemas[0]);
    assert_eq!(report.schemas[1].tables_unreadable, vec!["t1"]);
    assert!(matches!(report.default_privileges, forecast::Evidence::Unavailable(_)));
    let fix = report.fix_script.render(false);
    assert!(fix.contains("GRANT USAGE ON SCHEMA \"we\"\"ird\""), "{fix}");
    assert!(fix.contains("GRANT SELECT ON ALL TABLES IN SCHEMA \"we\"\"ird\""), "{fix}");
    assert!(fix.contains("FOR USER \"etl\" IN SCHEMA \"we\"\"ird\""), "{fix}");
}

mod live_state {
    use super::super::applied::{AppliedPlan, FoundBefore};
    use super::super::live::{
        DefaultObjects, DefaultPrivilege, LiveAcl, Membership, Principal, PrincipalKind,
        SchemaPrivilege, TablePrivilege, UserFlags,
    };
    use super::super::plan::{PlanError, SkipReason, SkippedOwner};
    use super::super::setup::{SetupOptions, setup_script_with};
    use super::super::teardown::{TeardownOptions, teardown_decide, teardown_live};
    use super::*;

    fn who(name: &str, kind: PrincipalKind) -> Principal {
        Principal { name: name.into(), kind }
    }

    fn schema_priv(schema: &str, p: Principal, privilege: &str) -> SchemaPrivilege {
        SchemaPrivilege { schema: schema.into(), grantee: p, privilege: privilege.into() }
    }

    fn table_priv(schema: &str, table: &str, p: Principal) -> TablePrivilege {
        TablePrivilege {
            schema: schema.into(),
            table: table.into(),
            grantee: p,
            privilege: "SELECT".into(),
        }
    }

    fn default_priv(owner: &str, schema: Option<&str>, p: Principal) -> DefaultPrivilege {
        DefaultPrivilege {
            owner: owner.into(),
            schema: schema.map(Into::into),
            objects: DefaultObjects::Tables,
            grantee: p,
        }
    }

    fn sales_eu_plan() -> SetupPlan {
        SetupPlan {
            dialect: Dialect::Redshift,
            user: "catalog_reader".into(),
            password: PASSWORD.into(),
            access: Access::Group { name: "Catalog_RO".into() },
            schemas: vec![local("Sales EU", &["admin", "etl", "gone_user", "intern"])],
            datashare_databases: vec![],
            connection_limit: None,
            grant_svv_table_info: false,
        }
    }

    /// Redshift, case-sensitive, a `"Sales EU"` schema, a reused user with a direct grant, an
    /// owner without CREATE and one that no longer exists.
    fn redshift_live() -> ExistingState {
        let user = who("catalog_reader", PrincipalKind::User);
        ExistingState {
            users: vec!["admin".into(), "etl".into(), "intern".into(), "catalog_reader".into()],
            acl: LiveAcl {
                schema_privileges: vec![schema_priv("Sales EU", user.clone(), "USAGE")],
                table_privileges: vec![table_priv("Sales EU", "Orders", user)],
                user_flags: vec![UserFlags {
                    name: "catalog_reader".into(),
                    superuser: false,
                    createdb: true,
                    createrole: false,
                }],
                case_sensitive_identifiers: Some(true),
                read: true,
                ..LiveAcl::default()
            },
            skipped_owners: vec![
                SkippedOwner {
                    schema: "Sales EU".into(),
                    owner: "gone_user".into(),
                    reason: SkipReason::Missing,
                },
                SkippedOwner {
                    schema: "Sales EU".into(),
                    owner: "intern".into(),
                    reason: SkipReason::NoCreate,
                },
            ],
            schema_object_owners: vec![("Sales EU".into(), vec!["catalog_reader".into()])],
            ..ExistingState::default()
        }
    }

    #[test]
    fn golden_sql_setup_case_sensitive_reused_user_and_skipped_owners() {
        let plan = sales_eu_plan();
        let script = setup_script_with(
            &plan,
            &redshift_live(),
            SetupOptions { revoke_public_create: true, ..SetupOptions::default() },
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let text = script.render(false);
        assert!(text.contains("SET enable_case_sensitive_identifier TO true;"), "{text}");
        assert!(text.contains("ALTER USER \"catalog_reader\" NOCREATEDB;"));
        assert!(text.contains("ALTER USER \"catalog_reader\" SYSLOG ACCESS RESTRICTED;"));
        assert!(text.contains("REVOKE CREATE ON SCHEMA public FROM GROUP \"Catalog_RO\";"));
        let runs = |needle: &str| script.statements().any(|s| s.sql().contains(needle));
        assert!(!runs("FOR USER \"intern\""), "owner without CREATE skipped");
        assert!(!runs("FOR USER \"gone_user\""), "missing owner skipped");
        assert!(runs("FOR USER \"etl\""));
        assert!(text.contains("skipped: \"intern\" lacks CREATE on the schema"), "{text}");
        check_golden("setup_redshift_case_sensitive_reused.sql", &text);
    }

    #[test]
    fn superuser_and_createrole_users_are_refused() {
        let mut live = redshift_live();
        live.acl.user_flags[0].superuser = true;
        let errors = sales_eu_plan().validate(&live);
        assert!(
            matches!(errors.as_slice(), [PlanError::PrivilegedUser { name, reason }]
                if name == "catalog_reader" && reason.contains("superuser")),
            "{errors:?}"
        );
        live.acl.user_flags[0].superuser = false;
        live.acl.user_flags[0].createrole = true;
        assert!(matches!(
            sales_eu_plan().validate(&live).as_slice(),
            [PlanError::PrivilegedUser { .. }]
        ));
    }

    #[test]
    fn folding_cluster_shows_the_lowercase_name() {
        let mut live = redshift_live();
        live.acl.case_sensitive_identifiers = Some(false);
        let w: Vec<String> =
            sales_eu_plan().warnings(&live).iter().map(ToString::to_string).collect();
        assert!(w.iter().any(|w| w.contains("\"sales eu\"")), "{w:?}");
        assert!(w.iter().any(|w| w.contains("\"catalog_ro\"")), "{w:?}");
        assert!(!sales_eu_plan().needs_case_sensitive_session(&live));
    }

    fn group() -> Principal {
        who("Catalog_RO", PrincipalKind::Group)
    }

    /// After setup of a new user and group, plus a later owner's default privilege and a
    /// database-wide one nobody planned.
    fn after_setup() -> ExistingState {
        let g = group();
        ExistingState {
            users: vec!["admin".into(), "etl".into(), "later".into(), "catalog_reader".into()],
            groups: vec!["Catalog_RO".into()],
            acl: LiveAcl {
                schema_privileges: vec![schema_priv("Sales EU", g.clone(), "USAGE")],
                table_privileges: vec![
                    table_priv("Sales EU", "Orders", g.clone()),
                    table_priv("pg_catalog", "svv_table_info", g.clone()),
                ],
                default_privileges: vec![
                    default_priv("etl", Some("Sales EU"), g.clone()),
                    default_priv("later", Some("Sales EU"), g.clone()),
                    default_priv("admin", None, g.clone()),
                ],
                memberships: vec![Membership { of: g, member: "catalog_reader".into() }],
                case_sensitive_identifiers: Some(true),
                read: true,
                ..LiveAcl::default()
            },
            ..ExistingState::default()
        }
    }

    fn record(found: FoundBefore) -> AppliedPlan {
        AppliedPlan {
            database: "dev".into(),
            applied_at: "2026-12-01T10:00:00Z".into(),
            plan: SetupPlan { password: String::new(), ..sales_eu_plan() },
            found: Some(found),
            options: SetupOptions::default(),
        }
    }

    #[test]
    fn golden_sql_teardown_live_created_by_setup() {
        let plan = sales_eu_plan();
        let live = after_setup();
        let applied = record(FoundBefore { privileges_read: true, ..FoundBefore::default() });
        let decision = teardown_decide(&plan, Some(&applied), &live, TeardownOptions::default());
        assert!(decision.drop_user && decision.drop_access, "{decision:?}");
        let td = teardown_live(&plan, Some(&applied), &live, &decision)
            .unwrap_or_else(|e| panic!("{e:?}"));
        let text = td.combined().render(false);
        assert!(
            text.contains("ALTER DEFAULT PRIVILEGES FOR USER \"later\" IN SCHEMA \"Sales EU\" REVOKE ALL ON TABLES FROM GROUP \"Catalog_RO\";"),
            "a later owner's default privileges are revoked: {text}"
        );
        assert!(text.contains(
            "ALTER DEFAULT PRIVILEGES FOR USER \"admin\" REVOKE ALL ON TABLES FROM GROUP \"Catalog_RO\";"
        ));
        assert!(text.contains("REVOKE ALL ON \"pg_catalog\".\"svv_table_info\""));
        assert!(!text.contains("ALL TABLES IN SCHEMA \"pg_catalog\""));
        let drop_at = text.find("DROP GROUP").unwrap_or(0);
        assert!(drop_at > text.find("REVOKE ALL ON SCHEMA").unwrap_or(usize::MAX));
        check_golden("teardown_live_redshift.sql", &text);
    }

    #[test]
    fn teardown_twice_reports_nothing_left() {
        let plan = sales_eu_plan();
        let gone = ExistingState {
            users: vec!["admin".into()],
            acl: LiveAcl { read: true, ..LiveAcl::default() },
            ..ExistingState::default()
        };
        let applied = record(FoundBefore { privileges_read: true, ..FoundBefore::default() });
        let decision = teardown_decide(&plan, Some(&applied), &gone, TeardownOptions::default());
        let td = teardown_live(&plan, Some(&applied), &gone, &decision)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(td.nothing_left());
        assert!(td.combined().render(false).contains("Nothing left"));
    }

    #[test]
    fn golden_sql_teardown_reused_group_and_user_keep_earlier_grants() {
        let plan = SetupPlan { dialect: Dialect::Postgres, ..sales_eu_plan() };
        let g = who("Catalog_RO", PrincipalKind::Role);
        let mut live = after_setup();
        live.acl.case_sensitive_identifiers = None;
        for p in &mut live.acl.schema_privileges {
            p.grantee = g.clone();
        }
        for p in &mut live.acl.table_privileges {
            p.grantee = g.clone();
        }
        for p in &mut live.acl.default_privileges {
            p.grantee = g.clone();
        }
        live.acl.table_privileges.push(table_priv("Sales EU", "Customers", g.clone()));
        live.acl.memberships = vec![
            Membership { of: g.clone(), member: "catalog_reader".into() },
            Membership { of: g, member: "alice".into() },
        ];
        // Before setup: the group already read Sales EU's Customers, with USAGE, and the user
        // existed.
        let applied = record(FoundBefore {
            user_existed: true,
            access_existed: true,
            user_was_member: false,
            schema_privileges: vec![("Sales EU".into(), "USAGE".into())],
            table_grants: vec![("Sales EU".into(), "Customers".into())],
            default_privileges: vec![],
            privileges_read: true,
        });
        let decision = teardown_decide(&plan, Some(&applied), &live, TeardownOptions::default());
        assert!(!decision.drop_user && !decision.drop_access && decision.remove_membership);
        let td = teardown_live(&plan, Some(&applied), &live, &decision)
            .unwrap_or_else(|e| panic!("{e:?}"));
        let text = td.combined().render(false);
        assert!(
            text.contains("REVOKE SELECT ON \"Sales EU\".\"Orders\" FROM GROUP \"Catalog_RO\";"),
            "{text}"
        );
        assert!(!text.contains("\"Customers\""), "earlier grant kept: {text}");
        assert!(!text.contains("REVOKE USAGE"), "earlier USAGE kept: {text}");
        use super::super::script::StatementKind as K;
        assert!(
            td.combined().statements().all(|s| !matches!(s.kind(), K::DropAccess | K::DropUser)),
            "reused group and user are never dropped: {text}"
        );
        assert!(text.contains("ALTER GROUP \"Catalog_RO\" DROP USER \"catalog_reader\";"));
        check_golden("teardown_live_reused_postgres.sql", &text);
    }

    #[test]
    fn without_a_record_a_shared_group_predates_and_is_kept() {
        let plan = sales_eu_plan();
        let mut live = after_setup();
        live.acl.memberships.push(Membership { of: group(), member: "bob".into() });
        let decision = teardown_decide(&plan, None, &live, TeardownOptions { keep_user: true });
        assert!(!decision.drop_access && !decision.drop_user);
        let notes = decision.notes.join("\n");
        assert!(notes.contains("No setup record"), "{notes}");
        assert!(notes.contains("other members: bob"), "{notes}");
        let td = teardown_live(&plan, None, &live, &decision).unwrap_or_else(|e| panic!("{e:?}"));
        let text = td.combined().render(false);
        assert!(!text.contains("REVOKE"), "no record: the kept group's grants stay: {text}");
    }

    #[test]
    fn golden_sql_cleanup_redshift_revokes_admin_tables_in_every_schema() {
        let existing = ExistingState {
            users: vec!["metamapper".into(), "admin".into()],
            schema_object_owners: vec![
                ("sales".into(), vec!["admin".into(), "etl".into()]),
                ("marketing".into(), vec!["admin".into()]),
                ("hr".into(), vec!["etl".into()]),
            ],
            acl: LiveAcl {
                table_privileges: vec![table_priv(
                    "hr",
                    "people",
                    who("metamapper", PrincipalKind::User),
                )],
                default_privileges: vec![default_priv(
                    "etl",
                    Some("hr"),
                    who("metamapper", PrincipalKind::User),
                )],
                read: true,
                ..LiveAcl::default()
            },
            ..ExistingState::default()
        };
        let script = cleanup_vendor_script(
            Dialect::Redshift,
            "metamapper",
            &["admin".into()],
            &["sales".into()],
            &existing,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let text = script.render(false);
        for s in ["sales", "marketing", "hr"] {
            assert!(
                text.contains(&format!(
                    "REVOKE SELECT ON ALL TABLES IN SCHEMA \"{s}\" FROM \"metamapper\";"
                )),
                "{s}: {text}"
            );
        }
        assert!(!text.contains("DROP OWNED"), "no DROP OWNED on Redshift");
        check_golden("cleanup_redshift_user_live.sql", &text);
    }

    #[test]
    fn datashare_with_permissions_gets_object_grants_and_teardown_revokes_them() {
        let mut plan = sales_eu_plan();
        plan.schemas.clear();
        plan.access = Access::Group { name: "catalog_ro".into() };
        plan.datashare_databases = vec!["partner_share".into(), "plain_share".into()];
        let existing = ExistingState {
            datashares_with_permissions: vec!["partner_share".into()],
            shared_tables: vec![
                ("partner_share".into(), "public".into(), "sales".into()),
                ("partner_share".into(), "public".into(), "events".into()),
            ],
            ..ExistingState::default()
        };
        let text = setup_script_with(&plan, &existing, SetupOptions::default())
            .unwrap_or_else(|e| panic!("{e:?}"))
            .render(false);
        assert!(text.contains("GRANT USAGE ON DATABASE \"plain_share\" TO GROUP \"catalog_ro\";"));
        assert!(
            text.contains(
                "GRANT USAGE ON SCHEMA \"partner_share\".\"public\" TO GROUP \"catalog_ro\";"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "GRANT SELECT ON \"partner_share\".\"public\".\"sales\" TO GROUP \"catalog_ro\";"
            ),
            "{text}"
        );
        assert!(!text.contains("\"plain_share\".\"public\""), "{text}");
        let live = ExistingState {
            users: vec!["catalog_reader".into()],
            groups: vec!["catalog_ro".into()],
            acl: LiveAcl { read: true, ..LiveAcl::default() },
            ..existing
        };
        let applied = record(FoundBefore { privileges_read: true, ..FoundBefore::default() });
        let applied = AppliedPlan { plan: plan.clone(), ..applied };
        let decision = teardown_decide(&plan, Some(&applied), &live, TeardownOptions::default());
        let td = teardown_live(&plan, Some(&applied), &live, &decision)
            .unwrap_or_else(|e| panic!("{e:?}"));
        let text = td.combined().render(false);
        assert!(text.contains("REVOKE SELECT ON \"partner_share\".\"public\".\"events\" FROM GROUP \"catalog_ro\";"), "{text}");
        assert!(text.contains("REVOKE USAGE ON SCHEMA \"partner_share\".\"public\""), "{text}");
    }
}
