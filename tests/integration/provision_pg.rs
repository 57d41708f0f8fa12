//! Full catalog-user cycle on the real PostgreSQL 15: discover → setup → verify as the new user →
//! later tables by a planned / unplanned owner → re-run setup → teardown leaves nothing; and the
//! vendor's original script failing the way redshift.md §1.7 says, then cleaned up.

use crate::support::{self, pg, target};
use shiftgate::net::connect::Password;
use shiftgate::profile::{Engine, Profile, SslMode};
use shiftgate::sql::{self, Access, Dialect, SetupPlan};
use shiftgate::tasks::provision::{self, StatementProgress};
use std::sync::Mutex;
use tokio_util::sync::CancellationToken;

fn profile(user: &str, db: &str) -> Profile {
    let s = pg::server();
    let mut p = Profile::new(Engine::Postgres);
    p.host = "localhost".into();
    p.port = s.port;
    p.user = user.into();
    p.database = db.into();
    p.sslmode = SslMode::VerifyFull;
    p.ca_file = Some(s.ca_file.clone());
    p
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
    let mut plan2 = plan.clone();
    if let Some(g) = plan2.schemas.iter_mut().find(|g| g.name == "sales") {
        g.owners.push(outsider.clone());
    }
    let report = rt
        .block_on(provision::verify(target(&cat_p, Some(&cat_pw)), &plan2, &steps, &cancel))
        .unwrap();
    assert!(report.passed(), "{report:#?}");

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
