//! Batched script runs (each transaction segment in one message) still report like a statement-by-
//! statement run: one Running then one final event per statement, in order; the first failure is
//! named by its index with the server's SQLSTATE and words; the segment it stopped in is rolled
//! back (checked in the catalog) while earlier segments stay committed.

use crate::support::{self, pg, target};
use shiftgate::diagnose::Cause;
use shiftgate::net::connect::Password;
use shiftgate::profile::{Engine, Profile, SslMode};
use shiftgate::report::StepStatus;
use shiftgate::sql::{self, Access, Dialect, SchemaGrant, SchemaKind, SetupPlan, StatementKind};
use shiftgate::tasks::provision::{self, ScriptRun, StatementProgress};
use std::sync::Mutex;
use tokio_util::sync::CancellationToken;

fn nothing(_: shiftgate::report::Step) {}

fn pg_profile(user: &str, db: &str) -> Profile {
    pg::profile(user, db)
}

fn local(name: &str, owners: &[&str]) -> SchemaGrant {
    SchemaGrant {
        name: name.into(),
        kind: SchemaKind::Local,
        owners: owners.iter().map(|o| o.to_string()).collect(),
    }
}

fn pg_plan(user: &str, schemas: Vec<SchemaGrant>) -> SetupPlan {
    SetupPlan {
        dialect: Dialect::Postgres,
        user: user.into(),
        password: "Batch-Pass-42".into(),
        access: Access::Group { name: format!("{user}_ro") },
        schemas,
        datashare_databases: vec![],
        connection_limit: None,
        grant_svv_table_info: false,
    }
}

/// Run `script` as `profile`, collecting every progress event.
fn run_collecting(
    profile: &Profile,
    password: &str,
    script: &sql::Script,
) -> (ScriptRun, Vec<StatementProgress>) {
    let events = Mutex::new(Vec::new());
    let pw = Password::new(password.into());
    let run = support::rt()
        .block_on(provision::run_script(
            target(profile, Some(&pw)),
            script,
            &nothing,
            &|p| events.lock().unwrap().push(p),
            &CancellationToken::new(),
        ))
        .expect("connects");
    (run, events.into_inner().unwrap())
}

/// The (index, status) sequence a run that stops at `stop` with `last` must report: Running then
/// Ok for every statement before it, then Running and `last` for it.
fn expected_sequence(stop: usize, last: StepStatus) -> Vec<(usize, StepStatus)> {
    let mut v = Vec::new();
    for i in 0..stop {
        v.push((i, StepStatus::Running));
        v.push((i, StepStatus::Ok));
    }
    v.push((stop, StepStatus::Running));
    v.push((stop, last));
    v
}

fn sequence(events: &[StatementProgress]) -> Vec<(usize, StepStatus)> {
    events.iter().map(|e| (e.index, e.status)).collect()
}

#[test]
fn every_statement_reports_in_order_once() {
    let s = pg::server();
    let db = support::unique("bok");
    s.create_database(&db);
    s.sql_in(&db, "CREATE SCHEMA a; CREATE TABLE a.t (id int); CREATE SCHEMA b;").unwrap();
    let user = support::unique("bokuser");
    let plan = pg_plan(&user, vec![local("a", &[pg::SUPERUSER]), local("b", &[pg::SUPERUSER])]);
    let script = sql::setup_script(&plan, &sql::ExistingState::default()).unwrap();
    let total = script.statements().count();
    let admin = pg_profile(pg::SUPERUSER, &db);
    let (run, events) = run_collecting(&admin, pg::SUPERUSER_PASSWORD, &script);

    assert!(run.succeeded(), "{run:?}");
    assert_eq!(run.executed, total);
    assert_eq!(sequence(&events), expected_sequence(total - 1, StepStatus::Ok));
    let shown: Vec<&str> = events
        .iter()
        .filter(|e| e.status == StepStatus::Ok)
        .map(|e| e.shown_sql.as_str())
        .collect();
    let masked: Vec<&str> = script.statements().map(|s| s.masked_sql()).collect();
    assert_eq!(shown, masked, "each event shows its own statement, password masked");
    assert!(events.iter().all(|e| e.total == total));
    // Deltas between consecutive completions add up to no more than the run's wall time.
    let sum: u64 = events.iter().filter(|e| e.status == StepStatus::Ok).map(|e| e.elapsed_ms).sum();
    assert!(sum <= run.elapsed_ms, "{sum} ms of statements in a {} ms run", run.elapsed_ms);
    assert_eq!(
        s.sql_in(&db, &format!("SELECT has_schema_privilege('{user}', 'b', 'USAGE')")).unwrap(),
        "t"
    );
}

/// A CREATEROLE admin (not a superuser) may create the user and group and grant on its own
/// schema, but not change default privileges for a role it is not a member of: the run stops there
/// with 42501, and everything the segment did before is undone.
#[test]
fn a_failure_mid_batch_is_named_and_its_segment_rolled_back() {
    let s = pg::server();
    let db = support::unique("bfail");
    s.create_database(&db);
    let admin_user = support::unique("badmin");
    let etl = support::unique("betl");
    s.create_user(&admin_user, "Admin-Pass-42", false);
    s.admin_sql(&format!("ALTER USER \"{admin_user}\" CREATEROLE; CREATE ROLE \"{etl}\";"));
    s.sql_in(
        &db,
        &format!(
            "CREATE SCHEMA app AUTHORIZATION \"{admin_user}\"; CREATE SCHEMA later AUTHORIZATION \"{admin_user}\";
             SET ROLE \"{admin_user}\"; CREATE TABLE app.t (id int); RESET ROLE;"
        ),
    )
    .unwrap();
    let user = support::unique("bfuser");
    let group = format!("{user}_ro");
    let plan =
        pg_plan(&user, vec![local("app", &[&admin_user, &etl]), local("later", &[&admin_user])]);
    let script = sql::setup_script(&plan, &sql::ExistingState::default()).unwrap();
    let statements: Vec<&sql::Statement> = script.statements().collect();
    let stop = statements
        .iter()
        .position(|st| st.kind() == StatementKind::GrantDefault && st.sql().contains(&etl))
        .expect("default privileges for the ETL role");
    assert!(stop > 2 && stop + 1 < statements.len(), "the failure is mid-script: {stop}");

    let admin = pg_profile(&admin_user, &db);
    let (run, events) = run_collecting(&admin, "Admin-Pass-42", &script);

    let (index, diagnosis) = run.failed.clone().expect("the run fails");
    assert_eq!(index, stop);
    assert_eq!(diagnosis.cause, Cause::PermissionDenied, "{diagnosis:?}");
    assert!(
        diagnosis
            .server_text
            .as_deref()
            .unwrap_or("")
            .contains(&format!("member of role \"{etl}\"")),
        "{diagnosis:?}"
    );
    assert!(run.rolled_back);
    assert_eq!(run.executed, 0, "nothing of the rolled-back segment counts as executed");
    assert!(!run.succeeded());
    assert_eq!(sequence(&events), expected_sequence(stop, StepStatus::Failed));
    let failed = events.last().expect("events");
    assert!(failed.error.as_deref().unwrap_or("").starts_with("42501:"), "{failed:?}");
    assert_eq!(failed.shown_sql, statements[stop].masked_sql());

    // The catalog shows nothing of the segment: no user, no group, no grant on the schemas.
    let count = |sql: &str| s.sql_in(&db, sql).unwrap();
    assert_eq!(
        count(&format!("SELECT count(*) FROM pg_roles WHERE rolname IN ('{user}', '{group}')")),
        "0"
    );
    assert_eq!(
        count(&format!(
            "SELECT count(*) FROM pg_namespace WHERE coalesce(nspacl::text, '') LIKE '%{group}%'"
        )),
        "0"
    );
    assert_eq!(count("SELECT count(*) FROM pg_default_acl"), "0");
}

/// Cancel while the server waits inside a batch: another session holds an uncommitted role of
/// the same name, so `CREATE ROLE` blocks. The cancel reaches the server, that statement reports
/// Cancelled, and the segment (the user created just before it) is rolled back.
#[test]
fn cancel_inside_a_batch_stops_there_and_rolls_back() {
    let s = pg::server();
    let db = support::unique("bcan");
    s.create_database(&db);
    s.sql_in(&db, "CREATE SCHEMA app;").unwrap();
    let user = support::unique("bcanuser");
    let group = format!("{user}_ro");
    // The holder: an open transaction that created the group's name, kept open by a sleep.
    let mut holder = std::process::Command::new(s.bin.join("psql"))
        .args(["-X", "-q", "-h"])
        .arg(&s.socket_dir)
        .args(["-p", &s.port.to_string(), "-U", pg::SUPERUSER, "-d", &db, "-c"])
        .arg(format!("BEGIN; CREATE ROLE \"{group}\"; SELECT pg_sleep(60);"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("psql");
    let wait_for = |sql: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while s.sql_in(&db, sql).unwrap() == "0" {
            assert!(std::time::Instant::now() < deadline, "timed out waiting for: {sql}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    wait_for("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'");

    let plan = pg_plan(&user, vec![local("app", &[pg::SUPERUSER])]);
    let script = sql::setup_script(&plan, &sql::ExistingState::default()).unwrap();
    let blocked = script
        .statements()
        .position(|st| st.kind() == StatementKind::CreateAccess)
        .expect("CREATE ROLE for the group");
    let admin = pg_profile(pg::SUPERUSER, &db);
    let cancel = CancellationToken::new();
    let (run, events) = std::thread::scope(|scope| {
        let runner = scope.spawn(|| {
            let events = Mutex::new(Vec::new());
            let pw = Password::new(pg::SUPERUSER_PASSWORD.into());
            let run = support::rt().block_on(provision::run_script(
                target(&admin, Some(&pw)),
                &script,
                &nothing,
                &|p| events.lock().unwrap().push(p),
                &cancel,
            ));
            (run, events.into_inner().unwrap())
        });
        wait_for(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = '{db}'"
        ));
        cancel.cancel();
        runner.join().expect("runner")
    });
    let _ = holder.kill();
    let _ = holder.wait();

    let run = run.expect("connects");
    assert!(run.cancelled, "{run:?}");
    assert!(run.failed.is_none(), "{run:?}");
    assert!(run.rolled_back);
    assert_eq!(run.executed, 0);
    assert_eq!(sequence(&events), expected_sequence(blocked, StepStatus::Cancelled));
    assert_eq!(
        s.sql_in(&db, &format!("SELECT count(*) FROM pg_roles WHERE rolname = '{user}'")).unwrap(),
        "0",
        "CREATE USER before the cancelled statement was rolled back"
    );
}

/// A server rejects a message whose text does not parse before running any of it. Redshift's
/// `GRANT ROLE` is not PostgreSQL syntax: the error's position names that statement, the ones
/// before it are reported as not run, and nothing reached the catalog.
#[test]
fn a_syntax_error_names_its_statement_and_nothing_runs() {
    let s = pg::server();
    let db = support::unique("bsyn");
    s.create_database(&db);
    s.sql_in(&db, "CREATE SCHEMA app;").unwrap();
    let user = support::unique("bsynuser");
    let role = format!("{user}_role");
    let plan = SetupPlan {
        dialect: Dialect::Redshift,
        access: Access::Role { name: role.clone() },
        ..pg_plan(&user, vec![local("app", &[pg::SUPERUSER])])
    };
    let script = sql::setup_script(&plan, &sql::ExistingState::default()).unwrap();
    let stop = script
        .statements()
        .position(|st| st.sql().starts_with("GRANT ROLE"))
        .expect("Redshift RBAC membership");
    assert!(stop > 0);
    let admin = pg_profile(pg::SUPERUSER, &db);
    let (run, events) = run_collecting(&admin, pg::SUPERUSER_PASSWORD, &script);

    let (index, _) = run.failed.clone().expect("PostgreSQL rejects GRANT ROLE");
    assert_eq!(index, stop);
    assert_eq!(run.executed, 0);
    let mut want = vec![(0, StepStatus::Running)];
    want.extend((0..stop).map(|i| (i, StepStatus::Skipped)));
    want.push((stop, StepStatus::Failed));
    assert_eq!(sequence(&events), want);
    let failed = events.last().expect("events");
    assert!(failed.error.as_deref().unwrap_or("").starts_with("42601:"), "{failed:?}");
    assert_eq!(
        s.sql_in(
            &db,
            &format!("SELECT count(*) FROM pg_roles WHERE rolname IN ('{user}', '{role}')")
        )
        .unwrap(),
        "0"
    );
}

/// On Redshift (the simulator) a grant on an external schema runs outside a block, so the script
/// goes out as three messages: a failure in the last segment rolls back only that segment.
#[test]
fn on_redshift_a_later_segment_fails_alone() {
    use redshift_sim::{ADMIN_PASSWORD, Simulator, Warehouse};
    let sim = support::rt()
        .block_on(
            Simulator::builder()
                .warehouse(Warehouse::sample())
                .tls(false)
                .bind("127.0.0.1:0")
                .start(),
        )
        .expect("simulator starts");
    let mut admin = Profile::new(Engine::Redshift);
    admin.host = "127.0.0.1".into();
    admin.port = sim.port();
    admin.user = "admin".into();
    admin.sslmode = SslMode::Disable;

    let group = Access::Group { name: "batch_ro".into() };
    let first = SetupPlan {
        dialect: Dialect::Redshift,
        user: "batch_reader".into(),
        password: "Batch1234x".into(),
        access: group.clone(),
        schemas: vec![
            local("sales", &["etl_loader"]),
            SchemaGrant {
                name: "spectrum_events".into(),
                kind: SchemaKind::External,
                owners: vec![],
            },
        ],
        datashare_databases: vec![],
        connection_limit: None,
        grant_svv_table_info: false,
    };
    // A second local schema after the external one, with a default-privilege owner that does not
    // exist: its USAGE grant runs, then the default privileges fail.
    let second = SetupPlan {
        schemas: vec![local("marketing", &["admin", "no_such_owner"])],
        ..first.clone()
    };
    let mut script = sql::setup_script(&first, &sql::ExistingState::default()).unwrap();
    let more = sql::setup_script(&second, &sql::ExistingState::default()).unwrap();
    let grants: Vec<sql::Statement> = more
        .statements()
        .filter(|st| matches!(st.kind(), StatementKind::Grant | StatementKind::GrantDefault))
        .cloned()
        .collect();
    script.blocks.push(sql::Block { comment: vec![], statements: grants });
    let statements: Vec<&sql::Statement> = script.statements().collect();
    let lone = statements.iter().position(|st| !st.transactional()).expect("external grant");
    let stop = statements.iter().position(|st| st.sql().contains("no_such_owner")).unwrap();
    assert!(lone + 2 < stop, "a segment, the lone grant, then a segment that fails: {lone} {stop}");

    let (run, events) = run_collecting(&admin, ADMIN_PASSWORD, &script);

    let (index, diagnosis) = run.failed.clone().expect("the run fails");
    assert_eq!(index, stop);
    assert!(
        diagnosis.server_text.as_deref().unwrap_or("").contains("no_such_owner"),
        "{diagnosis:?}"
    );
    assert!(run.rolled_back);
    assert_eq!(run.executed, lone + 1, "the first segment and the lone grant stay");
    assert_eq!(sequence(&events), expected_sequence(stop, StepStatus::Failed));

    let w = sim.catalog();
    let reader = w.user_by_name("batch_reader").expect("first segment committed").id;
    assert!(w.group_by_name("batch_ro").is_some(), "first segment committed");
    let usage = |schema: &str| {
        let sch = w.schema_by_name(schema).expect("sample schema");
        w.schema_privilege(reader, sch, redshift_sim::catalog::SchemaPrivilege::Usage)
    };
    assert!(usage("spectrum_events"), "the lone external grant stays");
    assert!(!usage("marketing"), "the failing segment's USAGE grant is undone");
}

/// A catalog query cancelled mid-way stops on the server too: `query_rows` sends the cancel
/// request along the session's own path (`Session::cancel_running`, which reaches a `connect_raw`
/// session over TLS), so the `pg_sleep` leaves `pg_stat_activity` at once and the same session
/// answers the next query.
#[test]
fn cancelled_query_rows_stops_the_running_pg_sleep_on_the_server() {
    let s = pg::server();
    let db = support::unique("qcan");
    s.create_database(&db);
    let admin = pg_profile(pg::SUPERUSER, &db);
    let pw = Password::new(pg::SUPERUSER_PASSWORD.into());
    let t = target(&admin, Some(&pw));
    let sleeping = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = '{db}'"
    );
    let session = support::rt()
        .block_on(shiftgate::net::connect::open_session(
            t.profile,
            t.credentials,
            t.tunnel,
            &nothing,
            &CancellationToken::new(),
        ))
        .unwrap_or_else(|r| panic!("connects: {:?}", r.diagnosis));
    let cancel = CancellationToken::new();
    let started = std::time::Instant::now();
    let outcome = std::thread::scope(|scope| {
        let runner = scope.spawn(|| {
            support::rt().block_on(provision::query_rows(&session, "SELECT pg_sleep(60)", &cancel))
        });
        let deadline = started + std::time::Duration::from_secs(20);
        while s.sql_in(&db, &sleeping).unwrap() == "0" {
            assert!(std::time::Instant::now() < deadline, "the sleep never started");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        cancel.cancel();
        runner.join().expect("runner")
    });
    assert!(matches!(outcome, Err(provision::TaskFailure::Cancelled)), "{outcome:?}");
    // The server stopped the statement (not just this side giving up on it).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while s.sql_in(&db, &sleeping).unwrap() != "0" {
        assert!(
            std::time::Instant::now() < deadline,
            "the server still runs pg_sleep after the cancel"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let next = support::rt()
        .block_on(provision::query_rows(&session, "SELECT 41 + 1", &CancellationToken::new()))
        .expect("not cancelled")
        .expect("the session still answers");
    assert_eq!(next, vec![vec![Some("42".to_string())]]);
}
