//! The Audit tab driven by mouse, by AccessKit labels: Run audit → matrix cells → click a cell for
//! its tables → filter → Copy as CSV → drift list → review and run the converge script → the
//! converged plan is recorded with the admin profile. A fake backend answers from the core's own
//! audit / drift code over canned catalog rows.

use crate::ui_provision::{click_and_copy, press};
use egui::vec2;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use shiftgate::app::{App, AppDeps, FilePicker};
use shiftgate::profile::{Engine, Profile};
use shiftgate::report::ServerInfo;
use shiftgate::sql::audit::{AuditQuery, evaluate};
use shiftgate::sql::drift::drift_all;
use shiftgate::sql::{
    Access, AppliedPlan, Dialect, QueryId, QueryResults, SchemaGrant, SchemaKind, SetupPlan,
};
use shiftgate::store::profiles::ProfileStore;
use shiftgate::store::secrets::{MemorySecretStore, SecretKey, SecretStore};
use shiftgate::tasks::audit::AuditOutcome;
use shiftgate::tasks::provision::ScriptRun;
use shiftgate::tasks::{Backend, Command, Event, Outcome};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

fn row(cells: &[Option<&str>]) -> Vec<Option<String>> {
    cells.iter().map(|c| c.map(str::to_owned)).collect()
}

/// PostgreSQL catalog rows: `cat` in group `cat_ro`, which reads "Sales EU" and was granted
/// INSERT on `orders` by hand; schema `hr` closed.
fn catalog() -> QueryResults {
    let mut r = QueryResults::new();
    let mut put = |id, rows| {
        r.insert(QueryId::Audit(id), Ok(rows));
    };
    put(
        AuditQuery::Identities,
        vec![
            row(&[Some("cat"), Some("user"), Some("f"), Some("f"), Some("t"), None]),
            row(&[Some("cat_ro"), Some("role"), Some("f"), Some("f"), Some("t"), None]),
            row(&[Some("etl"), Some("user"), Some("f"), Some("t"), Some("t"), None]),
        ],
    );
    put(
        AuditQuery::Memberships,
        vec![row(&[Some("cat"), Some("role"), Some("cat_ro"), Some("role")])],
    );
    put(
        AuditQuery::Schemas,
        vec![
            row(&[Some("Sales EU"), Some("etl"), Some("{etl=UC/etl,cat_ro=U/etl}")]),
            row(&[Some("hr"), Some("etl"), None]),
        ],
    );
    put(
        AuditQuery::Relations,
        vec![
            row(&[
                Some("Sales EU"),
                Some("orders"),
                Some("r"),
                Some("etl"),
                Some("{etl=arwdDxt/etl,cat_ro=ra/etl}"),
            ]),
            row(&[
                Some("Sales EU"),
                Some("returns"),
                Some("r"),
                Some("etl"),
                Some("{etl=arwdDxt/etl,cat_ro=r/etl}"),
            ]),
            row(&[Some("hr"), Some("people"), Some("r"), Some("etl"), None]),
        ],
    );
    put(AuditQuery::ColumnGrants, vec![]);
    put(
        AuditQuery::DefaultAcl,
        vec![row(&[Some("etl"), Some("Sales EU"), Some("r"), Some("{cat_ro=r/etl}")])],
    );
    put(AuditQuery::SystemGrants, vec![]);
    r
}

struct AuditFake {
    tx: Sender<Event>,
    scripts: Arc<Mutex<Vec<String>>>,
}

impl Backend for AuditFake {
    fn submit(&mut self, cmd: Command) {
        match cmd {
            Command::Audit { task, profile, request, .. } => {
                let mut server = ServerInfo {
                    version_string: "PostgreSQL 15.18 on x86_64-pc-linux-gnu".into(),
                    current_user: "admin".into(),
                    current_database: "dev".into(),
                    ..ServerInfo::default()
                };
                server.detect();
                let matrix =
                    evaluate(Dialect::Postgres, &request.scope, &catalog()).expect("matrix");
                let drift = drift_all(&matrix, &profile.applied_plans, "dev", &[], request.drift)
                    .expect("drift");
                let outcome = AuditOutcome {
                    server,
                    dialect: Dialect::Postgres,
                    matrix,
                    drift,
                    round_trips: 8,
                    query_ms: 5,
                };
                let _ = self
                    .tx
                    .send(Event::Finished { task, outcome: Outcome::Audit(Ok(Box::new(outcome))) });
            }
            Command::RunScript { task, script, .. } => {
                self.scripts.lock().unwrap().push(script.render(false));
                let total = script.statements().count();
                let run = ScriptRun {
                    executed: total,
                    total,
                    failed: None,
                    rolled_back: false,
                    cancelled: false,
                    elapsed_ms: 4,
                };
                let _ = self.tx.send(Event::Finished { task, outcome: Outcome::Script(Ok(run)) });
            }
            _ => {}
        }
    }
}

struct NoPicker;

impl FilePicker for NoPicker {
    fn pick_ca_file(&mut self, _current: Option<&Path>) -> Option<PathBuf> {
        None
    }
    fn save_file(&mut self, _suggested_name: &str) -> Option<PathBuf> {
        None
    }
}

#[test]
fn ui_audit_matrix_cell_filter_csv_and_converge() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecretStore::default());
    let mut p = Profile::new(Engine::Postgres);
    p.name = "warehouse".into();
    p.host = "db.example.com".into();
    p.user = "admin".into();
    p.applied_plans.push(AppliedPlan {
        database: "dev".into(),
        applied_at: "2026-12-01T10:00:00Z".into(),
        plan: SetupPlan {
            dialect: Dialect::Postgres,
            user: "cat".into(),
            access: Access::Group { name: "cat_ro".into() },
            schemas: vec![SchemaGrant {
                name: "Sales EU".into(),
                kind: SchemaKind::Local,
                owners: vec!["etl".into()],
            }],
            ..Default::default()
        },
        ..Default::default()
    });
    secrets.set(&SecretKey::db_password(&p.id), "Admin-Pass-1").unwrap();
    let id = p.id.clone();
    ProfileStore::open(dir.path()).unwrap().upsert(p).unwrap();
    let scripts = Arc::new(Mutex::new(Vec::new()));
    let store = ProfileStore::open(dir.path()).unwrap();
    let secrets_dyn: Arc<dyn SecretStore> = secrets.clone();
    let scripts2 = scripts.clone();
    let mut h = Harness::builder().with_max_steps(16).with_size(vec2(1400.0, 1400.0)).build_eframe(
        move |_cc| {
            let (tx, rx) = std::sync::mpsc::channel();
            App::new(
                None,
                AppDeps {
                    store,
                    secrets: secrets_dyn,
                    backend: Box::new(AuditFake { tx, scripts: scripts2 }),
                    events: rx,
                    file_picker: Box::new(NoPicker),
                },
            )
        },
    );
    h.run();
    h.get(
        egui_kittest::kittest::by()
            .label("warehouse")
            .predicate(|n| n.role() != egui::accesskit::Role::Label),
    )
    .click();
    h.run();
    press(&mut h, "Audit");
    press(&mut h, "Run audit");

    // The matrix: one cell per grantee and schema, labelled for a screen reader.
    h.get_by_label("cat on Sales EU: write 2/2");
    h.get_by_label("cat on hr: none");
    h.get_by_label("cat_ro on Sales EU: write 2/2");
    h.get_by_label("etl on hr: write 1/1");
    assert!(h.query_by_label_contains("3 grantee(s)").is_some(), "cat, cat_ro, etl");

    // A cell opens its tables.
    press(&mut h, "cat on Sales EU: write 2/2");
    h.get_by_label("Tables of \"Sales EU\" for cat");
    h.get_by_label("write: INSERT");
    assert_eq!(h.state().state().audit.open, Some((0, 0)));

    // The filter keeps matching rows; a side with no match stays whole.
    h.get_by_label("Filter").focus();
    h.run();
    h.get_by_label("Filter").type_text("etl");
    h.run();
    assert!(h.query_by_label("cat on hr: none").is_none(), "cat filtered out");
    h.get_by_label("etl on hr: write 1/1");
    h.get_by_label("etl on Sales EU: write 2/2");

    let csv = click_and_copy(&mut h, "Copy as CSV").expect("CSV copied");
    assert!(csv.starts_with("grantee,kind,schema,level,usage,create,readable,writable,tables\n"));
    assert!(csv.contains("cat,user,Sales EU,write,true,false,2,1,2"), "{csv}");

    // Drift: the hand-made INSERT, and hr not in the plan.
    h.get_by_label_contains("Catalog user \"cat\" (plan applied 2026-12-01T10:00:00Z)");
    h.get_by_label_contains("INSERT on \"Sales EU\".\"orders\" held by role cat_ro");
    h.get_by_label_contains("schema \"hr\" (1 relation(s)) is not in the plan");
    let sql = click_and_copy(&mut h, "Copy SQL").expect("converge copied");
    assert!(
        sql.contains("REVOKE INSERT ON \"Sales EU\".\"orders\" FROM GROUP \"cat_ro\";"),
        "{sql}"
    );
    assert!(h.get_by_label("Run converge as admin").accesskit_node().is_disabled());
    press(&mut h, "I have reviewed this script");
    press(&mut h, "Run converge as admin");
    h.get_by_label("Converged and recorded as the plan: run the audit again to check.");
    assert_eq!(scripts.lock().unwrap().len(), 1);
    assert_eq!(scripts.lock().unwrap()[0], sql);
    let stored = ProfileStore::open(dir.path()).unwrap();
    let recorded = &stored.get(&id).expect("admin profile").applied_plans;
    assert_eq!(recorded.len(), 1);
    assert_ne!(recorded[0].applied_at, "2026-12-01T10:00:00Z", "the converged plan replaced it");
    assert_eq!(recorded[0].plan.user, "cat");
}
