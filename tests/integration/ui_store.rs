//! The window and the command line on one real profile store (a temp dir): the list follows
//! profiles added from the command line, a save keeps them, a save over a change made elsewhere
//! asks which version to keep, and a file from a newer Shiftgate is shown read-only.

use crate::support::ui::{FakePicker, click_named, no_backend, retype, window};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{Queryable, by};
use shiftgate::app::App;
use shiftgate::profile::{Engine, Profile};
use shiftgate::store::profiles::{FILE_NAME, ProfileStore};
use shiftgate::store::secrets::MemorySecretStore;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

fn app(dir: &Path) -> Harness<'static, App> {
    let store = ProfileStore::open(dir).unwrap();
    let secrets = std::sync::Arc::new(MemorySecretStore::default());
    window([1280.0, 1000.0], store, secrets, FakePicker::default(), no_backend)
}

fn cli(dir: &Path, args: &[&str]) -> Output {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_shiftgate"))
        .arg("--config-dir")
        .arg(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    o
}

fn seed(dir: &Path, name: &str) -> Profile {
    let mut p = Profile::new(Engine::Postgres);
    p.name = name.into();
    p.host = format!("{name}.example.com");
    p.user = "admin".into();
    ProfileStore::open(dir).unwrap().upsert(p.clone()).unwrap();
    p
}

/// Some node's label contains `text` (the status bar, a dialog, the form's error line…).
fn shows(h: &Harness<'_, App>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

fn has_row(h: &Harness<'_, App>, name: &str) -> bool {
    h.query(by().label(name).predicate(|n| n.role() != Role::Label)).is_some()
}

/// Step frames (the watcher wakes the app) until `done` or `limit` passes.
fn step_until(
    h: &mut Harness<'_, App>,
    limit: Duration,
    done: impl Fn(&Harness<'_, App>) -> bool,
) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        h.step();
        if done(h) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn stored(dir: &Path, name: &str) -> Profile {
    ProfileStore::open(dir).unwrap().find(name).cloned().unwrap()
}

#[test]
fn ui_store_list_follows_command_line_adds_and_a_save_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path(), "seed");
    let mut h = app(dir.path());
    h.run();
    assert!(has_row(&h, "seed"));
    let names: Vec<String> = (0..5).map(|i| format!("cli {i}")).collect();
    for (i, name) in names.iter().enumerate() {
        let host = format!("h{i}.example.com");
        cli(dir.path(), &["profiles", "add", name, "-U", "u", "--host", &host]);
    }
    let shown = step_until(&mut h, Duration::from_secs(1), |h| names.iter().all(|n| has_row(h, n)));
    assert!(shown, "the 5 profiles added from the command line show within a second");

    // The app's next save is applied to the file as it is: the command line's profiles stay.
    h.get_by_label("New profile").click();
    h.run();
    retype(&mut h, "Name", "from the app");
    retype(&mut h, "Host", "app.example.com");
    retype(&mut h, "User", "admin");
    h.get_by_label("Save").click();
    h.run();
    let store = ProfileStore::open(dir.path()).unwrap();
    let mut saved: Vec<String> = store.profiles().iter().map(|p| p.name.clone()).collect();
    saved.sort();
    let mut expected = names.clone();
    expected.extend(["from the app".to_string(), "seed".to_string()]);
    expected.sort();
    assert_eq!(saved, expected);
}

#[test]
fn ui_store_save_over_a_change_made_elsewhere_asks_which_to_keep() {
    let dir = tempfile::tempdir().unwrap();
    let original = seed(dir.path(), "prod");
    let mut h = app(dir.path());
    h.run();
    click_named(&mut h, "prod");
    retype(&mut h, "Host", "mine.example.com");

    cli(dir.path(), &["profiles", "edit", "prod", "--port", "6000"]);
    let noticed = step_until(&mut h, Duration::from_secs(2), |h| shows(h, "was changed elsewhere"));
    assert!(noticed, "the window tells the profile changed elsewhere");
    assert_eq!(h.get_by_label("Host").value().as_deref(), Some("mine.example.com"), "edits kept");

    h.get_by_label("Save").click();
    h.run();
    h.get_by_label("Changed elsewhere");
    assert_eq!(stored(dir.path(), "prod").port, 6000, "nothing written before the user picks");
    h.get_by_label("Keep mine").click();
    h.run();
    let now = stored(dir.path(), "prod");
    assert_eq!((now.host.as_str(), now.port), ("mine.example.com", original.port));

    // Again, and this time take the other version.
    retype(&mut h, "User", "someone");
    cli(dir.path(), &["profiles", "edit", "prod", "--user", "theirs"]);
    step_until(&mut h, Duration::from_secs(2), |h| shows(h, "was changed elsewhere"));
    h.get_by_label("Save").click();
    h.run();
    h.get_by_label("Take theirs").click();
    h.run();
    assert_eq!(h.get_by_label("User").value().as_deref(), Some("theirs"));
    assert_eq!(stored(dir.path(), "prod").user, "theirs");
    assert!(h.query_by_label("Changed elsewhere").is_none());
}

#[test]
fn ui_store_newer_file_is_shown_read_only_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let text = "schema_version = 5\nwritten_by = \"7.0.0\"\n\n[[profile]]\nid = \"f\"\nname = \"future\"\nengine = \"postgres\"\nhost = \"f.example.com\"\n";
    std::fs::write(&path, text).unwrap();
    let mut h = app(dir.path());
    h.run();
    let refusal =
        "profiles.toml was written by Shiftgate 7.0.0 or newer; this version will not change it";
    assert!(shows(&h, refusal), "the status bar says so");
    assert!(has_row(&h, "future"), "its profiles are listed");
    click_named(&mut h, "future");
    retype(&mut h, "Host", "changed.example.com");
    h.get_by_label("Save").click();
    h.run();
    assert!(shows(&h, &format!("Not saved: {refusal}")));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "bytes unchanged");
}

#[test]
fn ui_store_backup_notice_names_the_backup_with_open_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(FILE_NAME), "schema_version = 1\n[[profile]\nbroken").unwrap();
    let mut h = app(dir.path());
    h.run();
    let backup = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains(".broken-"))
        .expect("moved aside");
    assert!(shows(&h, &backup.display().to_string()));
    h.get_by_label("Open folder");
}

#[test]
fn ui_store_delete_of_a_profile_changed_elsewhere_asks_delete_anyway_or_keep_theirs() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path(), "prod");
    seed(dir.path(), "stage");
    let mut h = app(dir.path());
    h.run();
    click_named(&mut h, "prod");
    retype(&mut h, "Notes", "my unsaved note");
    cli(dir.path(), &["profiles", "edit", "prod", "--port", "6000"]);
    let noticed = step_until(&mut h, Duration::from_secs(2), |h| shows(h, "was changed elsewhere"));
    assert!(noticed, "the window tells the profile changed elsewhere");

    h.get_by_label("Delete…").click();
    h.run();
    h.get_by_label("Delete").click();
    h.run();
    h.get_by_label("Changed elsewhere");
    assert!(shows(&h, "so it was not deleted"));
    assert!(shows(&h, "differs in: port"), "names what changed");
    assert_eq!(stored(dir.path(), "prod").port, 6000, "nothing deleted before the user picks");
    h.get_by_label("Keep theirs").click();
    h.run();
    assert!(h.query_by_label("Changed elsewhere").is_none());
    assert_eq!(stored(dir.path(), "prod").port, 6000, "kept");
    assert!(has_row(&h, "prod"));

    // Changed elsewhere again: this time delete anyway.
    cli(dir.path(), &["profiles", "edit", "prod", "--user", "theirs"]);
    step_until(&mut h, Duration::from_secs(2), |h| shows(h, "was changed elsewhere"));
    h.get_by_label("Delete…").click();
    h.run();
    h.get_by_label("Delete").click();
    h.run();
    h.get_by_label("Delete anyway").click();
    h.run();
    assert!(ProfileStore::open(dir.path()).unwrap().find("prod").is_none(), "deleted");
    assert!(ProfileStore::open(dir.path()).unwrap().find("stage").is_some(), "the other stays");
    assert!(!has_row(&h, "prod"));
    assert!(shows(&h, "Deleted \"prod\""));
}
