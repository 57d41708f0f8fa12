//! Setup records and live teardown on the real PostgreSQL 15 (issue 20): a reused group and a
//! reused user survive teardown with their earlier grants; teardown twice says "nothing left"; a
//! later owner's default privileges are removed; two databases (revokes in each, then the drops);
//! a `"Sales EU"` schema; a superuser refused; an owner without CREATE skipped; the vendor's script
//! followed by cleanup leaves nothing; each script-failure SQLSTATE gets its own diagnosis.

use crate::support::{self, pg, target};
use shiftgate::diagnose::Cause;
use shiftgate::net::connect::Password;
use shiftgate::profile::Profile;
use shiftgate::sql::{self, Access, Dialect, Script, SetupOptions, SetupPlan, TeardownOptions};
use shiftgate::tasks::provision::{self, DiscoveryOutcome, ScriptRun};
use tokio_util::sync::CancellationToken;

fn profile(user: &str, db: &str) -> Profile {
    pg::profile(user, db)
}

fn admin_pw() -> Password {
    Password::new(pg::SUPERUSER_PASSWORD.into())
}

pub(crate) fn discover(db: &str) -> DiscoveryOutcome {
    let p = profile(pg::SUPERUSER, db);
    let pw = admin_pw();
    support::rt()
        .block_on(provision::discover(target(&p, Some(&pw)), &|_| {}, &CancellationToken::new()))
        .expect("discovery")
}

fn run_as(user: &str, password: &str, db: &str, script: &Script) -> ScriptRun {
    let p = profile(user, db);
    let pw = Password::new(password.into());
    support::rt()
        .block_on(provision::run_script(
            target(&p, Some(&pw)),
            script,
            &|_| {},
            &|_| {},
            &CancellationToken::new(),
        ))
        .expect("script task")
}

fn run(db: &str, script: &Script) -> ScriptRun {
    run_as(pg::SUPERUSER, pg::SUPERUSER_PASSWORD, db, script)
}

pub(crate) fn plan(
    found: &DiscoveryOutcome,
    user: &str,
    group: &str,
    schemas: &[&str],
) -> SetupPlan {
    SetupPlan {
        dialect: Dialect::Postgres,
        user: user.into(),
        password: "Catalog-Pass-42".into(),
        access: Access::Group { name: group.into() },
        schemas: found.discovery.schema_grants(schemas).expect("schemas exist"),
        datashare_databases: vec![],
        connection_limit: None,
        grant_svv_table_info: false,
    }
}

/// Setup as the GUI and CLI do it: script from discovery, run, then the record.
pub(crate) fn setup(db: &str, plan: &SetupPlan, options: SetupOptions) -> sql::AppliedPlan {
    let found = discover(db);
    let existing = found.discovery.existing_state();
    let script = sql::setup_script_with(plan, &existing, options).expect("setup script");
    let r = run(db, &script);
    assert!(r.succeeded(), "{r:?}\n{}", script.render(false));
    provision::applied_record(plan, db, &existing, options)
}

fn teardown(
    db: &str,
    plan: &SetupPlan,
    applied: Option<&sql::AppliedPlan>,
    options: TeardownOptions,
) -> sql::TeardownPlan {
    let live = discover(db).discovery.existing_state();
    let decision = sql::teardown_decide(plan, applied, &live, options);
    sql::teardown_live(plan, applied, &live, &decision).expect("teardown")
}

pub(crate) fn q(db: &str, sql: &str) -> String {
    pg::server().sql_in(db, sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn reused_group_and_user_survive_teardown_with_their_earlier_grants_and_twice_is_nothing_left() {
    let s = pg::server();
    let db = support::unique("reuse");
    s.create_database(&db);
    let group = support::unique("analysts");
    let alice = support::unique("alice");
    let user = support::unique("catreuse");
    s.admin_sql(&format!(
        "CREATE GROUP {group}; CREATE USER {alice} PASSWORD 'Alice-Pass-1' IN GROUP {group};
         CREATE USER {user} PASSWORD 'Old-Pass-1' CREATEDB;"
    ));
    s.sql_in(
        &db,
        &format!(
            "CREATE SCHEMA sales; CREATE TABLE sales.customers (id int); CREATE TABLE sales.orders (id int);
             GRANT USAGE ON SCHEMA sales TO GROUP {group}; GRANT SELECT ON sales.customers TO GROUP {group};"
        ),
    )
    .unwrap();
    let found = discover(&db);
    let p = plan(&found, &user, &group, &["sales"]);
    let script = sql::setup_script(&p, &found.discovery.existing_state()).unwrap();
    let text = script.render(false);
    assert!(text.contains(&format!("ALTER USER \"{user}\" NOCREATEDB")), "{text}");
    let applied = setup(&db, &p, SetupOptions::default());
    let f = applied.found.as_ref().expect("recorded");
    assert!(f.user_existed && f.access_existed && !f.user_was_member);
    assert_eq!(q(&db, &format!("SELECT rolcreatedb FROM pg_roles WHERE rolname = '{user}'")), "f");
    assert_eq!(
        q(&db, &format!("SELECT has_table_privilege('{user}', 'sales.orders', 'SELECT')")),
        "t"
    );

    let td = teardown(&db, &p, Some(&applied), TeardownOptions::default());
    let text = td.combined().render(false);
    let drops = |s: &sql::Statement| {
        matches!(s.kind(), sql::StatementKind::DropAccess | sql::StatementKind::DropUser)
    };
    assert!(!td.combined().statements().any(drops), "reused: never dropped: {text}");
    let r = run(&db, &td.combined());
    assert!(r.succeeded(), "{r:?}\n{text}");
    // The group keeps its member, its USAGE and its earlier SELECT; setup's SELECT is gone.
    assert_eq!(
        q(&db, &format!("SELECT count(*) FROM pg_roles WHERE rolname IN ('{group}', '{user}')")),
        "2"
    );
    assert_eq!(q(&db, &format!("SELECT pg_has_role('{alice}', '{group}', 'MEMBER')")), "t");
    assert_eq!(q(&db, &format!("SELECT pg_has_role('{user}', '{group}', 'MEMBER')")), "f");
    assert_eq!(q(&db, &format!("SELECT has_schema_privilege('{group}', 'sales', 'USAGE')")), "t");
    assert_eq!(
        q(&db, &format!("SELECT has_table_privilege('{group}', 'sales.customers', 'SELECT')")),
        "t"
    );
    assert_eq!(
        q(&db, &format!("SELECT has_table_privilege('{group}', 'sales.orders', 'SELECT')")),
        "f"
    );
    assert_eq!(
        q(
            &db,
            &format!("SELECT count(*) FROM pg_default_acl WHERE defaclacl::text LIKE '%{group}%'")
        ),
        "0"
    );

    // A second run: nothing left.
    let again = teardown(&db, &p, Some(&applied), TeardownOptions::default());
    assert!(again.nothing_left(), "{}", again.combined().render(false));
}

#[test]
fn two_databases_a_sales_eu_schema_and_a_later_owner_are_all_torn_down() {
    let s = pg::server();
    let (db1, db2) = (support::unique("two_a"), support::unique("two_b"));
    s.create_database(&db1);
    s.create_database(&db2);
    let etl = support::unique("etl");
    let later = support::unique("later");
    let user = support::unique("cattwo");
    let group = format!("{user}_ro");
    s.admin_sql(&format!(
        "CREATE USER {etl} PASSWORD 'Etl-Pass-1'; CREATE USER {later} PASSWORD 'Later-Pass-1';"
    ));
    for db in [&db1, &db2] {
        s.sql_in(
            db,
            &format!(
                "CREATE SCHEMA \"Sales EU\" AUTHORIZATION {etl};
                 GRANT CREATE, USAGE ON SCHEMA \"Sales EU\" TO {later};
                 SET ROLE {etl}; CREATE TABLE \"Sales EU\".\"Orders\" (id int); RESET ROLE;"
            ),
        )
        .unwrap();
    }
    let found1 = discover(&db1);
    let p = plan(&found1, &user, &group, &["Sales EU"]);
    let applied1 =
        setup(&db1, &p, SetupOptions { revoke_public_create: true, ..SetupOptions::default() });
    let applied2 = setup(&db2, &p, SetupOptions::default());
    assert!(applied2.found.as_ref().is_some_and(|f| f.user_existed && f.access_existed));
    // A later owner's default privileges, added after setup (e.g. by a verify fix).
    s.sql_in(
        &db2,
        &format!(
            "ALTER DEFAULT PRIVILEGES FOR USER {later} IN SCHEMA \"Sales EU\" GRANT SELECT ON TABLES TO GROUP {group};"
        ),
    )
    .unwrap();

    // Decided in the database setup first ran in, applied to both.
    let live1 = discover(&db1).discovery.existing_state();
    let decision = sql::teardown_decide(&p, Some(&applied1), &live1, TeardownOptions::default());
    assert!(decision.drop_user && decision.drop_access, "{decision:?}");
    let live2 = discover(&db2).discovery.existing_state();
    let td2 = sql::teardown_live(&p, Some(&applied2), &live2, &decision).unwrap();
    let text2 = td2.revoke.render(false);
    assert!(text2.contains(&format!("FOR USER \"{later}\" IN SCHEMA \"Sales EU\"")), "{text2}");
    let td1 = sql::teardown_live(&p, Some(&applied1), &live1, &decision).unwrap();

    // Drops before db2's revokes: refused with 2BP01, diagnosed as such, rolled back.
    let early = run(&db1, &td1.combined());
    let (_, diag) = early.failed.clone().expect("the drop fails while db2 still grants");
    assert_eq!(diag.cause, Cause::DependentObjects, "{diag:?}");
    assert!(early.rolled_back);
    assert!(!diag.summary.contains("connection failed"), "{diag:?}");

    // In order: revokes in db2, then db1's revokes and the drops.
    let r2 = run(&db2, &td2.revoke);
    assert!(r2.succeeded(), "{r2:?}\n{text2}");
    let r1 = run(&db1, &td1.combined());
    assert!(r1.succeeded(), "{r1:?}\n{}", td1.combined().render(false));
    assert_eq!(
        q(&db1, &format!("SELECT count(*) FROM pg_roles WHERE rolname IN ('{user}', '{group}')")),
        "0"
    );
    for db in [&db1, &db2] {
        assert_eq!(q(db, "SELECT count(*) FROM pg_default_acl"), "0", "{db}");
    }
}

#[test]
fn a_superuser_is_refused_and_an_owner_without_create_is_skipped() {
    let s = pg::server();
    let db = support::unique("ro");
    s.create_database(&db);
    let boss = support::unique("boss");
    let intern = support::unique("intern");
    s.admin_sql(&format!(
        "CREATE USER {boss} SUPERUSER PASSWORD 'Boss-Pass-1'; CREATE USER {intern} PASSWORD 'Intern-Pass-1';"
    ));
    s.sql_in(
        &db,
        &format!(
            "CREATE SCHEMA app; GRANT CREATE, USAGE ON SCHEMA app TO {intern};
             SET ROLE {intern}; CREATE TABLE app.scratch (id int); RESET ROLE;
             REVOKE CREATE ON SCHEMA app FROM {intern};"
        ),
    )
    .unwrap();
    let found = discover(&db);
    let existing = found.discovery.existing_state();
    let p = plan(&found, &boss, &format!("{boss}_ro"), &["app"]);
    let errors = p.validate(&existing);
    assert!(
        errors
            .iter()
            .any(|e| matches!(e, sql::PlanError::PrivilegedUser { name, .. } if name == &boss)),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.to_string().contains("superuser")), "{errors:?}");

    assert_eq!(
        existing.skip_reason("app", &intern),
        Some(sql::SkipReason::NoCreate),
        "{:?}",
        found.discovery.skipped_owners
    );
    let user = support::unique("catro");
    let p = plan(&found, &user, &format!("{user}_ro"), &["app"]);
    assert!(p.schemas[0].owners.contains(&intern));
    let script = sql::setup_script(&p, &existing).unwrap();
    let text = script.render(false);
    assert!(
        !script.statements().any(|s| s.sql().contains(&format!("FOR USER \"{intern}\""))),
        "{text}"
    );
    assert!(text.contains(&format!("skipped: \"{intern}\" lacks CREATE")), "{text}");
    assert!(run(&db, &script).succeeded());
    let td = teardown(&db, &p, None, TeardownOptions::default());
    assert!(run(&db, &td.combined()).succeeded(), "{}", td.combined().render(false));
}

#[test]
fn vendor_script_with_the_password_fixed_then_cleanup_leaves_nothing() {
    use sql::vendor::{VendorVariant, vendor_script};
    let s = pg::server();
    let db = support::unique("vendfix");
    s.create_database(&db);
    s.sql_in(&db, "CREATE SCHEMA sales; CREATE TABLE sales.t (id int); CREATE SCHEMA hr;").unwrap();
    let user = support::unique("mmfixed");
    let script =
        vendor_script(VendorVariant::PasswordFixed, &user, "sales", "Vendor-Pass-1").unwrap();
    for st in script.statements() {
        let _ = s.sql_in(&db, st.sql());
    }
    // The unscoped default privilege hands the admin's later tables, in any schema, to the user.
    s.sql_in(&db, "CREATE TABLE hr.people (id int); CREATE TABLE sales.later (id int);").unwrap();
    assert_eq!(
        q(&db, &format!("SELECT has_table_privilege('{user}', 'hr.people', 'SELECT')")),
        "t"
    );
    let found = discover(&db);
    let cleanup = sql::cleanup_vendor_script(
        Dialect::Postgres,
        &user,
        &[pg::SUPERUSER.to_string()],
        &["sales".to_string()],
        &found.discovery.existing_state(),
    )
    .unwrap();
    let r = run(&db, &cleanup);
    assert!(r.succeeded(), "{r:?}\n{}", cleanup.render(false));
    let left = q(
        &db,
        &format!(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('sales', 'hr') AND c.relkind = 'r'
             AND has_table_privilege('{user}', c.oid, 'SELECT')"
        ),
    );
    assert_eq!(left, "0", "{}", cleanup.render(false));
    assert_eq!(q(&db, "SELECT count(*) FROM pg_default_acl"), "0");
    // Nothing left: the user can now be dropped.
    s.sql_in(&db, &format!("DROP USER \"{user}\"")).expect("drop succeeds after cleanup");
}

#[test]
fn script_failures_are_diagnosed_by_sqlstate() {
    let s = pg::server();
    let db = support::unique("diag");
    s.create_database(&db);
    s.sql_in(&db, "CREATE SCHEMA sales; CREATE SCHEMA other;").unwrap();
    let found = discover(&db);
    let mk = |user: &str, group: &str, schemas: &[&str]| SetupPlan {
        dialect: Dialect::Postgres,
        user: user.into(),
        access: Access::Group { name: group.into() },
        schemas: schemas
            .iter()
            .map(|n| sql::SchemaGrant { name: (*n).into(), ..Default::default() })
            .collect(),
        ..SetupPlan::default()
    };
    let fails = |db: &str, script: &Script| {
        let r = run(db, script);
        r.failed.map(|(_, d)| d).unwrap_or_else(|| panic!("should fail: {}", script.render(false)))
    };

    // 42704: a group that does not exist.
    let d = fails(&db, &sql::teardown_script(&mk("nobody_u", "nobody_g", &[])).unwrap());
    assert_eq!(d.cause, Cause::ObjectMissing, "{d:?}");
    assert!(d.summary.contains("does not exist"), "{d:?}");

    // 3F000: a schema that does not exist.
    let g = support::unique("dg");
    s.admin_sql(&format!("CREATE GROUP {g};"));
    let d = fails(&db, &sql::teardown_script(&mk("nobody_u", &g, &["no_such_schema"])).unwrap());
    assert_eq!(d.cause, Cause::SchemaMissing, "{d:?}");

    // 2BP01: the plan-only script misses a grant outside the plan; the catalog names it.
    let member = support::unique("dmember");
    s.admin_sql(&format!("CREATE USER {member} IN GROUP {g};"));
    s.sql_in(&db, &format!("GRANT USAGE ON SCHEMA other TO GROUP {g};")).unwrap();
    let d = fails(&db, &sql::teardown_script(&mk(&member, &g, &["sales"])).unwrap());
    assert_eq!(d.cause, Cause::DependentObjects, "{d:?}");
    assert!(d.summary.contains("USAGE on schema \"other\""), "dependents named: {d:?}");

    // 55006: the session's own user can't be dropped (object in use).
    let x = support::unique("dx");
    s.admin_sql(&format!("CREATE GROUP {x};"));
    let d = fails(&db, &sql::teardown_script(&mk(pg::SUPERUSER, &x, &[])).unwrap());
    assert_eq!(d.cause, Cause::StillInUse, "{d:?}");

    // 42501: setup run by a user that may not create users.
    let plain = support::unique("plain");
    s.create_user(&plain, "Plain-Pass-1", false);
    let user = support::unique("cat42501");
    let p = plan(&found, &user, &format!("{user}_ro"), &["sales"]);
    let script = sql::setup_script(&p, &found.discovery.existing_state()).unwrap();
    let r = run_as(&plain, "Plain-Pass-1", &db, &script);
    let (_, d) = r.failed.expect("42501");
    assert_eq!(d.cause, Cause::PermissionDenied, "{d:?}");
    assert!(d.hint.contains("superuser"), "{d:?}");
}
