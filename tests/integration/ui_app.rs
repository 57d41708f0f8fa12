//! The whole GUI driven like a user (egui_kittest + AccessKit labels), with a fake backend that
//! answers a connection test at once and deterministically, and a fake file picker.

use crate::support::{
    self,
    ui::{FakePicker, click_and_copy, click_named, profile, retype, value},
};
use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable, by};
use shiftgate::app::{App, AppDeps};
use shiftgate::diagnose::{Cause, Diagnosis};
use shiftgate::profile::{Engine, Profile, SecretMode};
use shiftgate::report::{Report, ServerInfo, Step, StepKind, StepStatus};
use shiftgate::store::password_source::PromptRequest;
use shiftgate::store::profiles::ProfileStore;
use shiftgate::store::secrets::{SecretKey, SecretStore};
use shiftgate::tasks::events::SecretReply;
use shiftgate::tasks::{Backend, Command, Event, Outcome, TaskId};
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

const ENDPOINT: &str = "examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com";
const HINT: &str = "Allow inbound TCP 5439 from your address in the cluster's security group.";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    Fail,
    Succeed,
    /// Report steps but never finish (to see the running state).
    Hang,
}

/// What the fake backend was asked to do.
#[derive(Debug, Clone, PartialEq)]
enum Call {
    Test { host: String, port: u16, password: Option<String> },
    Cancel(TaskId),
}

struct FakeBackend {
    tx: Sender<Event>,
    answer: Arc<Mutex<Answer>>,
    calls: Arc<Mutex<Vec<Call>>>,
}

fn step(kind: StepKind, status: StepStatus, ms: u64, detail: &str) -> Step {
    Step { kind, status, elapsed_ms: ms, detail: detail.into() }
}

impl Backend for FakeBackend {
    fn submit(&mut self, cmd: Command) {
        match cmd {
            Command::Cancel(task) => {
                self.calls.lock().unwrap().push(Call::Cancel(task));
                let report = Report {
                    steps: vec![step(StepKind::Tcp, StepStatus::Cancelled, 5, "")],
                    ..Report::default()
                };
                let _ = self
                    .tx
                    .send(Event::Finished { task, outcome: Outcome::Test(Box::new(report)) });
            }
            Command::TestTunnel { .. }
            | Command::Discover { .. }
            | Command::RunScript { .. }
            | Command::Verify { .. }
            | Command::Audit { .. } => {}
            Command::TestConnection { task, profile, credentials } => {
                let (tx, calls) = (self.tx.clone(), self.calls.clone());
                let answer = *self.answer.lock().unwrap();
                if credentials.db_password.is_none()
                    && profile.password_mode == SecretMode::AskEveryTime
                {
                    // Like the real backend: the task pauses and asks through an event.
                    std::thread::spawn(move || {
                        let (reply, rx) = SecretReply::new();
                        let request = PromptRequest {
                            key: SecretKey::db_password(&profile.id),
                            label: format!("Password for {}", profile.name),
                            offer_remember: false,
                            remember_in: "memory".into(),
                            notice: None,
                        };
                        let _ = tx.send(Event::SecretPrompt { task, request, reply });
                        let typed = rx.blocking_recv().ok().flatten().map(|a| a.secret.to_string());
                        answer_test(&tx, &calls, answer, task, &profile, typed);
                    });
                    return;
                }
                let password = credentials.db_password.map(|p| p.to_string());
                answer_test(&tx, &calls, answer, task, &profile, password);
            }
        }
    }
}

/// The fake's reply to a connection test: steps, then a failed or successful report.
fn answer_test(
    tx: &Sender<Event>,
    calls: &Mutex<Vec<Call>>,
    answer: Answer,
    task: TaskId,
    profile: &Profile,
    password: Option<String>,
) {
    calls.lock().unwrap().push(Call::Test {
        host: profile.host.clone(),
        port: profile.port,
        password,
    });
    let send = |e: Event| {
        let _ = tx.send(e);
    };
    send(Event::Step { task, step: step(StepKind::Resolve, StepStatus::Running, 0, "") });
    send(Event::Step { task, step: step(StepKind::Resolve, StepStatus::Ok, 3, "10.0.0.7") });
    send(Event::Log { task, line: "resolved to 10.0.0.7".into() });
    send(Event::Step { task, step: step(StepKind::Tcp, StepStatus::Running, 0, "") });
    let mut report = Report {
        target: format!("{}:{}/{}", profile.host, profile.port, profile.database),
        sslmode: profile.sslmode.to_string(),
        steps: vec![step(StepKind::Resolve, StepStatus::Ok, 3, "10.0.0.7")],
        total_ms: 12,
        ..Report::default()
    };
    match answer {
        Answer::Hang => return,
        Answer::Fail => {
            report.steps.push(step(StepKind::Tcp, StepStatus::Failed, 9, "10.0.0.7:5439 refused"));
            report.diagnosis = Some(Diagnosis {
                cause: Cause::Refused,
                summary: "Nothing accepted the connection on port 5439.".into(),
                hint: HINT.into(),
                server_text: Some("Connection refused (os error 111)".into()),
            });
        }
        Answer::Succeed => {
            report.steps.push(step(StepKind::Tcp, StepStatus::Ok, 4, "10.0.0.7:5439"));
            report.steps.push(step(StepKind::Query, StepStatus::Ok, 5, "select version()"));
            let mut server = ServerInfo {
                version_string: "PostgreSQL 8.0.2 on i686-pc-linux-gnu, Redshift 1.0.12103".into(),
                current_user: "admin".into(),
                current_database: "dev".into(),
                ..ServerInfo::default()
            };
            server.detect();
            report.server = Some(server);
            // As after the IAM stages: who AWS says we are, and the temporary login's expiry.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            report.iam = Some(shiftgate::report::IamInfo {
                api: "GetClusterCredentials".into(),
                db_user: "IAMA:admin".into(),
                expires_at_unix: now + 900,
                account: "123456789012".into(),
                arn: "arn:aws:iam::123456789012:user/admin".into(),
                cached: false,
            });
        }
    }
    send(Event::Step { task, step: report.steps.last().cloned().unwrap() });
    send(Event::Finished { task, outcome: Outcome::Test(Box::new(report)) });
}

/// The shared fixture (config dir, secret store) plus the fake backend's controls.
struct Fixture {
    base: support::ui::Fixture,
    answer: Arc<Mutex<Answer>>,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl std::ops::Deref for Fixture {
    type Target = support::ui::Fixture;

    fn deref(&self) -> &Self::Target {
        &self.base
    }
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            base: support::ui::Fixture::default(),
            answer: Arc::new(Mutex::new(Answer::Fail)),
            calls: Arc::default(),
        }
    }

    fn app(&self) -> Harness<'static, App> {
        let (answer, calls) = (self.answer.clone(), self.calls.clone());
        let picker = FakePicker {
            ca: Some(PathBuf::from("/etc/ssl/amazon-trust-ca-bundle.crt")),
            ..FakePicker::default()
        };
        self.window([1280.0, 1000.0], picker, move |tx, _| {
            Box::new(FakeBackend { tx, answer, calls })
        })
    }
}

/// Step frames (sleeping a little between them) until `done` holds; fail after 10 s.
fn wait_for(h: &mut Harness<'_, App>, what: &str, done: impl Fn(&Harness<'_, App>) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done(h) {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
    // A running test's spinner never settles: a bounded run is enough.
    let _ = h.try_run();
}

#[test]
fn ui_first_run_explains_what_to_do() {
    let fx = Fixture::new();
    let mut h = fx.app();
    h.run();
    h.get_by_label("Welcome to Shiftgate");
    h.get_by_label("New profile");
    h.get_by_label("Paste endpoint or URL");
    h.get_by_label("No saved profiles yet.");
}

#[test]
fn ui_create_save_and_find_after_restart() {
    let fx = Fixture::new();
    {
        let mut h = fx.app();
        h.run();
        h.get_by_label("New profile").click();
        h.run();
        retype(&mut h, "Name", "prod warehouse");
        retype(&mut h, "Host", "db.example.com");
        retype(&mut h, "User", "admin");
        retype(&mut h, "Password", "s3cret");
        h.get_by_label("● prod warehouse");
        h.get_by_label("Save").click();
        h.run();
        assert!(h.query_by_label("● prod warehouse").is_none(), "unsaved marker gone after save");
        let store = h.state().store();
        assert_eq!(store.profiles().len(), 1);
        let saved = &store.profiles()[0];
        assert_eq!(
            (saved.host.as_str(), saved.user.as_str(), saved.port),
            ("db.example.com", "admin", 5439)
        );
        let id = saved.id.clone();
        wait_for(&mut h, "the keychain write", |h| h.state().background_jobs() == 0);
        let pw = fx.secrets.get(&SecretKey::db_password(&id)).unwrap().expect("password stored");
        assert_eq!(pw.as_str(), "s3cret");
        let text = std::fs::read_to_string(fx.dir.path().join("profiles.toml")).unwrap();
        assert!(!text.contains("s3cret"), "password must never reach the profiles file");
    }
    let mut h = fx.app();
    h.run();
    click_named(&mut h, "prod warehouse");
    assert_eq!(value(&h, "Host"), "db.example.com");
    assert_eq!(value(&h, "Port"), "5439");
}

#[test]
fn ui_ctrl_s_saves() {
    let fx = Fixture::new();
    let mut h = fx.app();
    h.run();
    h.get_by_label("New profile").click();
    h.run();
    retype(&mut h, "Name", "by keyboard");
    retype(&mut h, "Host", "kb.example.com");
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run();
    assert_eq!(h.state().store().profiles().len(), 1);
    assert_eq!(h.state().store().profiles()[0].name, "by keyboard");
}

#[test]
fn ui_paste_endpoint_fills_fields() {
    let fx = Fixture::new();
    let mut h = fx.app();
    h.run();
    h.get_by_label("New profile").click();
    h.run();
    retype(&mut h, "Paste endpoint or URL", &format!("{ENDPOINT}:5439/dev"));
    h.get_by_label("Fill fields").click();
    h.run();
    assert_eq!(value(&h, "Host"), ENDPOINT);
    assert_eq!(value(&h, "Port"), "5439");
    assert_eq!(value(&h, "Database"), "dev");
    h.get_by_label_contains("Recognised (");
}

#[test]
fn ui_first_run_paste_starts_a_profile() {
    let fx = Fixture::new();
    let mut h = fx.app();
    h.run();
    retype(&mut h, "Paste endpoint or URL", "postgresql://alice@db.internal:6432/analytics");
    h.get_by_label("Start from pasted text").click();
    h.run();
    assert_eq!(value(&h, "Host"), "db.internal");
    assert_eq!(value(&h, "Port"), "6432");
    assert_eq!(value(&h, "Database"), "analytics");
    assert_eq!(value(&h, "User"), "alice");
}

#[test]
fn ui_test_shows_steps_and_hint_and_copies_report() {
    let fx = Fixture::new();
    fx.seed(&[profile("warehouse", Engine::Redshift)]);
    let mut h = fx.app();
    h.run();
    click_named(&mut h, "warehouse");
    retype(&mut h, "Password", "pw");
    h.get_by_label("Test connection").click();
    h.run();
    h.get_by_label("Resolve host");
    h.get_by_label("TCP connect");
    h.get_by_label("10.0.0.7:5439 refused");
    h.get_by_label("Nothing accepted the connection on port 5439.");
    h.get_by_label_contains(HINT);
    h.get_by_label("Connection refused (os error 111)");
    let calls = fx.calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        vec![Call::Test {
            host: "warehouse.example.com".into(),
            port: 5439,
            password: Some("pw".into())
        }]
    );

    let text =
        click_and_copy(&mut h, "Copy report").expect("Copy report puts text on the clipboard");
    assert!(text.contains("✗ TCP connect"), "{text}");
    assert!(text.contains(HINT), "{text}");

    h.get_by_label("Log").click();
    h.run();
    h.get_by_label_contains("resolved to 10.0.0.7");
}

#[test]
fn ui_successful_test_shows_server() {
    let fx = Fixture::new();
    fx.seed(&[profile("ok", Engine::Redshift)]);
    *fx.answer.lock().unwrap() = Answer::Succeed;
    let mut h = fx.app();
    h.run();
    click_named(&mut h, "ok");
    retype(&mut h, "Password", "pw");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    h.run();
    h.get_by_label("OK in 12 ms");
    h.get_by_label("Server: Amazon Redshift 1.0.12103");
    h.get_by_label("IAM: GetClusterCredentials as IAMA:admin");
    // A live countdown: 15 minutes at most, and it ticks.
    let countdown = |h: &Harness<'_, App>| {
        let node = h.get_by_label_contains("Temporary password expires in");
        let node = node.accesskit_node();
        node.label().or_else(|| node.value()).unwrap_or_default()
    };
    let first = countdown(&h);
    assert!(first.contains("expires in 14m") || first.contains("expires in 15m"), "{first}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    h.step();
    assert_ne!(countdown(&h), first, "the countdown moved on");
}

#[test]
fn ui_copy_url_and_psql_leave_out_the_password() {
    let fx = Fixture::new();
    fx.seed(&[profile("copyme", Engine::Postgres)]);
    let mut h = fx.app();
    h.run();
    click_named(&mut h, "copyme");
    retype(&mut h, "Password", "hunter2");
    let url = click_and_copy(&mut h, "Copy as URL").unwrap();
    assert!(url.starts_with("postgresql://admin@copyme.example.com:5432/postgres"), "{url}");
    assert!(!url.contains("hunter2"));
    let psql = click_and_copy(&mut h, "Copy psql command").unwrap();
    assert!(psql.starts_with("psql ") && psql.contains("host=copyme.example.com"), "{psql}");
    assert!(!psql.contains("hunter2"));
}

#[test]
fn ui_edit_after_test_marks_result_stale() {
    let fx = Fixture::new();
    fx.seed(&[profile("stale", Engine::Redshift)]);
    let mut h = fx.app();
    h.run();
    click_named(&mut h, "stale");
    retype(&mut h, "Password", "pw");
    h.get_by_label("Test connection").click();
    h.run();
    assert!(h.query_by_label("stale — edited since this test").is_none());
    retype(&mut h, "Port", "5440");
    h.get_by_label("stale — edited since this test");
    // Notes are not a connection setting: putting the port back clears the marker.
    retype(&mut h, "Port", "5439");
    retype(&mut h, "Notes", "just a note");
    assert!(h.query_by_label("stale — edited since this test").is_none());
}

#[test]
fn ui_ask_every_time_prompts_for_password() {
    let fx = Fixture::new();
    let mut p = profile("asky", Engine::Postgres);
    p.password_mode = SecretMode::AskEveryTime;
    fx.seed(&[p]);
    let mut h = fx.app();
    h.run();
    click_named(&mut h, "asky");
    h.get_by_label("Test connection").click();
    wait_for(&mut h, "the password question", |h| h.query_by_label("Password for asky").is_some());
    assert!(fx.calls.lock().unwrap().is_empty(), "nothing runs before the password is given");
    // The test's spinner runs while the task waits: type without running to rest.
    h.get_by_label("Database password").focus();
    h.get_by_label("Database password").type_text("typed-once");
    h.run_steps(2);
    h.get_by_label("Connect").click();
    let _ = h.try_run();
    assert!(h.query_by_label("Password for asky").is_none());
    wait_for(&mut h, "the test", |_| !fx.calls.lock().unwrap().is_empty());
    let calls = fx.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert!(matches!(&calls[0], Call::Test { password: Some(p), .. } if p == "typed-once"));
}

#[test]
fn ui_cancel_while_running() {
    let fx = Fixture::new();
    fx.seed(&[profile("slow", Engine::Redshift)]);
    *fx.answer.lock().unwrap() = Answer::Hang;
    let mut h = fx.app();
    h.run();
    click_named(&mut h, "slow");
    retype(&mut h, "Password", "pw");
    h.get_by_label("Test connection").click();
    // A spinner keeps repainting, so step a few frames instead of running to rest.
    h.run_steps(3);
    h.get_by_label("testing…");
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    assert!(h.query_by_label("testing…").is_none());
    assert!(fx.calls.lock().unwrap().iter().any(|c| matches!(c, Call::Cancel(_))));
}

#[test]
fn ui_delete_asks_and_cancel_keeps() {
    let fx = Fixture::new();
    fx.seed(&[profile("keepme", Engine::Redshift), profile("dropme", Engine::Postgres)]);
    let mut h = fx.app();
    h.run();
    click_named(&mut h, "keepme");
    h.get_by_label("Delete…").click();
    h.run();
    h.get_by_label("Delete profile?");
    h.get_by_label("Cancel").click();
    h.run();
    assert!(h.query_by_label("Delete profile?").is_none());
    assert_eq!(h.state().store().profiles().len(), 2);

    click_named(&mut h, "dropme");
    h.get_by_label("Delete…").click();
    h.run();
    h.get_by_label("Delete").click();
    h.run();
    let names: Vec<String> = h.state().store().profiles().iter().map(|p| p.name.clone()).collect();
    assert_eq!(names, vec!["keepme".to_string()]);
    assert_eq!(
        ProfileStore::open(fx.dir.path()).unwrap().profiles().len(),
        1,
        "deletion is on disk"
    );
}

#[test]
fn ui_switching_engine_keeps_typed_port() {
    let fx = Fixture::new();
    let mut h = fx.app();
    h.run();
    h.get_by_label("New profile").click();
    h.run();
    assert_eq!(value(&h, "Port"), "5439");
    // Untouched defaults follow the engine …
    h.get_by_label("Engine").click();
    h.run();
    h.get_by_label("PostgreSQL").click();
    h.run();
    assert_eq!(value(&h, "Port"), "5432");
    assert_eq!(value(&h, "Database"), "postgres");
    // … a typed port does not.
    retype(&mut h, "Port", "6543");
    h.get_by_label("Engine").click();
    h.run();
    h.get_by_label("Redshift").click();
    h.run();
    assert_eq!(value(&h, "Port"), "6543");
    assert_eq!(value(&h, "Database"), "dev");
}

#[test]
fn ui_unsaved_changes_are_not_dropped_silently() {
    let fx = Fixture::new();
    fx.seed(&[profile("one", Engine::Redshift), profile("two", Engine::Redshift)]);
    let mut h = fx.app();
    h.run();
    click_named(&mut h, "one");
    retype(&mut h, "Host", "edited.example.com");
    click_named(&mut h, "two");
    h.get_by_label("Discard unsaved changes?");
    h.get_by_label("Discard changes").click();
    h.run();
    assert_eq!(value(&h, "Host"), "two.example.com");
    assert_eq!(
        h.state().store().get(&h.state().store().profiles()[0].id).unwrap().host,
        "one.example.com"
    );
}

#[test]
fn ui_browse_sets_ca_file_and_validation_shows_inline() {
    let fx = Fixture::new();
    let mut h = fx.app();
    h.run();
    h.get_by_label("New profile").click();
    h.run();
    h.get_by_label("Host is empty: enter the server's name or IP address.");
    h.get_by_label("Browse…").click();
    h.run();
    assert_eq!(value(&h, "CA file"), "/etc/ssl/amazon-trust-ca-bundle.crt");
}

#[test]
fn ui_keyboard_moves_through_the_list_and_search_filters() {
    let fx = Fixture::new();
    fx.seed(&[
        profile("alpha", Engine::Redshift),
        profile("beta", Engine::Postgres),
        profile("gamma", Engine::Redshift),
    ]);
    let mut h = fx.app();
    h.run();
    h.key_press(Key::ArrowDown);
    h.run();
    assert_eq!(value(&h, "Name"), "alpha");
    h.key_press(Key::ArrowDown);
    h.run();
    assert_eq!(value(&h, "Name"), "beta");
    h.key_press(Key::ArrowUp);
    h.run();
    assert_eq!(value(&h, "Name"), "alpha");

    retype(&mut h, "Search", "gam");
    assert!(h.query(by().label("beta").predicate(|n| n.role() != Role::Label)).is_none());
    click_named(&mut h, "gamma");
    assert_eq!(value(&h, "Name"), "gamma");
}

#[test]
fn ui_ten_thousand_profiles_lay_out_only_visible_rows() {
    let fx = Fixture::new();
    let profiles: Vec<Profile> =
        (0..10_000).map(|i| profile(&format!("p{i:05}"), Engine::Redshift)).collect();
    let mut store = ProfileStore::open(fx.dir.path()).unwrap();
    store.upsert_all(profiles).unwrap();
    let mut h = fx.app();
    let started = std::time::Instant::now();
    h.run();
    h.get_by_label("10000 profiles");
    let rows =
        h.query_all(by().label_contains("p0").predicate(|n| n.role() != Role::Label)).count();
    assert!(rows > 5 && rows < 200, "only the visible rows are laid out, got {rows}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn ui_state_round_trips_through_eframe_storage() {
    #[derive(Default)]
    struct MemStorage(std::collections::HashMap<String, String>);
    impl eframe::Storage for MemStorage {
        fn get_string(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }
        fn set_string(&mut self, key: &str, value: String) {
            self.0.insert(key.into(), value);
        }
        fn remove_string(&mut self, key: &str) {
            self.0.remove(key);
        }
        fn flush(&mut self) {}
    }

    let fx = Fixture::new();
    fx.seed(&[profile("remembered", Engine::Redshift)]);
    let mut storage = MemStorage::default();
    {
        let mut h = fx.app();
        h.run();
        click_named(&mut h, "remembered");
        eframe::App::save(h.state_mut(), &mut storage);
    }
    let store = ProfileStore::open(fx.dir.path()).unwrap();
    let (_tx, rx) = std::sync::mpsc::channel();
    let (btx, _brx) = std::sync::mpsc::channel();
    let deps = AppDeps {
        store,
        secrets: fx.secrets.clone(),
        backend: Box::new(FakeBackend {
            tx: btx,
            answer: fx.answer.clone(),
            calls: fx.calls.clone(),
        }),
        events: rx,
        file_picker: Box::new(FakePicker::default()),
    };
    let app = App::new(Some(&storage), deps);
    let form = app.state().form.as_ref().expect("last profile reopened");
    assert_eq!(form.draft.name, "remembered");
    assert!(app.state().ui.profiles_width >= 180.0);
}
