//! The connection form's authentication section by AccessKit labels: a new profile switched to
//! IAM gets its cluster and region from the host name, takes the typed DB user, groups,
//! duration and AWS profile, and is saved with them (no password asked or stored).

use crate::support::ui::{choose, set_field, settle};
use egui::vec2;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use shiftgate::app::{App, AppDeps, FilePicker};
use shiftgate::profile::AuthMethod;
use shiftgate::store::profiles::ProfileStore;
use shiftgate::store::secrets::MemorySecretStore;
use shiftgate::tasks::{Backend, Command};
use std::path::{Path, PathBuf};

struct NoBackend;

impl Backend for NoBackend {
    fn submit(&mut self, _: Command) {}
}

struct NoPicker;

impl FilePicker for NoPicker {
    fn pick_ca_file(&mut self, _: Option<&Path>) -> Option<PathBuf> {
        None
    }
    fn save_file(&mut self, _: &str) -> Option<PathBuf> {
        None
    }
}

fn app(dir: &Path) -> Harness<'static, App> {
    let store = ProfileStore::open(dir).unwrap();
    Harness::builder().with_max_steps(16).with_size(vec2(1280.0, 1600.0)).build_eframe(move |_cc| {
        let (_tx, rx) = std::sync::mpsc::channel();
        let deps = AppDeps {
            store,
            secrets: std::sync::Arc::new(MemorySecretStore::default()),
            backend: Box::new(NoBackend),
            events: rx,
            file_picker: Box::new(NoPicker),
        };
        App::new(None, deps)
    })
}

#[test]
fn ui_auth_section_creates_an_iam_profile_by_labels() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path());
    settle(&mut h);
    // The first-run panel and the toolbar may both offer it.
    h.get_all_by_label("New profile").next().expect("New profile").click();
    settle(&mut h);
    set_field(&mut h, "Name", "warehouse via IAM");
    set_field(&mut h, "Host", "examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com");
    assert!(h.query_by_label("Cluster identifier").is_none(), "password auth: no IAM fields");
    choose(&mut h, "Auth method", "IAM, provisioned cluster");
    // Pre-filled from the host name.
    let state = h.state().state();
    let draft = &state.form.as_ref().expect("a form").draft;
    assert_eq!(
        (draft.auth.cluster_id.as_str(), draft.auth.region.as_str()),
        ("examplecluster", "us-west-2")
    );
    set_field(&mut h, "DB user", "etl");
    set_field(&mut h, "DB groups", "analysts, readers");
    h.get_by_label("Auto-create the database user").click();
    settle(&mut h);
    set_field(&mut h, "Duration (seconds)", "60");
    assert!(
        h.query_by_label_contains("Duration must be between 900 and 3600 seconds").is_some(),
        "the bound is shown under the field"
    );
    set_field(&mut h, "Duration (seconds)", "1800");
    set_field(&mut h, "AWS profile", "prod-sso");
    h.get_by_label("Save").click();
    settle(&mut h);
    let store = ProfileStore::open(dir.path()).unwrap();
    let p = store.find("warehouse via IAM").expect("saved");
    assert_eq!(p.auth.method, AuthMethod::Iam);
    assert_eq!(p.auth.cluster_id, "examplecluster");
    assert_eq!(p.auth.region, "us-west-2");
    assert_eq!(p.auth.db_user, "etl");
    assert_eq!(p.auth.db_groups, vec!["analysts".to_string(), "readers".to_string()]);
    assert!(p.auth.auto_create);
    assert_eq!(p.auth.duration_secs, 1800);
    assert_eq!(p.auth.aws_profile, "prod-sso");
    assert!(p.user.is_empty(), "no database user needed with IAM");
}
