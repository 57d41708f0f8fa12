//! The Audit tab driven by mouse, by AccessKit labels: Run audit → matrix cells → click a cell for
//! its tables → filter → Copy as CSV → drift list → review and run the converge script → the
//! converged plan is recorded with the admin profile. A fake backend answers from the core's own
//! audit / drift code over canned catalog rows.

use crate::support::ui::{
    FakePicker, click_and_copy, click_named, press, set_field, value, window,
};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable, by};
use shiftgate::app::App;
use shiftgate::profile::{Engine, Profile, ProfileId};
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
    /// The schema scope of every audit asked for.
    scopes: Arc<Mutex<Vec<Vec<String>>>>,
}

impl Backend for AuditFake {
    fn submit(&mut self, cmd: Command) {
        match cmd {
            Command::Audit { task, profile, request, .. } => {
                self.scopes.lock().unwrap().push(request.scope.schemas.clone());
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

/// A window on a store with the admin profile "warehouse" (one applied plan), opened.
struct Opened {
    dir: tempfile::TempDir,
    id: ProfileId,
    scripts: Arc<Mutex<Vec<String>>>,
    scopes: Arc<Mutex<Vec<Vec<String>>>>,
    h: Harness<'static, App>,
}

fn open_warehouse() -> Opened {
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
    let scopes = Arc::new(Mutex::new(Vec::new()));
    let (scripts2, scopes2) = (scripts.clone(), scopes.clone());
    let mut h =
        window([1400.0, 1400.0], store, secrets_dyn, FakePicker::default(), move |tx, _| {
            Box::new(AuditFake { tx, scripts: scripts2, scopes: scopes2 })
        });
    h.run();
    click_named(&mut h, "warehouse");
    Opened { dir, id, scripts, scopes, h }
}

#[test]
fn ui_audit_matrix_cell_filter_csv_and_converge() {
    let Opened { dir, id, scripts, mut h, .. } = open_warehouse();
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

#[test]
fn ui_audit_schema_scope_is_typed_or_picked_like_audit_schemas() {
    // The config dir must outlive the window (its watcher would see the file go).
    let Opened { dir: _dir, scopes, mut h, .. } = open_warehouse();
    press(&mut h, "Audit");
    assert!(
        h.get_by_label("Pick schemas").accesskit_node().is_disabled(),
        "nothing to pick before discovery or an audit"
    );
    press(&mut h, "Run audit");
    h.get_by_label("cat on Sales EU: write 2/2");
    h.get_by_label("cat on hr: none");

    // Picked from the list the first audit found: only that schema is audited.
    press(&mut h, "Pick schemas");
    h.get(by().label("hr").predicate(|n| n.role() == Role::CheckBox)).click_accesskit();
    h.run();
    assert_eq!(value(&h, "Schemas to audit"), "hr");
    press(&mut h, "Run audit");

    // Typed, comma-separated, split as the CLI's --schemas (the task puts the scope into the
    // catalog queries, as for the CLI; this fake answers every audit with the same rows).
    set_field(&mut h, "Schemas to audit", " Sales EU , ,hr");
    press(&mut h, "Run audit");
    let asked = scopes.lock().unwrap().clone();
    let cli_split = |s: &str| -> Vec<String> {
        s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()
    };
    assert_eq!(asked, [vec![], cli_split("hr"), cli_split(" Sales EU , ,hr")]);

    press(&mut h, "All schemas");
    assert_eq!(value(&h, "Schemas to audit"), "");
}
