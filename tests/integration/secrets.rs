//! Secrets against the real OS keychain (Secret Service over D-Bus, served by gnome-keyring), and
//! the app's behaviour with no D-Bus at all.
//!
//! The keychain tests need a session bus with an unlocked Secret Service. `scripts/test.sh` provides
//! one — a private `dbus-run-session` with gnome-keyring unlocked by a throwaway password and its
//! files in a temp XDG dir, so a developer's real keyring is never touched:
//!
//! ```sh
//! dbus-run-session -- sh -c 'printf "%s" "$KEYRING_PW" | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec cargo test …'
//! ```
//!
//! Without `DBUS_SESSION_BUS_ADDRESS` those tests FAIL and say so. Set `SHIFTGATE_NO_KEYCHAIN_TESTS=1`
//! to opt out on purpose (they then pass with a note on stderr). The no-D-Bus tests run a child copy
//! of this test binary with the bus variables removed, so this process's environment stays as is.

use shiftgate::net::connect::Password;
use shiftgate::profile::{Engine, Profile, SecretMode, SshAuth, SshHop};
use shiftgate::store::keychain::{KeychainSecretStore, PROBE_TIMEOUT, SERVICE};
use shiftgate::store::password_source::{
    PromptAnswer, PromptRequest, SecretOrigin, forget_profile_secrets, remove_profile_and_secrets,
    resolve_db_password, resolve_ssh_secret,
};
use shiftgate::store::profiles::ProfileStore;
use shiftgate::store::secrets::{SecretKey, SecretKind, SecretStore};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const OPT_OUT: &str = "SHIFTGATE_NO_KEYCHAIN_TESTS";

/// The real keychain, or `None` when the developer opted out. Fails loudly when there is no bus.
fn real_keychain(test: &str) -> Option<KeychainSecretStore> {
    if std::env::var(OPT_OUT).is_ok_and(|v| v == "1") {
        eprintln!("{test}: NOT RUN — {OPT_OUT}=1 (real keychain tests turned off on purpose)");
        return None;
    }
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|a| a.is_empty()) {
        panic!(
            "{test} needs a D-Bus session bus with an unlocked Secret Service, and DBUS_SESSION_BUS_ADDRESS is unset.\n\
             Run the suite through scripts/test.sh (it starts dbus-run-session + gnome-keyring), or set {OPT_OUT}=1 to skip \
             the real-keychain tests on purpose."
        );
    }
    match KeychainSecretStore::open_platform(PROBE_TIMEOUT) {
        Ok(store) => Some(store),
        Err(e) => panic!(
            "{test}: the Secret Service is not usable ({e}). Run the suite through scripts/test.sh, which unlocks a \
             throwaway gnome-keyring, or set {OPT_OUT}=1."
        ),
    }
}

fn key(profile: &Profile, kind: SecretKind) -> SecretKey {
    SecretKey { profile: profile.id.clone(), kind }
}

fn text(secret: Option<Password>) -> Option<String> {
    secret.map(|s| s.as_str().to_string())
}

/// Look the item up with libsecret's own tool, outside Shiftgate's code path.
fn secret_tool_lookup(account: &str) -> Option<Option<String>> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", SERVICE, "username", account])
        .output()
        .ok()?;
    Some(out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned()))
}

#[test]
fn real_keychain_round_trip() {
    let Some(kc) = real_keychain("real_keychain_round_trip") else {
        return;
    };
    assert!(kc.persistent());
    assert_eq!(kc.describe(), "Secret Service keychain");
    let p = Profile::new(Engine::Postgres);
    let k = key(&p, SecretKind::DbPassword);
    assert_eq!(text(kc.get(&k).unwrap()), None, "fresh profile id has nothing saved");
    kc.set(&k, "first pässword ✓").unwrap();
    assert_eq!(text(kc.get(&k).unwrap()).as_deref(), Some("first pässword ✓"));
    kc.set(&k, "second").unwrap();
    assert_eq!(
        text(kc.get(&k).unwrap()).as_deref(),
        Some("second"),
        "set replaces, never duplicates"
    );
    match secret_tool_lookup(&SecretKind::DbPassword.account(&p.id)) {
        Some(found) => assert_eq!(
            found.as_deref(),
            Some("second"),
            "secret-tool sees the item under service=shiftgate"
        ),
        None => eprintln!("note: secret-tool (libsecret-tools) not installed; cross-check skipped"),
    }
    let other = key(&p, SecretKind::SshPassword { hop: 1 });
    kc.set(&other, "hop-1").unwrap();
    kc.delete(&k).unwrap();
    assert_eq!(text(kc.get(&k).unwrap()), None);
    assert_eq!(text(kc.get(&other).unwrap()).as_deref(), Some("hop-1"), "delete is per kind");
    kc.delete(&k).expect("deleting a missing item is fine");
    forget_profile_secrets(&kc, &p).unwrap();
    assert_eq!(text(kc.get(&other).unwrap()), None);
}

/// Every regular file under `dir`, recursively (symlinks not followed).
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            files_under(&entry.path(), out);
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
}

/// Directories the keychain daemon may write to, when they are throwaway ones (under the temp dir):
/// never a developer's real home.
fn throwaway_data_dirs() -> Vec<PathBuf> {
    let tmp = std::env::temp_dir();
    let mut dirs = Vec::new();
    for var in ["XDG_DATA_HOME", "XDG_CONFIG_HOME", "HOME"] {
        if let Some(dir) = std::env::var_os(var).map(PathBuf::from)
            && dir.starts_with(&tmp)
            && dir.is_dir()
            && !dirs.iter().any(|d: &PathBuf| dir.starts_with(d))
        {
            dirs.push(dir);
        }
    }
    dirs
}

#[test]
fn saved_secrets_survive_a_restart_and_never_touch_disk_in_clear() {
    let Some(kc) = real_keychain("saved_secrets_survive_a_restart_and_never_touch_disk_in_clear")
    else {
        return;
    };
    const DB_PW: &str = "Db-Secret-9f3a-⚿";
    const SSH_PP: &str = "Ssh-Passphrase-71c2";
    let config = tempfile::tempdir().unwrap();

    let mut p = Profile::new(Engine::Redshift);
    p.name = "Disk check".into();
    p.host = "cluster.example.com".into();
    p.user = "admin".into();
    p.password_mode = SecretMode::Keychain;
    p.ssh.enabled = true;
    p.ssh.secret_mode = SecretMode::Keychain;
    p.ssh.bastion = SshHop {
        host: "bastion.example.com".into(),
        port: 22,
        user: "ec2-user".into(),
        auth: SshAuth::Key { path: "/keys/id_ed25519".into() },
    };
    {
        let mut profiles = ProfileStore::open(config.path()).unwrap();
        profiles.upsert(p.clone()).unwrap();
        let mut answers =
            vec![(SecretKind::DbPassword, DB_PW), (SecretKind::SshPassphrase { hop: 0 }, SSH_PP)]
                .into_iter();
        let mut prompt = |req: &PromptRequest| {
            let (kind, secret) = answers.next().expect("asked exactly twice");
            assert_eq!(req.key.kind, kind);
            assert!(req.offer_remember);
            Some(PromptAnswer { secret: Password::new(secret.into()), remember: true })
        };
        let db = resolve_db_password(&p, &kc, &mut prompt).unwrap();
        assert!(db.saved, "{:?}", db.notices);
        let ssh = resolve_ssh_secret(&p, &SecretKind::SshPassphrase { hop: 0 }, &kc, &mut prompt);
        assert!(ssh.saved, "{:?}", ssh.notices);
    }
    drop(kc);

    // "Restart": new store objects, nothing carried over in memory.
    let kc = real_keychain("restart").expect("the keychain is still there");
    let profiles = ProfileStore::open(config.path()).unwrap();
    let p2 = profiles.get(&p.id).expect("profile reloaded").clone();
    let mut never = |_: &PromptRequest| -> Option<PromptAnswer> {
        panic!("saved secrets must not be asked again")
    };
    let db = resolve_db_password(&p2, &kc, &mut never).unwrap();
    assert_eq!((text(db.secret).as_deref(), db.origin), (Some(DB_PW), SecretOrigin::Keychain));
    let ssh = resolve_ssh_secret(&p2, &SecretKind::SshPassphrase { hop: 0 }, &kc, &mut never);
    assert_eq!((text(ssh.secret).as_deref(), ssh.origin), (Some(SSH_PP), SecretOrigin::Keychain));

    // Neither secret is in any file Shiftgate or the keychain daemon wrote.
    let mut dirs = vec![config.path().to_path_buf()];
    dirs.extend(throwaway_data_dirs());
    let mut files = Vec::new();
    for d in &dirs {
        files_under(d, &mut files);
    }
    assert!(
        files.iter().any(|f| f.ends_with("profiles.toml")),
        "the profile file was written: {files:?}"
    );
    let mut scanned = 0;
    for f in &files {
        let Ok(bytes) = std::fs::read(f) else {
            continue;
        };
        scanned += 1;
        for secret in [DB_PW, SSH_PP] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "secret found in clear text in {}",
                f.display()
            );
        }
    }
    eprintln!("scanned {scanned} files under {dirs:?}");
    if !throwaway_data_dirs().is_empty() {
        assert!(
            files.iter().any(|f| f.to_string_lossy().contains("keyrings")),
            "expected gnome-keyring's own files among the scanned ones: {files:?}"
        );
    }

    // Delete the profile: its secrets go too.
    let mut profiles = profiles;
    let (_, warning) = remove_profile_and_secrets(&mut profiles, &kc, &p.id).unwrap();
    assert_eq!(warning, None);
    assert_eq!(text(kc.get(&key(&p, SecretKind::DbPassword)).unwrap()), None);
    assert_eq!(text(kc.get(&key(&p, SecretKind::SshPassphrase { hop: 0 })).unwrap()), None);
}

/// Run `shiftgate secrets status` (inside `wrapper`, if given) with an empty runtime dir and
/// `configure`'s environment changes; returns its stdout and how long it took.
fn run_child(wrapper: Option<&str>, configure: impl FnOnce(&mut Command)) -> (String, Duration) {
    let exe = std::path::PathBuf::from(env!("CARGO_BIN_EXE_shiftgate"));
    let runtime = tempfile::tempdir().unwrap();
    let mut cmd = match wrapper {
        Some(w) => {
            let mut c = Command::new(w);
            c.arg("--").arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    cmd.args(["secrets", "status"])
        // An empty runtime dir, so zbus's fallback `$XDG_RUNTIME_DIR/bus` finds no bus either.
        .env("XDG_RUNTIME_DIR", runtime.path());
    configure(&mut cmd);
    let started = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| panic!("could not run {cmd:?}: {e}"));
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (stdout, elapsed)
}

/// The status lines as one `persistent=… reason=…` line, for the assertions below.
fn child_line(stdout: &str) -> String {
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} line in:\n{stdout}"))
            .to_string()
    };
    let probe_ms: u128 = field("probe_ms").parse().unwrap_or(u128::MAX);
    assert!(
        probe_ms < (PROBE_TIMEOUT + Duration::from_millis(500)).as_millis(),
        "probe took {probe_ms} ms"
    );
    format!("persistent={} reason={}", field("persistent"), field("reason"))
}

#[test]
fn without_dbus_the_app_uses_memory_and_says_why_quickly() {
    let (stdout, elapsed) = run_child(None, |c| {
        c.env_remove("DBUS_SESSION_BUS_ADDRESS");
    });
    let line = &child_line(&stdout);
    assert!(
        line.contains("persistent=false")
            && line
                .contains("reason=No keychain: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset). Passwords will be asked every time."),
        "{line}"
    );
    assert!(elapsed < Duration::from_secs(20), "child took {elapsed:?}");
}

#[test]
fn with_an_unreachable_bus_the_app_uses_memory_and_says_why_quickly() {
    let (stdout, _) = run_child(None, |c| {
        c.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/shiftgate-test-bus");
    });
    let line = &child_line(&stdout);
    assert!(
        line.contains("persistent=false")
            && line.contains("reason=No keychain: cannot reach the D-Bus session bus"),
        "{line}"
    );
}

#[test]
fn with_a_locked_secret_service_the_app_uses_memory_and_says_why_quickly() {
    if std::env::var(OPT_OUT).is_ok_and(|v| v == "1") {
        eprintln!("locked Secret Service test: NOT RUN — {OPT_OUT}=1");
        return;
    }
    for tool in ["dbus-run-session", "gnome-keyring-daemon"] {
        let found = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {tool}"))
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "{tool} is missing: install the Debian packages dbus and gnome-keyring (scripts/test.sh does), or set {OPT_OUT}=1"
        );
    }
    // A private bus where D-Bus activation starts a fresh gnome-keyring that nobody unlocked: it
    // answers lookups but refuses to store — the headless "locked keyring" case.
    let data = tempfile::tempdir().unwrap();
    let (stdout, elapsed) = run_child(Some("dbus-run-session"), |c| {
        c.env_remove("DBUS_SESSION_BUS_ADDRESS").env("XDG_DATA_HOME", data.path());
    });
    let line = &child_line(&stdout);
    assert!(
        line.contains("persistent=false")
            && line.contains("reason=No keychain: the keychain is locked"),
        "{line}"
    );
    assert!(elapsed < Duration::from_secs(20), "child took {elapsed:?}");
}
