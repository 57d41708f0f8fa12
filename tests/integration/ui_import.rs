//! Import and export in the GUI, driven like a user (egui_kittest + AccessKit labels): a fake file
//! picker hands over temp files, the profile store lives in a temp config dir, secrets in memory.

use crate::support::ui::{no_backend, window};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use shiftgate::app::{App, FilePicker};
use shiftgate::profile::{Engine, Profile};
use shiftgate::store::profiles::ProfileStore;
use shiftgate::store::secrets::{MemorySecretStore, SecretError, SecretKey, SecretStore};
use shiftgate_core::import::export::import_export;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const PGPASS: &str =
    "db1.example.com:5432:sales:alice:pw-alice-1\ndb2.example.com:5432:hr:bob:pw-bob-2\n";
const ALICE: &str = "alice@db1.example.com/sales";
const BOB: &str = "bob@db2.example.com/hr";

/// Hands out whatever path the test put in (`None` = the user cancelled).
#[derive(Clone, Default)]
struct FakePicker {
    open: Arc<Mutex<Option<PathBuf>>>,
    save: Arc<Mutex<Option<PathBuf>>>,
}

impl FilePicker for FakePicker {
    fn pick_ca_file(&mut self, _current: Option<&Path>) -> Option<PathBuf> {
        None
    }

    fn save_file(&mut self, _suggested_name: &str) -> Option<PathBuf> {
        None
    }

    fn pick_import_file(&mut self) -> Option<PathBuf> {
        self.open.lock().unwrap().clone()
    }

    fn save_export_file(&mut self, _suggested_name: &str) -> Option<PathBuf> {
        self.save.lock().unwrap().clone()
    }
}

/// The memory store, counting writes (it cannot list its keys).
#[derive(Default)]
struct CountingSecrets {
    inner: MemorySecretStore,
    sets: AtomicUsize,
}

impl SecretStore for CountingSecrets {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn persistent(&self) -> bool {
        false
    }
    fn get(
        &self,
        key: &SecretKey,
    ) -> Result<Option<shiftgate::net::connect::Password>, SecretError> {
        self.inner.get(key)
    }
    fn set(&self, key: &SecretKey, secret: &str) -> Result<(), SecretError> {
        self.sets.fetch_add(1, Ordering::SeqCst);
        self.inner.set(key, secret)
    }
    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        self.inner.delete(key)
    }
}

struct Fixture {
    config: tempfile::TempDir,
    files: tempfile::TempDir,
    secrets: Arc<CountingSecrets>,
    picker: FakePicker,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            config: tempfile::tempdir().unwrap(),
            files: tempfile::tempdir().unwrap(),
            secrets: Arc::default(),
            picker: FakePicker::default(),
        }
    }

    fn app(&self) -> Harness<'static, App> {
        let store = ProfileStore::open(self.config.path()).unwrap();
        let secrets: Arc<dyn SecretStore> = self.secrets.clone();
        let picker = self.picker.clone();
        window([1280.0, 1000.0], store, secrets, picker, no_backend)
    }

    /// Write `text` to a file named `name` (mode 0600) and make the picker return it.
    fn file_to_import(&self, name: &str, text: &str) -> PathBuf {
        let path = self.files.path().join(name);
        std::fs::write(&path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        *self.picker.open.lock().unwrap() = Some(path.clone());
        path
    }

    fn stored(&self) -> Vec<Profile> {
        ProfileStore::open(self.config.path()).unwrap().profiles().to_vec()
    }

    fn secret_writes(&self) -> usize {
        self.secrets.sets.load(Ordering::SeqCst)
    }

    /// Every file under the config dir, as text.
    fn config_texts(&self) -> Vec<String> {
        let mut texts = Vec::new();
        let mut dirs = vec![self.config.path().to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    texts.push(String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned());
                }
            }
        }
        texts
    }
}

fn open_import(h: &mut Harness<'_, App>) {
    h.get_by_label("Import…").click();
    h.run();
    // The file is read and planned in the background; the dialog opens when that is done.
    wait_for_background(h);
    h.get_by_label("Import profiles");
}

fn checkbox(h: &Harness<'_, App>, name: &str) -> bool {
    h.get_by_role_and_label(Role::CheckBox, name)
        .accesskit_node()
        .toggled()
        .is_some_and(|t| t == egui::accesskit::Toggled::True)
}

/// Cancel closes the preview; no profile, no file under the config dir, no secret was written.
fn cancel_writes_nothing(h: &mut Harness<'_, App>, fx: &Fixture) {
    h.get_by_label("Cancel").click();
    h.run();
    assert!(h.query_by_label("Import profiles").is_none(), "the dialog closes");
    assert!(fx.stored().is_empty());
    assert!(fx.config_texts().is_empty(), "no file written");
    assert_eq!(fx.secret_writes(), 0, "no secret written");
}

#[test]
fn ui_import_pgpass_ticked_entries_only_passwords_to_the_secret_store() {
    let fx = Fixture::new();
    fx.file_to_import(".pgpass", PGPASS);
    {
        let mut h = fx.app();
        h.run();
        open_import(&mut h);
        h.get_by_label("Create (2)");
        h.get_by_label_contains("detected");
        assert!(checkbox(&h, ALICE) && checkbox(&h, BOB), "everything is ticked at first");
        h.get_by_label("Import 2 profiles");

        h.get_by_role_and_label(Role::CheckBox, BOB).click();
        h.run();
        assert!(!checkbox(&h, BOB));
        h.get_by_label("Import 1 profile").click();
        h.run();
        assert!(h.query_by_label("Import profiles").is_none(), "the dialog closes");
        wait_for_background(&mut h);
        // The status bar shows the last line (the keychain's); the log has both.
        h.get_by_label_contains("1 imported password(s) saved in");
        assert!(
            h.state().state().log.iter().any(|l| l.text.starts_with("Imported 1 profile")),
            "the import itself is reported"
        );
    }

    let stored = fx.stored();
    assert_eq!(stored.len(), 1, "only the ticked profile: {stored:?}");
    let alice = &stored[0];
    assert_eq!(
        (alice.name.as_str(), alice.host.as_str(), alice.port, alice.user.as_str()),
        (ALICE, "db1.example.com", 5432, "alice")
    );
    let saved = fx
        .secrets
        .get(&SecretKey::db_password(&alice.id))
        .unwrap()
        .expect("password in the secret store");
    assert_eq!(saved.as_str(), "pw-alice-1");
    assert_eq!(fx.secret_writes(), 1, "no password for the unticked profile");
    let texts = fx.config_texts();
    assert!(!texts.is_empty());
    assert!(
        texts.iter().all(|t| !t.contains("pw-alice-1") && !t.contains("pw-bob-2")),
        "no password under the config dir"
    );

    // The same file again: alice is already there with the same password, bob is still new.
    let mut h = fx.app();
    h.run();
    open_import(&mut h);
    h.get_by_label("Skip (1)");
    h.get_by_label_contains(&format!("{ALICE} — identical"));
    h.get_by_label("Create (1)");
    h.get_by_role_and_label(Role::CheckBox, BOB);
    assert!(h.query_by_role_and_label(Role::CheckBox, ALICE).is_none(), "a skip has no tick");
}

#[test]
fn ui_import_malformed_dbt_target_is_listed_with_its_line_and_the_rest_imports() {
    let fx = Fixture::new();
    let yml = "analytics:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      host: db.example.com\n      port: not-a-port\n      user: dbt\n      password: dbt-secret\n      dbname: analytics\n      schema: public\n    prod:\n      type: postgres\n      host: prod.example.com\n      user: dbt\n      dbname: analytics\n";
    fx.file_to_import("profiles.yml", yml);
    let mut h = fx.app();
    h.run();
    open_import(&mut h);
    let warning = h.get_by_label_contains("line 7").value().unwrap_or_default();
    assert!(warning.contains("not-a-port") && warning.contains("not imported"), "{warning}");
    assert!(!warning.contains("dbt-secret"));
    h.get_by_label("Import 1 profile").click();
    h.run();
    let hosts: Vec<String> = fx.stored().iter().map(|p| p.host.clone()).collect();
    assert_eq!(hosts, ["prod.example.com"], "the good target is imported");
}

#[test]
fn ui_import_cancel_writes_nothing_and_format_can_be_overridden() {
    let fx = Fixture::new();
    // A pgpass file under a dbt name: detection says dbt, which fails; the user picks pgpass.
    fx.file_to_import("profiles.yml", PGPASS);
    let mut h = fx.app();
    h.run();
    open_import(&mut h);
    h.get_by_label_contains("Nothing will be imported");
    h.get_by_label("Format").click();
    h.run();
    h.get_by_label("~/.pgpass").click();
    h.run();
    wait_for_background(&mut h);
    h.get_by_label("Create (2)");
    h.get_by_label_contains("chosen (detected: dbt profiles.yml)");
    cancel_writes_nothing(&mut h, &fx);
}

#[test]
fn ui_export_all_and_selected_without_passwords() {
    let fx = Fixture::new();
    let mut seeded = Vec::new();
    {
        let mut store = ProfileStore::open(fx.config.path()).unwrap();
        for (name, engine) in [("warehouse", Engine::Redshift), ("orders", Engine::Postgres)] {
            let mut p = Profile::new(engine);
            p.name = name.into();
            p.host = format!("{name}.example.com");
            p.user = "admin".into();
            store.upsert(p.clone()).unwrap();
            fx.secrets.set(&SecretKey::db_password(&p.id), &format!("pw-{name}")).unwrap();
            seeded.push(p);
        }
    }
    let all = fx.files.path().join("all.toml");
    *fx.picker.save.lock().unwrap() = Some(all.clone());
    let mut h = fx.app();
    h.run();
    h.get_by_label("Export…").click();
    h.run();
    wait_for_background(&mut h);
    h.get_by_label_contains("Exported 2 profiles");
    h.get_by_label_contains("no passwords are included");
    let text = std::fs::read_to_string(&all).unwrap();
    assert!(!text.contains("pw-warehouse") && !text.contains("pw-orders"));
    let mut back = import_export(&text).unwrap();
    back.sort_by(|a, b| a.name.cmp(&b.name));
    seeded.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(back, seeded);

    // With a profile selected, "Export…" offers the selected one or all; `.json` means JSON.
    let one = fx.files.path().join("one.json");
    *fx.picker.save.lock().unwrap() = Some(one.clone());
    h.get_by_label("warehouse").click();
    h.run();
    h.get_by_label("Export…").click();
    h.run();
    h.get_by_label("Export all profiles…");
    h.get_by_label("Export selected profile…").click();
    h.run();
    wait_for_background(&mut h);
    h.get_by_label_contains("Exported 1 profile to");
    let text = std::fs::read_to_string(&one).unwrap();
    assert!(text.trim_start().starts_with('{') && !text.contains("pw-warehouse"));
    let back = import_export(&text).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].name, "warehouse");
}

/// Step until the app's background work (file writes, keychain calls) is done, then once more.
fn wait_for_background(h: &mut Harness<'_, App>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while h.state().background_jobs() > 0 {
        assert!(std::time::Instant::now() < deadline, "background work did not finish");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    h.step();
    h.run();
}

/// Entries matching existing profiles each get a choice (replace / skip / keep both); applying
/// writes profile by profile, so when one of them is changed from the command line while the
/// dialog is open, the others land and that one comes back in the dialog to be chosen again.
#[test]
fn ui_import_collisions_are_chosen_per_entry_and_one_changed_meanwhile_comes_back() {
    let fx = Fixture::new();
    let existing = |name: &str, host: &str, db: &str, user: &str| {
        let mut p = Profile::new(Engine::Postgres);
        p.name = name.into();
        p.host = host.into();
        p.database = db.into();
        p.user = user.into();
        ProfileStore::open(fx.config.path()).unwrap().upsert(p.clone()).unwrap();
        p
    };
    let warehouse = existing("warehouse", "db1.example.com", "sales", "alice");
    let hr = existing("hr db", "db2.example.com", "hr", "bob");
    fx.file_to_import(".pgpass", &format!("{PGPASS}db3.example.com:5432:ops:carol:pw-carol-3\n"));
    let mut h = fx.app();
    h.run();
    open_import(&mut h);
    h.get_by_label("Matches an existing profile (2)");
    h.get_by_label("Create (1)");
    // The first match (alice's server, saved as "warehouse"): keep both. The second: replace.
    h.get_all_by_label("Keep both").next().expect("a choice per match").click();
    h.run();
    h.get_by_label("Import 3 profiles");

    // Meanwhile the command line changes "hr db".
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_shiftgate"))
        .arg("--config-dir")
        .arg(fx.config.path())
        .args(["profiles", "edit", "hr db", "--notes", "edited elsewhere"])
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    h.get_by_label("Import 3 profiles").click();
    h.run();
    wait_for_background(&mut h);
    h.get_by_label("Import profiles"); // still open, for the entry that did not fit
    h.get_by_label("Matches an existing profile (1)");
    let retry = h.query_all_by_label_contains("1 entry was not written").count();
    assert!(retry >= 1, "the dialog says why");
    assert!(h.query_all_by_label_contains("changed elsewhere since the preview").count() >= 1);
    let stored = fx.stored();
    let names: Vec<&str> = stored.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["warehouse", "hr db", ALICE, "carol@db3.example.com/ops"], "{stored:?}");
    assert_eq!(stored[0], warehouse, "keep both leaves the existing one as it was");
    assert_eq!(stored[1].notes, "edited elsewhere", "the change made elsewhere is kept");
    let alice_copy = &stored[2];
    assert_eq!((alice_copy.host.as_str(), alice_copy.user.as_str()), ("db1.example.com", "alice"));
    let pw = |id: &shiftgate::profile::ProfileId| {
        fx.secrets.get(&SecretKey::db_password(id)).unwrap().map(|p| p.as_str().to_owned())
    };
    assert_eq!(pw(&alice_copy.id).as_deref(), Some("pw-alice-1"));
    assert_eq!(pw(&hr.id), None, "nothing written for the entry that came back");

    // Chosen again (replace): it lands on the current version, which keeps its notes.
    h.get_by_label("Import 1 profile").click();
    h.run();
    wait_for_background(&mut h);
    assert!(h.query_by_label("Import profiles").is_none(), "the dialog closes");
    let now = fx.stored();
    assert_eq!(now.len(), 4);
    assert_eq!(now[1].notes, "edited elsewhere");
    assert_eq!(pw(&hr.id).as_deref(), Some("pw-bob-2"));
}
