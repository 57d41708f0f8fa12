//! Full catalog-user cycle on the real PostgreSQL 15: discover → setup → verify as the new user →
//! later tables by a planned / unplanned owner → re-run setup → teardown leaves nothing; and the
//! vendor's original script failing the way redshift.md §1.7 says, then cleaned up. Verify
//! isolates a schema without USAGE, fixes an unplanned owner for good, forecasts tomorrow's
//! tables and counts what the catalog tool's own query returns, with names needing quotes.

use crate::support::{self, pg, target};
use shiftgate::net::connect::Password;
use shiftgate::profile::Profile;
use shiftgate::sql::{self, Access, Dialect, SetupPlan};
use shiftgate::tasks::provision::{self, StatementProgress};
use std::sync::Mutex;
use tokio_util::sync::CancellationToken;

fn profile(user: &str, db: &str) -> Profile {
    pg::profile(user, db)
}

fn admin(db: &str) -> (Profile, Password) {
    (profile(pg::SUPERUSER, db), Password::new(pg::SUPERUSER_PASSWORD.into()))
}

fn no_steps() -> impl Fn(shiftgate::report::Step) + Send + Sync {
    |_| {}
}

/// A database with two schemas, an ETL owner and tables owned by it and by the admin.
fn fixture_db(db: &str, etl: &str, outsider: &str) {
    let s = pg::server();
    s.create_database(db);
    s.admin_sql(&format!(
        "CREATE USER {etl} PASSWORD 'Etl-Pass-1'; CREATE USER {outsider} PASSWORD 'Out-Pass-1';"
    ));
    s.sql_in(
        db,
        &format!(
            "CREATE SCHEMA sales AUTHORIZATION {etl};
             CREATE SCHEMA \"HR Data\";
             GRANT CREATE, USAGE ON SCHEMA sales TO {outsider};
             SET ROLE {etl}; CREATE TABLE sales.orders (id int); CREATE VIEW sales.v_orders AS SELECT id FROM sales.orders; RESET ROLE;
             CREATE TABLE sales.admin_made (id int);
             CREATE TABLE \"HR Data\".\"People\" (id int);"
        ),
    )
    .expect("fixture");
}

fn plan_from(discovery: &sql::Discovery, user: &str, group: &str, schemas: &[&str]) -> SetupPlan {
    SetupPlan {
        dialect: Dialect::Postgres,
        user: user.into(),
        password: "Catalog-Pass-42".into(),
        access: Access::Group { name: group.into() },
        schemas: discovery.schema_grants(schemas).expect("chosen schemas exist"),
        datashare_databases: vec![],
        connection_limit: Some(3),
        grant_svv_table_info: false,
    }
}

#[test]
fn full_cycle_setup_verify_teardown() {
    let s = pg::server();
    let db = support::unique("cyc");
    let etl = support::unique("etl");
    let outsider = support::unique("out");
    let user = support::unique("catalog");
    let group = format!("{user}_ro");
    fixture_db(&db, &etl, &outsider);
    let rt = support::rt();
    let cancel = CancellationToken::new();
    let steps = no_steps();
    let (admin_p, admin_pw) = admin(&db);

    // Discovery as the admin.
    let found = rt
        .block_on(provision::discover(target(&admin_p, Some(&admin_pw)), &steps, &cancel))
        .expect("discovery");
    assert_eq!(found.dialect, Dialect::Postgres);
    let sales =
        found.discovery.schemas.iter().find(|x| x.name == "sales").expect("sales discovered");
    assert!(sales.object_owners.contains(&etl), "{sales:?}");
    assert!(
        sales.object_owners.contains(&pg::SUPERUSER.to_string()),
        "admin made a table there: {sales:?}"
    );
    assert!(found.discovery.schemas.iter().any(|x| x.name == "HR Data"));

    // Setup.
    let plan = plan_from(&found.discovery, &user, &group, &["sales", "HR Data"]);
    let script = sql::setup_script(&plan, &found.discovery.existing_state()).expect("script");
    let seen = Mutex::new(Vec::<StatementProgress>::new());
    let progress = |p: StatementProgress| seen.lock().unwrap().push(p);
    let run = rt
        .block_on(provision::run_script(
            target(&admin_p, Some(&admin_pw)),
            &script,
            &steps,
            &progress,
            &cancel,
        ))
        .expect("run");
    assert!(run.succeeded(), "{run:?}");
    let seen = seen.into_inner().unwrap();
    assert!(
        seen.iter().all(|p| !p.shown_sql.contains("Catalog-Pass-42")),
        "progress never shows the password"
    );
    assert_eq!(
        seen.iter().filter(|p| p.status == shiftgate::report::StepStatus::Ok).count(),
        run.total
    );

    // Verify as the new user.
    let (cat_p, cat_pw) = (profile(&user, &db), Password::new(plan.password.clone()));
    let report = rt
        .block_on(provision::verify(target(&cat_p, Some(&cat_pw)), &plan, &steps, &cancel))
        .expect("verify");
    assert!(report.passed(), "{report:#?}");
    assert_eq!(report.schemas.len(), 2);
    let sales_v = report.schemas.iter().find(|v| v.name == "sales").unwrap();
    assert_eq!(sales_v.tables_total, 3, "orders, v_orders, admin_made");
    assert_eq!(sales_v.probe, Some(Ok(())));

    // A table created later by the planned ETL owner is readable (default privileges) …
    s.sql_in(&db, &format!("SET ROLE {etl}; CREATE TABLE sales.later_by_etl (id int);")).unwrap();
    // … one by an owner not in the plan is not, and verify says so.
    s.sql_in(&db, &format!("SET ROLE {outsider}; CREATE TABLE sales.later_by_outsider (id int);"))
        .unwrap();
    let report = rt
        .block_on(provision::verify(target(&cat_p, Some(&cat_pw)), &plan, &steps, &cancel))
        .expect("verify 2");
    assert!(!report.passed());
    let sales_v = report.schemas.iter().find(|v| v.name == "sales").unwrap();
    assert_eq!(sales_v.tables_unreadable, vec!["later_by_outsider".to_string()], "{sales_v:#?}");
    assert_eq!(sales_v.uncovered_owners, vec![outsider.clone()]);
    let fix = report.fix_script.render(false);
    assert!(fix.contains(&format!("FOR USER \"{outsider}\"")), "{fix}");
    // The fix script applies and verify then passes.
    let fix_run = rt
        .block_on(provision::run_script(
            target(&admin_p, Some(&admin_pw)),
            &report.fix_script,
            &steps,
            &|_| {},
            &cancel,
        ))
        .unwrap();
    assert!(fix_run.succeeded(), "{fix_run:?}");
    // Green with the same plan: the default privileges in pg_default_acl now cover the outsider.
    let report = rt
        .block_on(provision::verify(target(&cat_p, Some(&cat_pw)), &plan, &steps, &cancel))
        .unwrap();
    assert!(report.passed(), "{report:#?}");
    let mut plan2 = plan.clone();
    if let Some(g) = plan2.schemas.iter_mut().find(|g| g.name == "sales") {
        g.owners.push(outsider.clone());
    }

    // Re-running setup on an already set-up server succeeds (ALTER USER, group skipped).
    let again = rt
        .block_on(provision::discover(target(&admin_p, Some(&admin_pw)), &steps, &cancel))
        .unwrap();
    let script2 = sql::setup_script(&plan2, &again.discovery.existing_state()).expect("script 2");
    assert!(script2.render(false).contains("ALTER USER"), "existing user is altered, not created");
    let run2 = rt
        .block_on(provision::run_script(
            target(&admin_p, Some(&admin_pw)),
            &script2,
            &steps,
            &|_| {},
            &cancel,
        ))
        .unwrap();
    assert!(run2.succeeded(), "{run2:?}");

    // Teardown leaves no role, no default ACL, no grant.
    let teardown = sql::teardown_script(&plan2).expect("teardown");
    let run3 = rt
        .block_on(provision::run_script(
            target(&admin_p, Some(&admin_pw)),
            &teardown,
            &steps,
            &|_| {},
            &cancel,
        ))
        .unwrap();
    assert!(run3.succeeded(), "{run3:?}");
    let roles = s
        .sql_in(
            &db,
            &format!("SELECT count(*) FROM pg_roles WHERE rolname IN ('{user}', '{group}')"),
        )
        .unwrap();
    assert_eq!(roles, "0");
    let acl = s
        .sql_in(
            &db,
            &format!("SELECT count(*) FROM pg_default_acl WHERE defaclacl::text LIKE '%{group}%' OR defaclacl::text LIKE '%{user}%'"),
        )
        .unwrap();
    assert_eq!(acl, "0");
    let grants = s
        .sql_in(&db, &format!("SELECT count(*) FROM information_schema.role_table_grants WHERE grantee IN ('{user}', '{group}')"))
        .unwrap();
    assert_eq!(grants, "0");
    let nsp = s
        .sql_in(
            &db,
            &format!("SELECT count(*) FROM pg_namespace WHERE nspacl::text LIKE '%{group}%'"),
        )
        .unwrap();
    assert_eq!(nsp, "0");
}

#[test]
fn a_failing_statement_rolls_back_the_whole_setup() {
    let s = pg::server();
    let db = support::unique("rb");
    s.create_database(&db);
    s.sql_in(&db, "CREATE SCHEMA app; CREATE TABLE app.t (id int);").unwrap();
    let rt = support::rt();
    let cancel = CancellationToken::new();
    let steps = no_steps();
    let (admin_p, admin_pw) = admin(&db);
    let found = rt
        .block_on(provision::discover(target(&admin_p, Some(&admin_pw)), &steps, &cancel))
        .unwrap();
    let user = support::unique("rbuser");
    let mut plan = plan_from(&found.discovery, &user, &format!("{user}_ro"), &["app"]);
    // An owner that does not exist makes ALTER DEFAULT PRIVILEGES fail after CREATE USER ran.
    plan.schemas[0].owners.push("no_such_owner".into());
    let script = sql::setup_script(&plan, &found.discovery.existing_state()).unwrap();
    let run = rt
        .block_on(provision::run_script(
            target(&admin_p, Some(&admin_pw)),
            &script,
            &steps,
            &|_| {},
            &cancel,
        ))
        .unwrap();
    let (_, diag) = run.failed.clone().expect("fails");
    assert!(run.rolled_back);
    assert!(diag.server_text.as_deref().unwrap_or("").contains("no_such_owner"), "{diag:?}");
    assert_eq!(
        s.sql_in(&db, &format!("SELECT count(*) FROM pg_roles WHERE rolname = '{user}'")).unwrap(),
        "0",
        "CREATE USER was rolled back"
    );
}

#[test]
fn vendor_original_script_fails_as_documented_and_cleanup_removes_leftovers() {
    use sql::vendor::{StepResult, VendorVariant, expected_outcomes, vendor_original_script};
    let s = pg::server();
    let db = support::unique("vend");
    s.create_database(&db);
    s.sql_in(&db, "CREATE SCHEMA sales; CREATE TABLE sales.t (id int);").unwrap();
    let user = support::unique("metamapper");
    let script = vendor_original_script(&user, "sales").unwrap();
    let expected = expected_outcomes(VendorVariant::AsWritten, Dialect::Postgres, &user);
    let statements: Vec<_> = script.statements().collect();
    assert_eq!(statements.len(), expected.len());
    for (stmt, exp) in statements.iter().zip(&expected) {
        let got = s.sql_in(&db, stmt.sql());
        match &exp.result {
            StepResult::Succeeds => {
                assert!(got.is_ok(), "step {} should succeed: {got:?}", exp.step)
            }
            StepResult::Fails { error_contains } => {
                let err = got.expect_err(&format!("step {} should fail", exp.step));
                if let Some(text) = error_contains {
                    assert!(
                        err.contains(text.as_str()),
                        "step {}: expected {text:?} in {err}",
                        exp.step
                    );
                }
            }
        }
    }
    // What it left: a NOLOGIN role holding grants, a default ACL, pg_catalog grants.
    assert_eq!(
        s.sql_in(&db, &format!("SELECT rolcanlogin FROM pg_roles WHERE rolname = '{user}'"))
            .unwrap(),
        "f"
    );
    let existing = sql::ExistingState { roles: vec![user.clone()], ..Default::default() };
    let cleanup = sql::cleanup_vendor_script(
        Dialect::Postgres,
        &user,
        &[pg::SUPERUSER.to_string()],
        &["sales".to_string()],
        &existing,
    )
    .unwrap();
    let rt = support::rt();
    let (admin_p, admin_pw) = admin(&db);
    let run = rt
        .block_on(provision::run_script(
            target(&admin_p, Some(&admin_pw)),
            &cleanup,
            &no_steps(),
            &|_| {},
            &CancellationToken::new(),
        ))
        .unwrap();
    assert!(run.succeeded(), "{run:?}\n{}", cleanup.render(false));
    assert_eq!(
        s.sql_in(&db, &format!("SELECT count(*) FROM pg_roles WHERE rolname = '{user}'")).unwrap(),
        "0"
    );
    assert_eq!(s.sql_in(&db, "SELECT count(*) FROM pg_default_acl").unwrap(), "0");
}

fn verify_as(plan: &SetupPlan, user: &str, db: &str) -> sql::VerifyReport {
    let cat = profile(user, db);
    let pw = Password::new(plan.password.clone());
    support::rt()
        .block_on(provision::verify(
            target(&cat, Some(&pw)),
            plan,
            &no_steps(),
            &CancellationToken::new(),
        ))
        .expect("verify runs")
}

fn run_as_admin(db: &str, script: &sql::Script) {
    let (admin_p, admin_pw) = admin(db);
    let run = support::rt()
        .block_on(provision::run_script(
            target(&admin_p, Some(&admin_pw)),
            script,
            &no_steps(),
            &|_| {},
            &CancellationToken::new(),
        ))
        .expect("script runs");
    assert!(run.succeeded(), "{run:?}\n{}", script.render(false));
}

fn discover_as_admin(db: &str) -> sql::Discovery {
    let (admin_p, admin_pw) = admin(db);
    support::rt()
        .block_on(provision::discover(
            target(&admin_p, Some(&admin_pw)),
            &no_steps(),
            &CancellationToken::new(),
        ))
        .expect("discovery")
        .discovery
}

/// Issue 16's spoiled batch: four schemas set up, `hr` not (no USAGE). `hr` is the only red row;
/// a–d keep their true counts, and what the catalog tool's own definitions query returns per
/// schema matches the tables and columns created. The fix opens `hr` for good: USAGE, SELECT on
/// what exists and default privileges for its owner, so a table made afterwards is readable too.
#[test]
fn verify_isolates_a_schema_without_usage_and_counts_what_the_tool_sees() {
    let s = pg::server();
    let db = support::unique("spoil");
    let etl = support::unique("etl");
    let user = support::unique("catsp");
    s.create_database(&db);
    s.admin_sql(&format!("CREATE USER {etl} PASSWORD 'Etl-Pass-1';"));
    s.sql_in(
        &db,
        &format!(
            "CREATE SCHEMA a; CREATE SCHEMA b; CREATE SCHEMA c;
             CREATE SCHEMA d AUTHORIZATION {etl}; CREATE SCHEMA hr AUTHORIZATION {etl};
             CREATE TABLE a.t1 (id int, x text);
             CREATE TABLE b.t1 (id int); CREATE TABLE b.t2 (id int); CREATE VIEW b.v AS SELECT id FROM b.t1;
             CREATE TABLE c.t1 (a int, b int, c int); CREATE TABLE c.t2 (a int, b int, c int);
             CREATE TABLE c.t3 (a int, b int, c int);
             SET ROLE {etl};
             CREATE TABLE d.wide (a int, b int, c int, d int);
             CREATE TABLE hr.people (id int, name text);
             RESET ROLE;"
        ),
    )
    .expect("fixture");
    let found = discover_as_admin(&db);
    let group = format!("{user}_ro");
    let four = plan_from(&found, &user, &group, &["a", "b", "c", "d"]);
    run_as_admin(&db, &sql::setup_script(&four, &found.existing_state()).expect("setup"));

    let five = plan_from(&found, &user, &group, &["a", "b", "c", "d", "hr"]);
    let report = verify_as(&five, &user, &db);
    assert!(!report.passed());
    assert!(report.query_errors.is_empty(), "{:?}", report.query_errors);
    let by_name = |r: &sql::VerifyReport, n: &str| {
        r.schemas.iter().find(|v| v.name == n).cloned().expect("schema reported")
    };
    for (name, tables, columns) in [("a", 1, 2), ("b", 3, 3), ("c", 3, 9), ("d", 1, 4)] {
        let v = by_name(&report, name);
        assert_eq!(v.verdict, sql::Verdict::Pass, "{v:#?}");
        assert_eq!(v.tables_total, tables, "{name}: true count");
        let seen = v.catalog_view.expect("the tool's query ran");
        assert_eq!((seen.tables, seen.columns, seen.unresolved), (tables, columns, 0), "{name}");
        assert!(v.forecast.iter().any(|f| f.outcome == sql::forecast::Outcome::Yes), "{v:#?}");
    }
    let hr = by_name(&report, "hr");
    assert!(!hr.usage);
    assert!(
        matches!(&hr.verdict, sql::Verdict::Fail(g) if g.contains(&sql::verify::Gap::NoUsage)),
        "{hr:#?}"
    );
    assert_eq!(hr.tables_unreadable, vec!["people".to_string()]);
    assert_eq!(hr.uncovered_owners, vec![etl.clone()]);
    assert_eq!(hr.catalog_view.map(|c| c.tables), Some(0), "the tool sees nothing in hr yet");
    let fix = report.fix_script.render(false);
    for needle in [
        format!("GRANT USAGE ON SCHEMA \"hr\" TO GROUP \"{group}\";"),
        format!("GRANT SELECT ON ALL TABLES IN SCHEMA \"hr\" TO GROUP \"{group}\";"),
        format!(
            "ALTER DEFAULT PRIVILEGES FOR USER \"{etl}\" IN SCHEMA \"hr\" GRANT SELECT ON TABLES TO GROUP \"{group}\";"
        ),
    ] {
        assert!(fix.contains(&needle), "{needle}\n{fix}");
    }
    for other in ["\"a\"", "\"b\"", "\"c\"", "\"d\""] {
        assert!(!fix.contains(&format!("SCHEMA {other}")), "nothing to fix in {other}: {fix}");
    }

    run_as_admin(&db, &report.fix_script);
    let report = verify_as(&five, &user, &db);
    assert!(report.passed(), "{report:#?}");
    let hr = by_name(&report, "hr");
    assert_eq!(hr.catalog_view.map(|c| (c.tables, c.columns)), Some((1, 2)));
    s.sql_in(&db, &format!("SET ROLE {etl}; CREATE TABLE hr.hired_later (id int);")).unwrap();
    let report = verify_as(&five, &user, &db);
    assert!(report.passed(), "{report:#?}");
    assert_eq!(by_name(&report, "hr").tables_total, 2);
}

/// A table made later by an owner the plan never named, in schemas whose names need quotes: the
/// fix SQL carries that owner's default privileges, verify is green afterwards with the same plan,
/// and the owner's next table is readable. The catalog tool's PostgreSQL query itself fails on
/// such names (`'Sales EU'::regnamespace`), and verify says so instead of counting.
#[test]
fn verify_fix_covers_an_unplanned_owner_in_schemas_needing_quotes() {
    let s = pg::server();
    let db = support::unique("quote");
    let etl = support::unique("etl");
    let outsider = support::unique("out");
    let user = support::unique("catq");
    s.create_database(&db);
    s.admin_sql(&format!(
        "CREATE USER {etl} PASSWORD 'Etl-Pass-1'; CREATE USER {outsider} PASSWORD 'Out-Pass-1';"
    ));
    s.sql_in(
        &db,
        &format!(
            "CREATE SCHEMA \"Sales EU\" AUTHORIZATION {etl}; CREATE SCHEMA \"we\"\"ird\";
             GRANT CREATE, USAGE ON SCHEMA \"Sales EU\" TO {outsider};
             SET ROLE {etl}; CREATE TABLE \"Sales EU\".\"Orders 2024\" (id int); RESET ROLE;
             CREATE TABLE \"we\"\"ird\".\"t\"\"1\" (id int);"
        ),
    )
    .expect("fixture");
    let found = discover_as_admin(&db);
    let group = format!("{user}_ro");
    let plan = plan_from(&found, &user, &group, &["Sales EU", "we\"ird"]);
    run_as_admin(&db, &sql::setup_script(&plan, &found.existing_state()).expect("setup"));
    let report = verify_as(&plan, &user, &db);
    assert!(report.passed(), "{report:#?}");
    let err = report.catalog_view_error.clone().expect("the tool's query fails on these names");
    assert!(err.contains("invalid name syntax"), "{err}");
    assert!(report.schemas.iter().all(|v| v.catalog_view.is_none()));

    s.sql_in(
        &db,
        &format!(
            "SET ROLE {outsider}; CREATE TABLE \"Sales EU\".\"Q3 \"\"Top\"\" Deals\" (id int);"
        ),
    )
    .unwrap();
    let report = verify_as(&plan, &user, &db);
    assert!(!report.passed());
    let eu = &report.schemas[0];
    assert_eq!(eu.tables_unreadable, vec!["Q3 \"Top\" Deals".to_string()]);
    assert_eq!(eu.unreadable[0].owner, outsider);
    assert_eq!(eu.uncovered_owners, vec![outsider.clone()]);
    let f = eu.forecast.iter().find(|f| f.creator == outsider).expect("outsider forecast");
    assert_eq!(f.outcome, sql::forecast::Outcome::No, "{f:?}");
    assert_eq!(report.schemas[1].verdict, sql::Verdict::Pass, "the other schema keeps its verdict");
    let fix = report.fix_script.render(false);
    assert!(
        fix.contains(&format!(
            "ALTER DEFAULT PRIVILEGES FOR USER \"{outsider}\" IN SCHEMA \"Sales EU\" GRANT SELECT ON TABLES TO GROUP \"{group}\";"
        )),
        "{fix}"
    );

    run_as_admin(&db, &report.fix_script);
    let report = verify_as(&plan, &user, &db);
    assert!(report.passed(), "{report:#?}");
    let f = report.schemas[0].forecast.iter().find(|f| f.creator == outsider).unwrap();
    assert_eq!(f.outcome, sql::forecast::Outcome::Yes, "{f:?}");
    s.sql_in(
        &db,
        &format!("SET ROLE {outsider}; CREATE TABLE \"Sales EU\".\"after fix\" (id int);"),
    )
    .unwrap();
    assert_eq!(
        s.sql_in(
            &db,
            &format!(
                "SELECT has_table_privilege('{user}', '\"Sales EU\".\"after fix\"', 'SELECT')"
            )
        )
        .unwrap(),
        "t"
    );
    let report = verify_as(&plan, &user, &db);
    assert!(report.passed(), "{report:#?}");
    assert_eq!(report.schemas[0].tables_total, 3);
}

/// Verify's datashare read on the real server, as far as PostgreSQL allows: a consumer reads a
/// shared table by its three-part name `"db"."schema"."table"`, and PostgreSQL accepts exactly
/// that for its own database (a cross-database one it can't). The probe verify builds from the
/// shared-table listing fails with 42501 until SELECT is granted, then reads; the verdict and the
/// fix follow the server's answer. Names needing quotes throughout.
#[test]
fn verify_reads_a_shared_table_by_its_three_part_name() {
    let s = pg::server();
    let db = format!("Partner Share {}", support::unique("ds"));
    let user = support::unique("ds_reader");
    s.create_database(&db);
    s.create_user(&user, "Reader-Pass-42", false);
    s.sql_in(
        &db,
        &format!(
            "CREATE SCHEMA \"Shared \"\"Q\"\"\"; CREATE TABLE \"Shared \"\"Q\"\"\".\"Orders\" (id int);
             GRANT USAGE ON SCHEMA \"Shared \"\"Q\"\"\" TO \"{user}\";"
        ),
    )
    .expect("fixture");
    // What the Redshift catalog would answer as this user: the database and its shared table.
    let plan = SetupPlan {
        dialect: Dialect::Redshift,
        user: user.clone(),
        password: "Reader-Pass-42".into(),
        access: Access::Group { name: format!("{user}_ro") },
        schemas: vec![],
        datashare_databases: vec![db.clone()],
        ..Default::default()
    };
    let row = |cells: &[&str]| cells.iter().map(|c| Some(c.to_string())).collect::<Vec<_>>();
    let mut listed = sql::QueryResults::new();
    listed.insert(sql::QueryId::VisibleDatashares, Ok(vec![row(&[&db])]));
    listed.insert(sql::QueryId::DatashareTables, Ok(vec![row(&[&db, "Shared \"Q\"", "Orders"])]));
    let probes = sql::verify::datashare_probe_queries(&plan, &listed).expect("probe");
    assert_eq!(probes.len(), 1);
    let cat = profile(&user, &db);
    let pw = Password::new(plan.password.clone());
    let read = |results: &mut sql::QueryResults| {
        let t = target(&cat, Some(&pw));
        support::rt().block_on(async {
            let session = shiftgate::net::connect::open_session(
                t.profile,
                t.credentials,
                t.tunnel,
                &|_| {},
                &CancellationToken::new(),
            )
            .await
            .unwrap_or_else(|r| panic!("connects: {:?}", r.diagnosis));
            provision::run_probes_batched(&session, &probes, results, &CancellationToken::new())
                .await
                .expect("runs")
        })
    };
    let verdict = |results: &sql::QueryResults| {
        let report = sql::verify::evaluate(&plan, results).expect("evaluates");
        (report.datashares[0].clone(), report.fix_script.render(false))
    };

    let mut before = listed.clone();
    read(&mut before);
    let (v, fix) = verdict(&before);
    assert_eq!((v.visible, v.readable), (true, Some(false)), "{v:?}");
    assert!(v.error.as_deref().is_some_and(|e| e.starts_with("42501")), "{v:?}");
    let grant =
        format!("GRANT SELECT ON \"{db}\".\"Shared \"\"Q\"\"\".\"Orders\" TO GROUP \"{user}_ro\";");
    assert!(fix.contains(&grant), "{fix}");

    s.sql_in(&db, &format!("GRANT SELECT ON \"Shared \"\"Q\"\"\".\"Orders\" TO \"{user}\";"))
        .expect("grant");
    let mut after = listed.clone();
    read(&mut after);
    let (v, fix) = verdict(&after);
    assert_eq!((v.readable, v.error.as_deref()), (Some(true), None), "{v:?}");
    assert_eq!(
        v.probed.as_deref(),
        Some(format!("\"{db}\".\"Shared \"\"Q\"\"\".\"Orders\"").as_str())
    );
    assert!(!fix.contains("Orders"), "{fix}");
}
