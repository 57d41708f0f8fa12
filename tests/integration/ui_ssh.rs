//! The SSH section and the secret prompts, driven by mouse and keyboard through AccessKit labels
//! with the real backend: real `sshd`s (see `support::sshd`) in front of the throwaway
//! PostgreSQL. Also: a password command in the GUI, the CLI built only from the SSH flags, and a
//! keychain that hangs for 30 s while the window keeps drawing.

use crate::support::ui::{
    FakePicker, choose, no_backend, press, set_field, settle, step_until, window,
};
use crate::support::{self, pg, sshd};
use egui::accesskit::Role;
use egui::vec2;
use egui_kittest::Harness;
use egui_kittest::kittest::{Queryable, by};
use shiftgate::app::{App, AppDeps};
use shiftgate::net::connect::Password;
use shiftgate::net::credentials::SecretKind;
use shiftgate::net::ssh::{HostKeyPolicy, TunnelOptions};
use shiftgate::profile::{Engine, Profile, SecretMode};
use shiftgate::report::{StepKind, StepStatus};
use shiftgate::store::profiles::ProfileStore;
use shiftgate::store::secrets::{MemorySecretStore, SecretError, SecretKey, SecretStore};
use shiftgate::tasks::{EventSink, TokioBackend};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

const DB_PW: &str = "Ui-Ssh-Db-Pass-1";

fn db_user() -> &'static str {
    static ONCE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| pg::server().create_user("sg_uissh", DB_PW, true));
    "sg_uissh"
}

/// A config dir, known-hosts files and an SSH config of its own, and the real backend.
struct Fixture {
    dir: tempfile::TempDir,
    secrets: Arc<dyn SecretStore>,
}

impl Fixture {
    /// `known`: servers whose host keys the "user" known-hosts file already holds.
    fn new(known: &[&sshd::Sshd]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let lines: String = known.iter().map(|s| s.known_hosts_line()).collect();
        std::fs::write(dir.path().join("user_known_hosts"), lines).unwrap();
        Fixture { dir, secrets: Arc::new(MemorySecretStore::default()) }
    }

    fn ssh_config(&self) -> PathBuf {
        self.dir.path().join("ssh_config")
    }

    fn app(&self) -> Harness<'static, App> {
        let store = ProfileStore::open(&self.dir.path().join("config")).unwrap();
        let secrets = self.secrets.clone();
        let tunnel = TunnelOptions {
            host_keys: HostKeyPolicy::Refuse,
            app_known_hosts: Some(self.dir.path().join("config").join("known_hosts")),
            user_known_hosts: Some(self.dir.path().join("user_known_hosts")),
            ssh_config: Some(self.ssh_config()),
            agent_socket: Some(self.dir.path().join("no_agent.sock")),
        };
        let ssh_config = self.ssh_config();
        Harness::builder().with_max_steps(16).with_size(vec2(1400.0, 1400.0)).build_eframe(
            move |cc| {
                let (tx, rx) = std::sync::mpsc::channel();
                let ctx = cc.egui_ctx.clone();
                let sink = EventSink::new(tx, Arc::new(move || ctx.request_repaint()));
                let backend = TokioBackend::new(support::rt().handle().clone(), sink)
                    .with_tunnel_options(tunnel)
                    .with_secrets(secrets.clone());
                let deps = AppDeps {
                    store,
                    secrets,
                    backend: Box::new(backend),
                    events: rx,
                    file_picker: Box::new(FakePicker {
                        key: Some(sshd::keys().encrypted.clone()),
                        ..FakePicker::default()
                    }),
                };
                App::new(None, deps).with_ssh_config(ssh_config)
            },
        )
    }
}

fn test_finished(h: &Harness<'_, App>) -> bool {
    h.state().state().run.as_ref().is_some_and(|r| !r.running)
}

/// Run the test that was just started, answering host-key questions with "Trust and remember"
/// and secret questions with `secret`; returns how many of each were asked.
fn answer_until_finished(h: &mut Harness<'_, App>, secret: &str) -> (usize, usize) {
    let (mut keys, mut secrets) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !test_finished(h) {
        assert!(Instant::now() < deadline, "the test did not finish");
        if h.query_by_label("Unknown SSH host key").is_some() {
            h.get_by_label_contains("SHA256:");
            press(h, "Trust and remember");
            keys += 1;
        } else if h.query_by_label("SSH key passphrase").is_some() {
            set_field(h, "SSH key passphrase", secret);
            press(h, "Connect");
            secrets += 1;
        }
        std::thread::sleep(Duration::from_millis(15));
        h.step();
    }
    settle(h);
    (keys, secrets)
}

/// The finished report has every SSH hop's steps green, for hops `0..hops`.
fn assert_every_hop_green(h: &Harness<'_, App>, hops: usize, with_db: bool) {
    let run = h.state().state().run.as_ref().expect("a test ran");
    let report = &run.report;
    assert!(report.succeeded(), "{}", report.render_text());
    for hop in 0..hops {
        for kind in
            [StepKind::SshBanner { hop }, StepKind::SshHostKey { hop }, StepKind::SshAuth { hop }]
        {
            let step = report.steps.iter().find(|s| s.kind == kind);
            assert!(
                step.is_some_and(|s| s.status == StepStatus::Ok),
                "{kind:?} not green:\n{}",
                report.render_text()
            );
            h.get_by_label(&kind.label());
        }
    }
    assert!(report.steps.iter().any(|s| matches!(s.kind, StepKind::SshChannel { .. })));
    assert_eq!(report.server.is_some(), with_db, "{}", report.render_text());
}

/// Engine, host, port, database, user, password and CA of the harness database.
fn fill_database_fields(h: &mut Harness<'_, App>, name: &str, password: Option<&str>) {
    let s = pg::server();
    press(h, "New profile");
    set_field(h, "Name", name);
    choose(h, "Engine", "PostgreSQL");
    set_field(h, "Host", "localhost");
    set_field(h, "Port", &s.port.to_string());
    set_field(h, "Database", "postgres");
    set_field(h, "User", db_user());
    if let Some(pw) = password {
        set_field(h, "Password", pw);
    }
    set_field(h, "CA file", &s.ca_file.display().to_string());
}

#[test]
fn ui_ssh_tunnel_with_passphrase_key_answers_host_key_and_passphrase_dialogs() {
    let server = sshd::main_server();
    let fx = Fixture::new(&[]);
    let mut h = fx.app();
    h.run();
    fill_database_fields(&mut h, "through bastion", Some(DB_PW));
    press(&mut h, "SSH tunnel");
    set_field(&mut h, "Bastion host", "127.0.0.1");
    set_field(&mut h, "Bastion port", &server.port.to_string());
    set_field(&mut h, "Bastion user", &sshd::login_user());
    choose(&mut h, "Bastion auth", "Key file");
    h.get_by_label("Bastion: choose a private key file.");
    press(&mut h, "Choose bastion key");
    assert_eq!(
        h.get_by_label("Bastion key file").value().unwrap_or_default(),
        sshd::keys().encrypted.display().to_string(),
        "the picker filled the field"
    );
    assert!(h.query_by_label("Bastion: choose a private key file.").is_none());
    set_field(&mut h, "SSH timeout (s)", "0");
    h.get_by_label("SSH timeout must be between 1 and 600 seconds.");
    set_field(&mut h, "SSH timeout (s)", "15");
    press(&mut h, "Save");
    let saved = h.state().store().profiles()[0].clone();
    assert!(saved.ssh.enabled && saved.ssh.config_alias.is_none());
    assert_eq!(saved.ssh.connect_timeout_secs, 15);
    step_until(&mut h, "the keychain write", 10, |h| h.state().background_jobs() == 0);
    assert!(fx.secrets.get(&SecretKey::db_password(&saved.id)).unwrap().is_some());

    // Nothing typed for the key: the task asks for its passphrase and about the host key.
    press(&mut h, "Test connection");
    let (keys, secrets) = answer_until_finished(&mut h, sshd::KEY_PASSPHRASE);
    assert_eq!((keys, secrets), (1, 1), "one host-key and one passphrase question");
    assert_every_hop_green(&h, 1, true);
    assert!(fx.dir.path().join("config").join("known_hosts").exists(), "key remembered");

    // The dialog offered "Remember in …" (keychain mode) and it was left ticked: the passphrase
    // is in the keychain now, the key in the known-hosts file. Test tunnel asks nothing.
    let passphrase =
        SecretKey { profile: saved.id.clone(), kind: SecretKind::SshPassphrase { hop: 0 } };
    assert_eq!(
        fx.secrets.get(&passphrase).unwrap().as_deref().map(String::as_str),
        Some(sshd::KEY_PASSPHRASE)
    );
    press(&mut h, "Test tunnel");
    let (keys, secrets) = answer_until_finished(&mut h, "unused");
    assert_eq!((keys, secrets), (0, 0));
    assert_every_hop_green(&h, 1, false);
}

#[test]
fn ui_ssh_config_alias_shows_what_it_resolves_to_then_a_two_hop_chain() {
    let (outer, inner) = (sshd::main_server(), sshd::inner_server());
    let fx = Fixture::new(&[outer, inner]);
    let user = sshd::login_user();
    std::fs::write(
        fx.ssh_config(),
        format!(
            "Host db-bastion\n  HostName 127.0.0.1\n  Port {}\n  User {user}\n  IdentityFile {}\n  IdentitiesOnly yes\n\n\
             Host db-inner\n  HostName 127.0.0.1\n  Port {}\n  User {user}\n  IdentityFile {}\n  ProxyJump db-bastion\n",
            outer.port,
            sshd::keys().ed25519.display(),
            inner.port,
            sshd::keys().rsa.display(),
        ),
    )
    .unwrap();
    let mut h = fx.app();
    h.run();
    fill_database_fields(&mut h, "alias", Some(DB_PW));
    press(&mut h, "SSH config alias");
    h.get_by_label("SSH config alias is empty: enter a Host name from ~/.ssh/config.");
    set_field(&mut h, "Host alias", "db-inner");
    step_until(&mut h, "the alias preview", 10, |h| {
        h.query_by_label_contains("resolves to").is_some()
    });
    h.get_by_label("HostName: 127.0.0.1");
    h.get_by_label(&format!("Port: {}", inner.port));
    h.get_by_label(&format!("User: {user}"));
    h.get_by_label(&format!("IdentityFile: {}", sshd::keys().rsa.display()));
    h.get_by_label(&format!("ProxyJump: {user}@127.0.0.1:{}", outer.port));
    press(&mut h, "Test connection");
    let (keys, secrets) = answer_until_finished(&mut h, "");
    assert_eq!((keys, secrets), (0, 0), "known hosts, unencrypted keys: nothing to ask");
    assert_every_hop_green(&h, 2, true);

    // The same chain entered by hand: bastion = inner, one jump host = outer.
    press(&mut h, "SSH tunnel");
    set_field(&mut h, "Bastion host", "127.0.0.1");
    set_field(&mut h, "Bastion port", &inner.port.to_string());
    set_field(&mut h, "Bastion user", &user);
    choose(&mut h, "Bastion auth", "Key file");
    set_field(&mut h, "Bastion key file", &sshd::keys().rsa.display().to_string());
    press(&mut h, "Add jump host");
    set_field(&mut h, "Jump host 1 host", "127.0.0.1");
    set_field(&mut h, "Jump host 1 port", &outer.port.to_string());
    set_field(&mut h, "Jump host 1 user", &user);
    choose(&mut h, "Jump host 1 auth", "Key file");
    set_field(&mut h, "Jump host 1 key file", &sshd::keys().ed25519.display().to_string());
    press(&mut h, "Save");
    let saved = h.state().store().profiles()[0].clone();
    assert_eq!((saved.ssh.jump_hosts.len(), saved.ssh.config_alias.clone()), (1, None));
    press(&mut h, "Test connection");
    let (keys, secrets) = answer_until_finished(&mut h, "");
    assert_eq!((keys, secrets), (0, 0));
    assert_every_hop_green(&h, 2, true);
    let auth = |hop| {
        let r = &h.state().state().run.as_ref().unwrap().report;
        r.steps.iter().find(|s| s.kind == StepKind::SshAuth { hop }).unwrap().detail.clone()
    };
    assert!(
        auth(0).contains("ssh-ed25519") && auth(1).contains("rsa-sha2"),
        "{} / {}",
        auth(0),
        auth(1)
    );
}

#[test]
fn ui_password_command_profile_tests_green() {
    let fx = Fixture::new(&[]);
    let mut h = fx.app();
    h.run();
    fill_database_fields(&mut h, "by command", None);
    press(&mut h, "Ask every time");
    set_field(&mut h, "Password command", &format!("printf '%s\\n' '{DB_PW}'"));
    press(&mut h, "Save");
    press(&mut h, "Test connection");
    step_until(&mut h, "the test", 60, test_finished);
    assert!(h.query_by_label("Database password").is_none(), "the command answered, nobody asked");
    let report = &h.state().state().run.as_ref().unwrap().report;
    assert!(report.succeeded(), "{}", report.render_text());
    h.get_by_label_contains("OK in");
}

/// A keychain whose every call hangs for 30 s.
struct HangingKeychain;

impl SecretStore for HangingKeychain {
    fn describe(&self) -> String {
        "hanging keychain".into()
    }
    fn persistent(&self) -> bool {
        true
    }
    fn get(&self, _key: &SecretKey) -> Result<Option<Password>, SecretError> {
        std::thread::sleep(Duration::from_secs(30));
        Ok(None)
    }
    fn set(&self, _key: &SecretKey, _secret: &str) -> Result<(), SecretError> {
        std::thread::sleep(Duration::from_secs(30));
        Ok(())
    }
    fn delete(&self, _key: &SecretKey) -> Result<(), SecretError> {
        std::thread::sleep(Duration::from_secs(30));
        Ok(())
    }
}

/// A window on a store with one profile, "hung", using `secrets`.
fn window_with(secrets: Arc<dyn SecretStore>) -> (tempfile::TempDir, Harness<'static, App>) {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Profile::new(Engine::Postgres);
    p.name = "hung".into();
    p.host = "db.example.com".into();
    p.user = "admin".into();
    p.password_mode = SecretMode::Keychain;
    ProfileStore::open(dir.path()).unwrap().upsert(p).unwrap();
    let store = ProfileStore::open(dir.path()).unwrap();
    let h = window([1280.0, 900.0], store, secrets, FakePicker::default(), no_backend);
    (dir, h)
}

/// Open "hung", type a password, save (a keychain lookup and a keychain write), then draw
/// `frames` frames; returns the time they took and the longest one.
fn open_save_and_draw(h: &mut Harness<'_, App>, frames: u32) -> (Duration, Duration) {
    h.run();
    h.get(by().label("hung").predicate(|n| n.role() != Role::Label)).click();
    h.run();
    set_field(h, "Password", "typed");
    press(h, "Save");
    h.get_by_label("Saved \"hung\"");
    let started = Instant::now();
    let mut longest = Duration::ZERO;
    for _ in 0..frames {
        let t = Instant::now();
        h.step();
        longest = longest.max(t.elapsed());
    }
    (started.elapsed(), longest)
}

#[test]
fn ui_keeps_drawing_while_the_keychain_hangs_for_30_seconds() {
    const FRAMES: u32 = 200;
    // Anchor: the same steps with a store that answers at once.
    let (_anchor_dir, mut anchor) = window_with(Arc::new(MemorySecretStore::default()));
    let (anchor_time, anchor_longest) = open_save_and_draw(&mut anchor, FRAMES);

    let (_dir, mut h) = window_with(Arc::new(HangingKeychain));
    let (time, longest) = open_save_and_draw(&mut h, FRAMES);
    assert!(
        h.state().background_jobs() >= 2,
        "{FRAMES} frames were drawn while the keychain lookup and write still hung"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "frames while the keychain hangs 30 s: {FRAMES} in {:.0} ms (mean {:.2} ms, longest {:.2} ms); \
         anchor (memory store, same run): {FRAMES} in {:.0} ms (mean {:.2} ms, longest {:.2} ms); \
         mean ratio {:.2}",
        ms(time),
        ms(time) / f64::from(FRAMES),
        ms(longest),
        ms(anchor_time),
        ms(anchor_time) / f64::from(FRAMES),
        ms(anchor_longest),
        time.as_secs_f64() / anchor_time.as_secs_f64()
    );
}

#[test]
fn cli_profile_made_only_from_ssh_flags_tunnels_through_sshd() {
    let (outer, inner) = (sshd::main_server(), sshd::inner_server());
    let s = pg::server();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let user = sshd::login_user();
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_shiftgate"))
            .arg("--config-dir")
            .arg(&config)
            .args(args)
            .stdin(std::process::Stdio::null())
            .env("HOME", home.path())
            .env("PGPASSWORD", DB_PW)
            .env("SHIFTGATE_SSH_PASSPHRASE", sshd::KEY_PASSPHRASE)
            .env_remove("SSH_AUTH_SOCK")
            .output()
            .expect("run shiftgate");
        let text =
            format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        (o.status.success(), text)
    };
    let jump = format!("{user}@127.0.0.1:{},key={}", outer.port, sshd::keys().ed25519.display());
    let (ok, text) = run(&[
        "profiles",
        "add",
        "cli-tunnel",
        "--engine",
        "postgres",
        "--host",
        "localhost",
        "--port",
        &s.port.to_string(),
        "--user",
        db_user(),
        "-d",
        "postgres",
        "--sslmode",
        "require",
        "--ask-every-time",
        "--ssh-host",
        "127.0.0.1",
        "--ssh-port",
        &inner.port.to_string(),
        "--ssh-user",
        &user,
        "--ssh-key",
        &sshd::keys().encrypted.display().to_string(),
        "--jump",
        &jump,
        "--ssh-ask-every-time",
    ]);
    assert!(ok, "{text}");
    let (ok, text) = run(&["profiles", "show", "cli-tunnel"]);
    assert!(ok, "{text}");
    assert!(text.contains(&format!("1. jump host 1: {user}@127.0.0.1:{}", outer.port)), "{text}");
    assert!(text.contains(&format!("2. bastion: {user}@127.0.0.1:{}", inner.port)), "{text}");
    let (ok, text) = run(&["test", "cli-tunnel", "--accept-new-host-key"]);
    assert!(ok, "{text}");
    for line in ["SSH hop 1: authenticate", "SSH hop 2: authenticate", "SSH hop 2: channel to"] {
        assert!(text.lines().any(|l| l.contains(line) && l.contains('✓')), "{line}:\n{text}");
    }
    // Only the tunnel, like "Test tunnel": no TLS, no login, so no database password needed.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_shiftgate"))
        .arg("--config-dir")
        .arg(&config)
        .args(["test", "cli-tunnel", "--tunnel-only"])
        .stdin(std::process::Stdio::null())
        .env("HOME", home.path())
        .env_remove("PGPASSWORD")
        .env("SHIFTGATE_SSH_PASSPHRASE", sshd::KEY_PASSPHRASE)
        .output()
        .expect("run shiftgate");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{text}{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("SSH hop 2: channel to") && !text.contains("TLS"), "{text}");

    // Without the passphrase and without a terminal: a line names the secret and the variable.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_shiftgate"))
        .arg("--config-dir")
        .arg(&config)
        .args(["test", "cli-tunnel", "--accept-new-host-key"])
        .stdin(std::process::Stdio::null())
        .env("HOME", home.path())
        .env("PGPASSWORD", DB_PW)
        .env_remove("SHIFTGATE_SSH_PASSPHRASE")
        .output()
        .expect("run shiftgate");
    let text = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success());
    assert!(
        text.contains("Passphrase for SSH key") && text.contains("SHIFTGATE_SSH_PASSPHRASE"),
        "{text}"
    );

    let (ok, _) = run(&["profiles", "edit", "cli-tunnel", "--no-ssh"]);
    assert!(ok);
    let (_, text) = run(&["profiles", "show", "cli-tunnel"]);
    assert!(text.contains("connect:  direct"), "{text}");
}
