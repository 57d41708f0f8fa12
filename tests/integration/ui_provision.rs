//! The catalog-user tabs driven like an admin would, by mouse: Discover → tick schemas → review →
//! Copy SQL / Run as admin → Verify as the new user; Teardown; the SSH host-key dialog. A fake
//! backend answers from canned `shiftgate::sql` data; one end-to-end test uses the real backend
//! against the harness PostgreSQL.

use crate::support::ui::{
    FakePicker, click_and_copy, click_named, pg_admin_window, press, press_and_step,
    step_until_quiet, value,
};
use crate::support::{self, pg};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use shiftgate::app::App;
use shiftgate::diagnose::{Cause, Diagnosis};
use shiftgate::net::ssh::HostKeyQuestion;
use shiftgate::profile::{Engine, Profile};
use shiftgate::report::{ServerInfo, Step, StepKind, StepStatus};
use shiftgate::sql::{
    self, Dialect, DiscoveredSchema, Discovery, QueryId, QueryResults, SchemaKind, SetupPlan,
};
use shiftgate::store::profiles::ProfileStore;
use shiftgate::store::secrets::{SecretKey, SecretStore};
use shiftgate::tasks::events::HostKeyReply;
use shiftgate::tasks::provision::{DiscoveryOutcome, ScriptRun, StatementProgress};
use shiftgate::tasks::{Backend, Command, Event, Outcome};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

const CATALOG_PASSWORD: &str = "Catalog-Pass-42";
const FINGERPRINT: &str = "SHA256:pV0cbn2Yb4Jm0nhJmVnLTXFv1GDh2jB5n0Tq0Fp5Eq8";

/// How the fake answers a script run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ScriptAnswer {
    Succeed,
    /// Statement `n` (0-based) fails; the transaction is rolled back.
    FailAt(usize),
}

/// What the fake was asked to do (passwords included, to check which one was used).
#[derive(Debug, Clone, PartialEq)]
enum Call {
    Discover { user: String },
    RunScript { title: String, statements: usize, user: String, password: Option<String> },
    Verify { user: String, password: Option<String>, plan_user: String, schemas: Vec<String> },
    Cancel,
}

#[derive(Clone, Default)]
struct Controls {
    script: Arc<Mutex<Option<ScriptAnswer>>>,
    /// When set, Discover first asks about an unknown host key; the receiver lands here.
    ask_host_key: Arc<Mutex<bool>>,
    host_key_rx: Arc<Mutex<Option<oneshot::Receiver<bool>>>>,
    calls: Arc<Mutex<Vec<Call>>>,
}

struct ProvisionFake {
    tx: Sender<Event>,
    controls: Controls,
    /// Secrets the app does not send are resolved like the real backend does (never asking).
    secrets: Arc<dyn SecretStore>,
}

impl ProvisionFake {
    /// The database password the task would log in with.
    fn password(
        &self,
        profile: &Profile,
        given: shiftgate::net::credentials::Credentials,
    ) -> Option<String> {
        let mut no_prompt = |_: &shiftgate::store::password_source::PromptRequest| None;
        shiftgate::tasks::secrets::complete_credentials(
            profile,
            given,
            self.secrets.as_ref(),
            &mut no_prompt,
            false,
        )
        .ok()
        .and_then(|(c, _)| c.db_password.map(|p| p.to_string()))
    }
}

fn step(kind: StepKind, status: StepStatus) -> Step {
    Step { kind, status, elapsed_ms: 2, detail: String::new() }
}

/// A Redshift cluster with two local schemas, one external schema and a datashare database.
fn discovery() -> DiscoveryOutcome {
    let mut server = ServerInfo {
        version_string:
            "PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0.12103"
                .into(),
        current_user: "admin".into(),
        current_database: "dev".into(),
        ..ServerInfo::default()
    };
    server.detect();
    let local = |name: &str, owners: &[&str]| DiscoveredSchema {
        name: name.into(),
        kind: SchemaKind::Local,
        owner: owners[0].into(),
        object_owners: owners.iter().map(|o| o.to_string()).collect(),
    };
    DiscoveryOutcome {
        server,
        dialect: Dialect::Redshift,
        discovery: Discovery {
            schemas: vec![
                local("marketing", &["admin"]),
                local("sales", &["etl", "admin"]),
                DiscoveredSchema {
                    name: "spectrum".into(),
                    kind: SchemaKind::External,
                    owner: "admin".into(),
                    object_owners: vec![],
                },
            ],
            datashare_databases: vec!["partner_share".into()],
            users: vec!["admin".into(), "etl".into(), "metamapper".into()],
            groups: vec![],
            roles: vec![],
            rbac_available: true,
            notes: vec![],
            ..Discovery::default()
        },
    }
}

/// Verify results as the catalog user: every planned schema visible and usable except
/// `marketing` (no USAGE), one readable table per local schema.
fn verify_report(plan: &SetupPlan) -> sql::VerifyReport {
    let row = |cols: &[&str]| cols.iter().map(|c| Some(c.to_string())).collect::<Vec<_>>();
    let mut results = QueryResults::new();
    let mut round1 = sql::verify::plan_queries(plan).expect("valid plan");
    round1.extend(sql::verify::insight_queries(plan).expect("valid plan"));
    for q in round1 {
        let rows = match &q.id {
            QueryId::SchemaUsage => plan
                .schemas
                .iter()
                .map(|s| row(&[&s.name, if s.name == "marketing" { "f" } else { "t" }]))
                .collect(),
            QueryId::RelationPrivileges => plan
                .schemas
                .iter()
                .filter(|s| s.kind == SchemaKind::Local && s.name != "marketing")
                .map(|s| {
                    row(&[
                        &s.name,
                        "orders",
                        s.owners.first().map(String::as_str).unwrap_or("admin"),
                        "table",
                        "t",
                    ])
                })
                .collect(),
            QueryId::SvvTableInfo => vec![row(&["t"])],
            // Every planned creator has its default privileges for the plan's group or role.
            QueryId::DefaultPrivileges => plan
                .schemas
                .iter()
                .filter(|s| s.kind == SchemaKind::Local)
                .flat_map(|s| {
                    let owners =
                        if s.owners.is_empty() { vec!["admin".into()] } else { s.owners.clone() };
                    owners.into_iter().map(|o| row(&[&o, &s.name, plan.access.name()]))
                })
                .collect(),
            _ => Vec::new(),
        };
        results.insert(q.id, Ok(rows));
    }
    for q in sql::verify::probe_queries(plan, &results).expect("valid plan") {
        results.insert(q.id, Ok(Vec::new()));
    }
    sql::verify::evaluate(plan, &results).expect("valid plan")
}

/// Drift as the verify task reports it: a schema created since setup, with a converge script.
fn new_schema_drift(r: &sql::AppliedPlan, plan: &SetupPlan) -> sql::drift::DriftReport {
    sql::drift::DriftReport {
        user: r.plan.user.clone(),
        database: r.database.clone(),
        applied_at: r.applied_at.clone(),
        items: vec![new_schema_item()],
        converge: sql::setup_script(plan, &sql::ExistingState::default()).expect("script"),
        converged_plan: r.plan.clone(),
    }
}

fn new_schema_item() -> sql::drift::DriftItem {
    sql::drift::DriftItem::NewSchema {
        schema: "late arrivals".into(),
        tables: 3,
        owners: vec!["etl".into()],
        adopted: false,
    }
}

impl Backend for ProvisionFake {
    fn submit(&mut self, cmd: Command) {
        let send = |e: Event| {
            let _ = self.tx.send(e);
        };
        let record = |c: Call| self.controls.calls.lock().unwrap().push(c);
        match cmd {
            Command::Cancel(_) => record(Call::Cancel),
            Command::TestConnection { .. } | Command::TestTunnel { .. } | Command::Audit { .. } => {
            }
            Command::Discover { task, profile, .. } => {
                record(Call::Discover { user: profile.user.clone() });
                if *self.controls.ask_host_key.lock().unwrap() {
                    let (reply, rx) = HostKeyReply::new();
                    *self.controls.host_key_rx.lock().unwrap() = Some(rx);
                    let question = HostKeyQuestion {
                        hop: 0,
                        host: "bastion.example.com".into(),
                        port: 22,
                        key_type: "ssh-ed25519".into(),
                        fingerprint_sha256: FINGERPRINT.into(),
                        other_types: Vec::new(),
                        problems: Vec::new(),
                    };
                    send(Event::HostKeyPrompt { task, question, reply });
                    return;
                }
                send(Event::Step { task, step: step(StepKind::Tcp, StepStatus::Ok) });
                send(Event::Finished {
                    task,
                    outcome: Outcome::Discovery(Ok(Box::new(discovery()))),
                });
            }
            Command::RunScript { task, profile, credentials, script } => {
                let statements: Vec<_> = script.statements().collect();
                let total = statements.len();
                record(Call::RunScript {
                    title: script.title.clone(),
                    statements: total,
                    user: profile.user.clone(),
                    password: self.password(&profile, credentials),
                });
                let answer = self.controls.script.lock().unwrap().unwrap_or(ScriptAnswer::Succeed);
                let progress =
                    |index: usize, status: StepStatus, error: Option<String>| StatementProgress {
                        index,
                        total,
                        shown_sql: statements[index].masked_sql().to_string(),
                        status,
                        elapsed_ms: 3,
                        error,
                    };
                let mut run = ScriptRun {
                    executed: 0,
                    total,
                    failed: None,
                    rolled_back: false,
                    cancelled: false,
                    elapsed_ms: 40,
                };
                for i in 0..total {
                    send(Event::Statement {
                        task,
                        progress: progress(i, StepStatus::Running, None),
                    });
                    if answer == ScriptAnswer::FailAt(i) {
                        let text = "ERROR: user \"nosuch\" does not exist";
                        send(Event::Statement {
                            task,
                            progress: progress(i, StepStatus::Failed, Some(text.into())),
                        });
                        run.failed = Some((
                            i,
                            Diagnosis {
                                cause: Cause::Other,
                                summary: "An owner named in the script does not exist.".into(),
                                hint: "Remove the owner or create the user first.".into(),
                                server_text: Some(text.into()),
                            },
                        ));
                        run.rolled_back = true;
                        run.executed = 0;
                        break;
                    }
                    send(Event::Statement { task, progress: progress(i, StepStatus::Ok, None) });
                    run.executed += 1;
                }
                send(Event::Finished { task, outcome: Outcome::Script(Ok(run)) });
            }
            Command::Verify { task, profile, credentials, plan } => {
                record(Call::Verify {
                    user: profile.user.clone(),
                    password: self.password(&profile, credentials),
                    plan_user: plan.user.clone(),
                    schemas: plan.schemas.iter().map(|s| s.name.clone()).collect(),
                });
                let mut report = verify_report(&plan);
                // The app hands the task the setup recorded for this user (baseline of drift).
                if let Some(r) = profile.applied_plans.iter().find(|r| r.plan.user == plan.user) {
                    report.drift = sql::VerifyDrift::Checked(vec![new_schema_drift(r, &plan)]);
                }
                send(Event::Finished { task, outcome: Outcome::Verify(Ok(Box::new(report))) });
            }
        }
    }
}

/// The shared fixture (config dir, secret store) plus the fake backend's controls.
struct Fixture {
    base: support::ui::Fixture,
    controls: Controls,
}

impl std::ops::Deref for Fixture {
    type Target = support::ui::Fixture;

    fn deref(&self) -> &Self::Target {
        &self.base
    }
}

impl Fixture {
    /// A store with one Redshift admin profile whose password is saved.
    fn new() -> Fixture {
        let fx = Fixture { base: support::ui::Fixture::default(), controls: Controls::default() };
        let mut p = support::ui::profile("warehouse", Engine::Redshift);
        p.host = "warehouse.example.com".into();
        fx.secrets.set(&SecretKey::db_password(&p.id), "Admin-Pass-1").unwrap();
        fx.seed(&[p]);
        fx
    }

    fn app(&self) -> Harness<'static, App> {
        let fake_secrets: Arc<dyn SecretStore> = self.secrets.clone();
        let controls = self.controls.clone();
        let picker = FakePicker {
            save_to: Some(self.dir.path().join("setup.sql")),
            ..FakePicker::default()
        };
        self.window([1400.0, 1200.0], picker, move |tx, _ctx| {
            Box::new(ProvisionFake { tx, controls, secrets: fake_secrets })
        })
    }

    fn calls(&self) -> Vec<Call> {
        self.controls.calls.lock().unwrap().clone()
    }
}

/// Replace the text of the field named `label`.
fn type_into(h: &mut Harness<'_, App>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label(label).type_text(text);
    h.run();
}

fn is_enabled(h: &Harness<'_, App>, label: &str) -> bool {
    !h.get_by_label(label).accesskit_node().is_disabled()
}

/// Discover as "warehouse", tick `schemas`, type the catalog password.
fn discover_and_choose(h: &mut Harness<'_, App>, schemas: &[&str]) {
    click_named(h, "warehouse");
    press(h, "Setup");
    press(h, "Discover");
    h.get_by_label_contains("Server: Amazon Redshift 1.0.12103");
    for s in schemas {
        press(h, s);
    }
    type_into(h, "Catalog user password", CATALOG_PASSWORD);
}

fn review_and_run(h: &mut Harness<'_, App>) {
    assert!(!is_enabled(h, "Run as admin"), "nothing runs before the script is reviewed");
    press(h, "I have reviewed this script");
    assert!(is_enabled(h, "Run as admin"));
    press(h, "Run as admin");
}

#[test]
fn ui_setup_discover_review_copy_run_verify() {
    let fx = Fixture::new();
    let mut h = fx.app();
    h.run();
    discover_and_choose(&mut h, &["sales"]);
    assert_eq!(fx.calls()[0], Call::Discover { user: "admin".into() });
    h.get_by_label("external");
    h.get_by_label("Meets Redshift's password policy.");
    h.get_by_label_contains("SYSLOG ACCESS stays RESTRICTED");

    let shown = value(&h, "Setup script");
    assert!(shown.contains("CREATE USER \"catalog_reader\" PASSWORD '********'"), "{shown}");
    assert!(
        shown.contains("GRANT USAGE ON SCHEMA \"sales\" TO GROUP \"catalog_reader_ro\""),
        "{shown}"
    );
    assert!(shown.contains("FOR USER \"etl\""), "owners from discovery are pre-filled: {shown}");
    assert!(!shown.contains(CATALOG_PASSWORD));
    let copied = click_and_copy(&mut h, "Copy SQL").expect("Copy SQL copies");
    assert_eq!(copied, shown, "Copy SQL copies exactly what is shown");

    // Revealed, the view and the copy carry the password; saving writes what is shown.
    press(&mut h, "Reveal password");
    assert!(value(&h, "Setup script").contains(CATALOG_PASSWORD));
    press(&mut h, "Save as .sql…");
    // The file is written off the UI thread; the app repaints when it is done.
    let sql_file = fx.dir.path().join("setup.sql");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while h.state().background_jobs() > 0 {
        assert!(std::time::Instant::now() < deadline, "saving the .sql did not finish");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    h.step();
    h.run();
    let saved = std::fs::read_to_string(&sql_file).expect("Save as .sql writes the file");
    assert!(saved.contains(CATALOG_PASSWORD));
    press(&mut h, "Reveal password");

    review_and_run(&mut h);
    let total = match &fx.calls()[1] {
        Call::RunScript { title, statements, user, password } => {
            assert!(title.contains("setup"), "{title}");
            assert_eq!(
                (user.as_str(), password.as_deref()),
                ("admin", Some("Admin-Pass-1")),
                "runs as the admin with its saved password"
            );
            *statements
        }
        other => panic!("expected a script run, got {other:?}"),
    };
    h.get_by_label(&format!("Done: all {total} statements ran in 40 ms."));
    let run = h.state().state().setup.pane.run.as_ref().expect("a run");
    assert_eq!(run.rows.len(), total);
    assert!(
        run.rows
            .iter()
            .all(|r| r.status == StepStatus::Ok && !r.shown_sql.contains(CATALOG_PASSWORD))
    );
    assert_eq!(h.get_all_by_label("OK").count(), total, "one ✓ row per statement");

    // Verify as the new user, prefilled from setup.
    press(&mut h, "Verify as catalog_reader");
    press(&mut h, "Run verification");
    match fx.calls().last() {
        Some(Call::Verify { user, password, plan_user, schemas }) => {
            assert_eq!((user.as_str(), plan_user.as_str()), ("catalog_reader", "catalog_reader"));
            assert_eq!(password.as_deref(), Some(CATALOG_PASSWORD));
            assert_eq!(schemas, &["sales".to_string()]);
        }
        other => panic!("expected verify, got {other:?}"),
    }
    h.get_by_label_contains("All 1 schemas pass");
    h.get_by_label("sales: pass");
    assert!(h.query_by_label("Fix script").is_none(), "nothing to fix");

    // Save the new user as a profile: password to the secret store, never to the file.
    press(&mut h, "Setup");
    press(&mut h, "Save as new profile");
    let store = h.state().store();
    let saved = store
        .profiles()
        .iter()
        .find(|p| p.user == "catalog_reader")
        .expect("catalog profile saved")
        .clone();
    assert_eq!((saved.host.as_str(), saved.port), ("warehouse.example.com", 5439));
    assert_eq!(
        fx.secrets.get(&SecretKey::db_password(&saved.id)).unwrap().as_deref().map(String::as_str),
        Some(CATALOG_PASSWORD)
    );
    let file = std::fs::read_to_string(fx.dir.path().join("profiles.toml")).unwrap();
    assert!(!file.contains(CATALOG_PASSWORD));
}

/// Issue 17 item 6 by mouse: "logs in with IAM" turns the password into PASSWORD DISABLE and
/// shows the IAM policy with its own Copy button; the saved profile logs in with IAM, no secret.
#[test]
fn ui_setup_iam_login_disables_the_password_and_shows_the_policy() {
    let fx = Fixture::new();
    let mut h = fx.app();
    h.run();
    discover_and_choose(&mut h, &["sales"]);
    press(&mut h, "The catalog tool logs in with IAM (no password)");
    assert!(h.query_by_label("Catalog user password").is_none(), "no password field with IAM");
    let shown = value(&h, "Setup script");
    assert!(shown.contains("CREATE USER \"catalog_reader\" PASSWORD DISABLE"), "{shown}");
    assert!(!shown.contains("PASSWORD '"), "{shown}");
    // The fixture's host is no AWS endpoint: the policy needs a cluster and a region.
    h.get_by_label_contains("No IAM policy yet: the cluster identifier is needed");
    type_into(&mut h, "IAM policy: cluster identifier", "analytics");
    type_into(&mut h, "IAM policy: region", "eu-west-1");
    type_into(&mut h, "IAM policy: AWS account id", "123456789012");
    let policy = value(&h, "IAM policy JSON");
    let copied = click_and_copy(&mut h, "Copy IAM policy").expect("Copy IAM policy copies");
    assert_eq!(copied, policy);
    let v: serde_json::Value = serde_json::from_str(&policy).expect("the policy is JSON");
    assert_eq!(
        v["Statement"][0]["Resource"][0],
        "arn:aws:redshift:eu-west-1:123456789012:dbuser:analytics/catalog_reader"
    );
    assert_eq!(
        v["Statement"][1]["Resource"][0],
        "arn:aws:redshift:eu-west-1:123456789012:dbgroup:analytics/catalog_reader_ro"
    );

    review_and_run(&mut h);
    assert!(matches!(fx.calls().last(), Some(Call::RunScript { .. })));
    press(&mut h, "Save as new profile");
    let saved = h
        .state()
        .store()
        .profiles()
        .iter()
        .find(|p| p.user == "catalog_reader")
        .cloned()
        .expect("catalog profile saved");
    assert!(saved.auth.is_iam());
    assert_eq!(
        (saved.auth.cluster_id.as_str(), saved.auth.region.as_str(), saved.auth.db_user.as_str()),
        ("analytics", "eu-west-1", "catalog_reader")
    );
    assert!(fx.secrets.get(&SecretKey::db_password(&saved.id)).unwrap().is_none(), "no secret");
}

#[test]
fn ui_setup_failure_shows_diagnosis_and_rollback() {
    let fx = Fixture::new();
    *fx.controls.script.lock().unwrap() = Some(ScriptAnswer::FailAt(2));
    let mut h = fx.app();
    h.run();
    discover_and_choose(&mut h, &["sales"]);
    review_and_run(&mut h);
    h.get_by_label("Statement #3 failed: An owner named in the script does not exist.");
    h.get_by_label("What to do: Remove the owner or create the user first.");
    h.get_by_label("The transaction was rolled back: nothing was changed.");
    assert_eq!(
        h.get_all_by_label("rolled back").count(),
        2,
        "the two statements before it are shown as undone"
    );
    assert_eq!(h.get_all_by_label("failed").count(), 1);
    assert_eq!(
        h.get_all_by_label("ERROR: user \"nosuch\" does not exist").count(),
        2,
        "under the row and as the server's words"
    );
    assert!(
        h.query_by_label("Verify as catalog_reader").is_none(),
        "no verify hint after a failure"
    );
}

#[test]
fn ui_plan_error_blocks_the_script() {
    let fx = Fixture::new();
    let mut h = fx.app();
    h.run();
    discover_and_choose(&mut h, &["sales"]);
    h.get_by_label("Setup script");
    type_into(&mut h, "Group name", "catalog_reader");
    h.get_by_label_contains("equals the user name");
    assert!(h.query_by_label("Setup script").is_none(), "no script while the plan has errors");
    assert!(h.query_by_label("Run as admin").is_none());
    // An RBAC role may not share the user's name either.
    press(&mut h, "RBAC role");
    type_into(&mut h, "Role name", "catalog_reader");
    h.get_by_label_contains("role name \"catalog_reader\" equals the user name");
    type_into(&mut h, "Role name", "catalog_role");
    assert!(value(&h, "Setup script").contains("CREATE ROLE \"catalog_role\""));
    // A weak password is listed and blocks too.
    type_into(&mut h, "Catalog user password", "short");
    h.get_by_label_contains("at least 8 are required");
    assert!(h.query_by_label("Setup script").is_none());
}

#[test]
fn ui_owner_chips_and_filter() {
    let fx = Fixture::new();
    let mut h = fx.app();
    h.run();
    discover_and_choose(&mut h, &["sales"]);
    press(&mut h, "Remove owner etl from sales");
    assert!(!value(&h, "Setup script").contains("FOR USER \"etl\""));
    type_into(&mut h, "Add owner to sales", "loader");
    press(&mut h, "Add the typed owner to sales");
    assert!(value(&h, "Setup script").contains("FOR USER \"loader\""));
    type_into(&mut h, "Filter schemas", "mark");
    assert!(h.query_by_label("sales").is_none());
    press(&mut h, "Select all");
    type_into(&mut h, "Filter schemas", "");
    let shown = value(&h, "Setup script");
    assert!(shown.contains("\"marketing\"") && shown.contains("\"sales\""), "{shown}");
    press(&mut h, "partner_share");
    assert!(value(&h, "Setup script").contains("ON DATABASE \"partner_share\""));
}

#[test]
fn ui_verify_shows_failing_row_with_fix() {
    let fx = Fixture::new();
    let mut h = fx.app();
    h.run();
    discover_and_choose(&mut h, &["sales", "marketing"]);
    review_and_run(&mut h);
    press(&mut h, "Verify as catalog_reader");
    press(&mut h, "Run verification");
    h.get_by_label("1 of 2 schemas have gaps.");
    h.get_by_label("sales: pass");
    h.get_by_label("marketing: FAIL");
    h.get_by_label("• the user lacks USAGE on the schema");
    let fix = value(&h, "Fix script");
    assert!(
        fix.contains("GRANT USAGE ON SCHEMA \"marketing\" TO GROUP \"catalog_reader_ro\""),
        "{fix}"
    );
    assert_eq!(click_and_copy(&mut h, "Copy SQL").as_deref(), Some(fix.as_str()));
    assert!(!is_enabled(&h, "Run fix as admin"));
    press(&mut h, "I have reviewed this script");
    press(&mut h, "Run fix as admin");
    match fx.calls().last() {
        Some(Call::RunScript { title, user, .. }) => {
            assert!(title.contains("fix"), "{title}");
            assert_eq!(user, "admin");
        }
        other => panic!("expected the fix to run, got {other:?}"),
    }
    h.get_by_label("Fix applied: press Run verification to check again.");
}

/// After setup (recorded with the admin profile), Verify as the new user compares the live grants
/// with that record: the drift is listed, its converge SQL can be copied, and the Audit tab (which
/// runs it as the admin) is one click away.
#[test]
fn ui_verify_shows_drift_against_the_recorded_setup_with_its_converge_sql() {
    let fx = Fixture::new();
    let mut h = fx.app();
    h.run();
    discover_and_choose(&mut h, &["sales"]);
    review_and_run(&mut h);
    press(&mut h, "Verify as catalog_reader");
    press(&mut h, "Run verification");
    h.get_by_label("Drift since setup");
    h.get_by_label_contains("Drift: 1 difference(s) from the setup applied");
    h.get_by_label(&format!("• {}", new_schema_item().describe()));
    let copied = click_and_copy(&mut h, "Copy converge SQL").expect("copied");
    assert!(copied.contains("CREATE USER \"catalog_reader\""), "{copied}");
    press(&mut h, "Open the Audit tab");
    h.get_by_label("Run audit");
}

#[test]
fn ui_verify_with_a_typed_plan() {
    let fx = Fixture::new();
    let mut h = fx.app();
    h.run();
    click_named(&mut h, "warehouse");
    press(&mut h, "Verify");
    // No setup plan yet: the typed plan is used, logging in with the selected profile.
    type_into(&mut h, "User name", "admin");
    type_into(&mut h, "Group name", "admins_ro");
    type_into(&mut h, "Schemas", "sales, hr");
    type_into(&mut h, "Future creators", "loader");
    press(&mut h, "Run verification");
    match fx.calls().last() {
        Some(Call::Verify { user, password, plan_user, schemas }) => {
            assert_eq!((user.as_str(), plan_user.as_str()), ("admin", "admin"));
            assert_eq!(
                password.as_deref(),
                Some("Admin-Pass-1"),
                "the saved password of the chosen profile"
            );
            assert_eq!(schemas, &["sales".to_string(), "hr".to_string()]);
        }
        other => panic!("expected verify, got {other:?}"),
    }
    h.get_by_label_contains("All 2 schemas pass");
    // The typed future creator is forecast per schema, next to the catalog tool's view.
    h.get_by_label("sales by loader: yes");
    h.get_by_label("hr by loader: yes");
    h.get_by_label("sales: 0 tables, 0 columns");
}

#[test]
fn ui_teardown_and_vendor_cleanup() {
    let fx = Fixture::new();
    let mut h = fx.app();
    h.run();
    discover_and_choose(&mut h, &["sales"]);
    press(&mut h, "Teardown");
    let teardown = value(&h, "Teardown script");
    assert!(teardown.contains("DROP USER \"catalog_reader\""), "{teardown}");
    assert!(teardown.contains("REVOKE USAGE ON SCHEMA \"sales\""), "{teardown}");
    review_and_run(&mut h);
    h.get_by_label_contains("Done: all");

    press(&mut h, "Clean up vendor leftovers");
    type_into(&mut h, "Schemas it was run for", "sales");
    let cleanup = value(&h, "Cleanup script");
    assert!(cleanup.contains("FOR USER \"admin\""), "who ran it defaults to the admin: {cleanup}");
    assert!(cleanup.contains("\"metamapper\""), "{cleanup}");
    assert_eq!(click_and_copy(&mut h, "Copy SQL").as_deref(), Some(cleanup.as_str()));
    type_into(&mut h, "Schemas it was run for", "pg_catalog");
    h.get_by_label_contains("is a system schema");
}

#[test]
fn ui_host_key_trust_answers_yes() {
    host_key_answer("Trust and remember", true);
}

#[test]
fn ui_host_key_refuse_answers_no() {
    host_key_answer("Refuse", false);
}

fn host_key_answer(button: &str, expected: bool) {
    let fx = Fixture::new();
    *fx.controls.ask_host_key.lock().unwrap() = true;
    let mut h = fx.app();
    h.run();
    click_named(&mut h, "warehouse");
    press(&mut h, "Setup");
    h.get_by_label("Discover").click_accesskit();
    // Discovery stays pending (a spinner repaints), so step a few frames.
    h.run_steps(4);
    h.get_by_label("Unknown SSH host key");
    h.get_by_label("bastion.example.com:22");
    h.get_by_label("ssh-ed25519");
    h.get_by_label(FINGERPRINT);
    h.get_by_label_contains("ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub");
    let mut rx = fx.controls.host_key_rx.lock().unwrap().take().expect("the fake asked");
    assert!(rx.try_recv().is_err(), "never answered without a click");
    h.get_by_label(button).click();
    h.run_steps(3);
    assert_eq!(rx.try_recv().ok(), Some(expected));
    assert!(h.query_by_label("Unknown SSH host key").is_none());
}

/// Issue 4's and 5's end-to-end check: the real backend against the harness PostgreSQL, by mouse.
#[test]
fn ui_e2e_real_backend_test_discover_setup_verify() {
    let s = pg::server();
    let db = support::unique("uie2e");
    let etl = support::unique("uietl");
    let user = support::unique("uicat");
    s.create_database(&db);
    s.admin_sql(&format!("CREATE USER {etl} PASSWORD 'Etl-Pass-1';"));
    s.sql_in(&db, &format!("CREATE SCHEMA sales AUTHORIZATION {etl}; SET ROLE {etl}; CREATE TABLE sales.orders (id int); RESET ROLE;"))
        .expect("fixture");

    let mut admin = pg::profile(pg::SUPERUSER, &db);
    admin.name = "harness admin".into();
    let (_fx, mut h) = pg_admin_window(admin, [1400.0, 1200.0]);

    // Issue 4: Test connection succeeds against the real server.
    h.get_by_label("Test connection").click();
    step_until_quiet(&mut h, "a successful test", 60, |h| {
        h.query_by_label_contains("OK in").is_some() || h.query_by_label("FAILED").is_some()
    });
    assert!(
        h.query_by_label("FAILED").is_none(),
        "test failed: {:?}",
        h.state().state().run.as_ref().map(|r| r.report.render_text())
    );
    h.get_by_label_contains("Server: PostgreSQL 15");

    // Discover → tick sales → review → run.
    press(&mut h, "Setup");
    press_and_step(&mut h, "Discover");
    step_until_quiet(&mut h, "discovery", 60, |h| {
        h.query_by_label_contains("Server: PostgreSQL").is_some()
    });
    press(&mut h, "sales");
    type_into(&mut h, "Catalog user name", &user);
    type_into(&mut h, "Catalog user password", CATALOG_PASSWORD);
    let shown = value(&h, "Setup script");
    assert!(shown.contains(&format!("FOR USER \"{etl}\"")), "{shown}");
    press(&mut h, "I have reviewed this script");
    press_and_step(&mut h, "Run as admin");
    step_until_quiet(&mut h, "the setup run", 60, |h| {
        h.state().state().setup.pane.run.as_ref().is_some_and(|r| !r.running())
    });
    h.get_by_label_contains("Done: all");

    // Verify as the new user → every schema green.
    press(&mut h, &format!("Verify as {user}"));
    press_and_step(&mut h, "Run verification");
    step_until_quiet(&mut h, "verification", 60, |h| h.state().state().verify.result.is_some());
    h.get_by_label_contains("All 1 schemas pass");
    h.get_by_label("sales: pass");
    let rows = s
        .sql_in(
            &db,
            &format!("SELECT count(*) FROM pg_roles WHERE rolname IN ('{user}', '{user}_ro')"),
        )
        .unwrap();
    assert_eq!(rows, "2", "user and group exist on the server");
}

/// Issue 20 by mouse, real backend: setup with "Revoke CREATE on schema public" saves its record
/// with the admin profile (no password); Teardown reads the live state again and, with "Keep the
/// user" ticked, drops the group but keeps the user.
#[test]
fn ui_e2e_setup_record_then_teardown_keeping_the_user() {
    let s = pg::server();
    let db = support::unique("uitd");
    let user = support::unique("uitdcat");
    s.create_database(&db);
    s.sql_in(&db, "CREATE SCHEMA sales; CREATE TABLE sales.orders (id int);").expect("fixture");
    let mut admin = pg::profile(pg::SUPERUSER, &db);
    admin.name = "harness admin".into();
    let (fx, mut h) = pg_admin_window(admin, [1400.0, 1200.0]);
    press(&mut h, "Setup");
    press_and_step(&mut h, "Discover");
    step_until_quiet(&mut h, "discovery", 60, |h| {
        h.query_by_label_contains("Server: PostgreSQL").is_some()
    });
    press(&mut h, "sales");
    type_into(&mut h, "Catalog user name", &user);
    type_into(&mut h, "Catalog user password", CATALOG_PASSWORD);
    press(&mut h, "Revoke CREATE on schema public from the group/role");
    let shown = value(&h, "Setup script");
    assert!(
        shown.contains(&format!("REVOKE CREATE ON SCHEMA public FROM GROUP \"{user}_ro\"")),
        "{shown}"
    );
    press(&mut h, "I have reviewed this script");
    press_and_step(&mut h, "Run as admin");
    step_until_quiet(&mut h, "the setup run", 60, |h| {
        h.state().state().setup.pane.run.as_ref().is_some_and(|r| !r.running())
    });
    h.get_by_label_contains("Done: all");
    h.run();

    // The record is saved with the admin profile, without the password.
    let saved = ProfileStore::open(fx.dir.path()).unwrap();
    let admin = saved.find("harness admin").expect("admin profile").clone();
    assert_eq!(admin.applied_plans.len(), 1, "{:?}", admin.applied_plans);
    let record = &admin.applied_plans[0];
    assert_eq!((record.plan.user.as_str(), record.database.as_str()), (user.as_str(), db.as_str()));
    assert!(record.found.as_ref().is_some_and(|f| !f.user_existed && !f.access_existed));
    assert!(record.options.revoke_public_create);
    let file = std::fs::read_to_string(fx.dir.path().join("profiles.toml")).unwrap();
    assert!(!file.contains(CATALOG_PASSWORD), "no password on disk");

    // Teardown: read the live state again, keep the user.
    press(&mut h, "Teardown");
    press_and_step(&mut h, "Discover again");
    step_until_quiet(&mut h, "rediscovery", 60, |h| {
        let setup = &h.state().state().setup;
        setup.discovering.is_none() && !setup.found_stale
    });
    h.run();
    press(&mut h, "Teardown");
    press(&mut h, "Keep the user: remove the catalog grants only");
    h.get_by_label_contains("Setup record of");
    let td = value(&h, "Teardown script");
    assert!(td.contains(&format!("DROP GROUP \"{user}_ro\"")), "{td}");
    assert!(!td.contains("DROP USER IF EXISTS"), "the user is kept: {td}");
    press(&mut h, "I have reviewed this script");
    press_and_step(&mut h, "Run as admin");
    step_until_quiet(&mut h, "the teardown run", 60, |h| {
        h.state().state().teardown.pane.run.as_ref().is_some_and(|r| !r.running())
    });
    h.get_by_label_contains("Done: all");
    let count = |name: &str| {
        s.sql_in(&db, &format!("SELECT count(*) FROM pg_roles WHERE rolname = '{name}'")).unwrap()
    };
    assert_eq!(count(&user), "1", "the user is kept");
    assert_eq!(count(&format!("{user}_ro")), "0", "the group setup created is dropped");
}
