//! The SSH tunnel against real OpenSSH servers (see `support::sshd`) in front of the throwaway
//! PostgreSQL: key / passphrase / password / agent logins, host-key trust (unknown, accepted and
//! remembered, changed), forwarding refused, target unreachable, a two-hop chain, an
//! `~/.ssh/config` alias, every sslmode through the tunnel, "Test tunnel", and the backend's
//! host-key prompt event.

use crate::support::{self, listeners, pg, sshd};
use shiftgate::diagnose::Cause;
use shiftgate::net::connect::Password;
use shiftgate::net::credentials::{Credentials, SecretKind};
use shiftgate::net::ssh::{HostKeyPolicy, HostKeyQuestion, TunnelOptions};
use shiftgate::profile::{Engine, Profile, SshAuth, SshHop, SslMode};
use shiftgate::report::{Report, Step, StepKind, StepStatus};
use shiftgate::tasks::test_connection::{test_connection, test_tunnel};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

const DB_PW: &str = "Tunnel-Db-Pass-1";

/// A database user allowed with and without TLS (created once).
fn db_user() -> &'static str {
    static ONCE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| pg::server().create_user("sg_ssh", DB_PW, true));
    "sg_ssh"
}

fn hop(server: &sshd::Sshd, user: &str, auth: SshAuth) -> SshHop {
    SshHop { host: "127.0.0.1".into(), port: server.port, user: user.into(), auth }
}

fn key_auth(path: &Path) -> SshAuth {
    SshAuth::Key { path: path.to_path_buf() }
}

/// A profile for the test database, tunnelled through `bastion`.
fn profile(bastion: SshHop, mode: SslMode) -> Profile {
    let s = pg::server();
    let mut p = Profile::new(Engine::Postgres);
    p.name = "tunnel".into();
    p.host = "localhost".into();
    p.port = s.port;
    p.user = db_user().into();
    p.database = "postgres".into();
    p.sslmode = mode;
    if mode.verifies_chain() {
        p.ca_file = Some(s.ca_file.clone());
    }
    p.connect_timeout_secs = 10;
    p.ssh.enabled = true;
    p.ssh.bastion = bastion;
    p.ssh.connect_timeout_secs = 10;
    p.ssh.keepalive_secs = 15;
    p
}

/// Known-hosts files in a fresh temp dir: the "user" file knows `known`; the app file is empty.
struct Files {
    dir: tempfile::TempDir,
    opts: TunnelOptions,
}

impl Files {
    fn app_file(&self) -> PathBuf {
        self.dir.path().join("app").join("known_hosts")
    }
}

fn files(known: &[&sshd::Sshd], policy: HostKeyPolicy) -> Files {
    let dir = tempfile::tempdir().expect("tempdir");
    let user = dir.path().join("user_known_hosts");
    std::fs::write(&user, known.iter().map(|s| s.known_hosts_line()).collect::<String>())
        .expect("write known_hosts");
    let opts = TunnelOptions {
        host_keys: policy,
        app_known_hosts: Some(dir.path().join("app").join("known_hosts")),
        user_known_hosts: Some(user),
        ssh_config: Some(dir.path().join("no_such_ssh_config")),
        agent_socket: Some(dir.path().join("no_agent.sock")),
    };
    Files { dir, opts }
}

fn db_credentials() -> Credentials {
    Credentials::db_only(Some(Password::new(DB_PW.into())))
}

fn run(p: &Profile, c: &Credentials, o: &TunnelOptions) -> (Report, Vec<Step>) {
    let seen = Mutex::new(Vec::new());
    let sink = |s: Step| seen.lock().unwrap().push(s);
    let report = support::rt().block_on(test_connection(p, c, o, &sink, &CancellationToken::new()));
    (report, seen.into_inner().unwrap())
}

fn step<'a>(r: &'a Report, kind: &StepKind) -> &'a Step {
    r.steps
        .iter()
        .find(|s| &s.kind == kind)
        .unwrap_or_else(|| panic!("no step {kind:?} in\n{}", r.render_text()))
}

fn cause(r: &Report) -> Cause {
    r.diagnosis.as_ref().unwrap_or_else(|| panic!("expected a failure:\n{}", r.render_text())).cause
}

fn assert_ok(r: &Report, what: &str) {
    assert!(r.succeeded(), "{what}:\n{}", r.render_text());
}

fn auth_detail(r: &Report, hop: usize) -> String {
    step(r, &StepKind::SshAuth { hop }).detail.clone()
}

#[test]
fn ssh_key_auth_ed25519_and_rsa_reach_the_database_without_resolve_or_tcp_steps() {
    let server = sshd::main_server();
    let f = files(&[server], HostKeyPolicy::Refuse);
    let user = sshd::login_user();
    for (key, expect) in
        [(&sshd::keys().ed25519, "ssh-ed25519"), (&sshd::keys().rsa, "rsa-sha2-512")]
    {
        let p = profile(hop(server, &user, key_auth(key)), SslMode::Require);
        let (r, live) = run(&p, &db_credentials(), &f.opts);
        assert_ok(&r, expect);
        assert!(
            auth_detail(&r, 0).contains(expect),
            "RSA signs with SHA-2, never ssh-rsa: {}",
            auth_detail(&r, 0)
        );
        let banner = &step(&r, &StepKind::SshBanner { hop: 0 }).detail;
        assert!(
            banner.starts_with("SSH-2.0-OpenSSH"),
            "the server's identification line: {banner}"
        );
        let key = &step(&r, &StepKind::SshHostKey { hop: 0 }).detail;
        assert!(key.contains("ssh-ed25519 SHA256:") && key.contains("known"), "{key}");
        let channel = step(
            &r,
            &StepKind::SshChannel { hop: 0, target: format!("localhost:{}", pg::server().port) },
        );
        assert_eq!(channel.status, StepStatus::Ok);
        assert!(
            !r.steps.iter().any(|s| matches!(s.kind, StepKind::Resolve | StepKind::Tcp)),
            "{}",
            r.render_text()
        );
        assert_eq!(r.server.as_ref().map(|s| s.current_user.as_str()), Some(db_user()));
        assert!(
            live.iter()
                .any(|s| s.kind == StepKind::SshAuth { hop: 0 } && s.status == StepStatus::Running),
            "steps arrive live"
        );
        assert!(r.target.ends_with("via SSH"), "{}", r.target);
    }
}

#[test]
fn ssh_encrypted_key_needs_the_right_passphrase() {
    let server = sshd::main_server();
    let f = files(&[server], HostKeyPolicy::Refuse);
    let p = profile(
        hop(server, &sshd::login_user(), key_auth(&sshd::keys().encrypted)),
        SslMode::Require,
    );
    let (r, _) = run(&p, &db_credentials(), &f.opts);
    assert_eq!(cause(&r), Cause::SshKeyPassphrase, "{}", r.render_text());
    assert!(r.diagnosis.as_ref().unwrap().summary.contains("no passphrase"), "{}", r.render_text());
    assert_eq!(step(&r, &StepKind::SshAuth { hop: 0 }).status, StepStatus::Failed);

    let wrong = db_credentials()
        .with_ssh(SecretKind::SshPassphrase { hop: 0 }, Password::new("not it".into()));
    let (r, _) = run(&p, &wrong, &f.opts);
    assert_eq!(cause(&r), Cause::SshKeyPassphrase, "{}", r.render_text());
    assert!(r.diagnosis.as_ref().unwrap().summary.contains("wrong"), "{}", r.render_text());

    let right = db_credentials()
        .with_ssh(SecretKind::SshPassphrase { hop: 0 }, Password::new(sshd::KEY_PASSPHRASE.into()));
    let (r, _) = run(&p, &right, &f.opts);
    assert_ok(&r, "right passphrase");
}

#[test]
fn ssh_unreadable_key_file_is_diagnosed() {
    let server = sshd::main_server();
    let f = files(&[server], HostKeyPolicy::Refuse);
    let pubkey = sshd::keys().ed25519.with_extension("pub");
    for path in [PathBuf::from("/nonexistent/id_ed25519"), pubkey] {
        let p = profile(hop(server, &sshd::login_user(), key_auth(&path)), SslMode::Require);
        let (r, _) = run(&p, &db_credentials(), &f.opts);
        assert_eq!(cause(&r), Cause::SshKeyUnreadable, "{path:?}: {}", r.render_text());
    }
}

/// Password login needs root: sshd reads /etc/shadow for the throwaway user.
#[test]
fn ssh_password_auth_needs_root() {
    let server = sshd::main_server();
    let user = sshd::password_user();
    let f = files(&[server], HostKeyPolicy::Refuse);
    let p = profile(hop(server, user, SshAuth::Password), SslMode::Require);
    let good = db_credentials().with_ssh(
        SecretKind::SshPassword { hop: 0 },
        Password::new(sshd::PASSWORD_USER_PASSWORD.into()),
    );
    let (r, _) = run(&p, &good, &f.opts);
    assert_ok(&r, "password login");
    assert!(auth_detail(&r, 0).contains("password"));

    let bad = db_credentials()
        .with_ssh(SecretKind::SshPassword { hop: 0 }, Password::new("wrong".into()));
    let (r, _) = run(&p, &bad, &f.opts);
    assert_eq!(cause(&r), Cause::SshAuthRejected, "{}", r.render_text());
}

#[test]
fn ssh_password_login_turned_off_names_the_allowed_methods() {
    let server = sshd::no_forwarding_server();
    let f = files(&[server], HostKeyPolicy::Refuse);
    let p = profile(hop(server, &sshd::login_user(), SshAuth::Password), SslMode::Require);
    let c = db_credentials()
        .with_ssh(SecretKind::SshPassword { hop: 0 }, Password::new("anything".into()));
    let (r, _) = run(&p, &c, &f.opts);
    assert_eq!(cause(&r), Cause::SshAuthRejected, "{}", r.render_text());
    let d = r.diagnosis.as_ref().unwrap();
    assert!(d.hint.contains("publickey") && d.hint.contains("Password login is off"), "{d:?}");
}

#[test]
fn ssh_agent_auth_uses_the_given_socket() {
    let server = sshd::main_server();
    let mut f = files(&[server], HostKeyPolicy::Refuse);
    let p = profile(hop(server, &sshd::login_user(), SshAuth::Agent), SslMode::Require);
    let (r, _) = run(&p, &db_credentials(), &f.opts);
    assert_eq!(
        cause(&r),
        Cause::SshAgentUnavailable,
        "no agent at the socket given: {}",
        r.render_text()
    );
    f.opts.agent_socket = Some(sshd::agent().socket.clone());
    let (r, _) = run(&p, &db_credentials(), &f.opts);
    assert_ok(&r, "agent login");
    assert!(
        auth_detail(&r, 0).contains("agent key") && auth_detail(&r, 0).contains("test-agent"),
        "{}",
        auth_detail(&r, 0)
    );
}

#[test]
fn ssh_unknown_host_key_is_refused_then_accepted_once_and_remembered() {
    let server = sshd::main_server();
    let p = profile(
        hop(server, &sshd::login_user(), key_auth(&sshd::keys().ed25519)),
        SslMode::Require,
    );
    let mut f = files(&[], HostKeyPolicy::Refuse);

    let (r, _) = run(&p, &db_credentials(), &f.opts);
    assert_eq!(cause(&r), Cause::SshHostKeyUnknown, "{}", r.render_text());
    assert_eq!(step(&r, &StepKind::SshHostKey { hop: 0 }).status, StepStatus::Failed);
    assert!(r.diagnosis.as_ref().unwrap().summary.contains("SHA256:"));
    assert!(!f.app_file().exists(), "nothing remembered without confirmation");

    // Asked and answered "no": refused, nothing written.
    let asked: Arc<Mutex<Vec<HostKeyQuestion>>> = Default::default();
    let policy = |answer: bool, asked: Arc<Mutex<Vec<HostKeyQuestion>>>| {
        HostKeyPolicy::Ask(Arc::new(move |q: HostKeyQuestion| {
            asked.lock().unwrap().push(q);
            let (tx, rx) = tokio::sync::oneshot::channel();
            let _ = tx.send(answer);
            rx
        }))
    };
    f.opts.host_keys = policy(false, asked.clone());
    let (r, _) = run(&p, &db_credentials(), &f.opts);
    assert_eq!(cause(&r), Cause::SshHostKeyUnknown, "{}", r.render_text());
    assert!(!f.app_file().exists());

    // Answered "yes": connects, and the key lands in the app's file.
    f.opts.host_keys = policy(true, asked.clone());
    let (r, _) = run(&p, &db_credentials(), &f.opts);
    assert_ok(&r, "accepted");
    let q = asked.lock().unwrap().last().cloned().expect("asked");
    assert_eq!(
        (q.hop, q.host.as_str(), q.port, q.key_type.as_str()),
        (0, "127.0.0.1", server.port, "ssh-ed25519")
    );
    assert!(q.fingerprint_sha256.starts_with("SHA256:"));
    assert!(step(&r, &StepKind::SshHostKey { hop: 0 }).detail.contains("accepted and remembered"));
    let remembered = std::fs::read_to_string(f.app_file()).expect("app known_hosts written");
    assert!(
        remembered.contains(&format!("[127.0.0.1]:{}", server.port))
            && remembered.contains(&server.host_key),
        "{remembered}"
    );

    // Next run: known, no question even under Refuse.
    let before = asked.lock().unwrap().len();
    f.opts.host_keys = HostKeyPolicy::Refuse;
    let (r, _) = run(&p, &db_credentials(), &f.opts);
    assert_ok(&r, "remembered");
    assert!(step(&r, &StepKind::SshHostKey { hop: 0 }).detail.contains("known"));
    assert_eq!(asked.lock().unwrap().len(), before);

    // AcceptNew (CLI --accept-new-host-key) trusts without asking.
    let f2 = files(&[], HostKeyPolicy::AcceptNew);
    let (r, _) = run(&p, &db_credentials(), &f2.opts);
    assert_ok(&r, "accept-new");
    assert!(f2.app_file().exists());
}

#[test]
fn ssh_changed_host_key_is_refused_loudly_even_with_accept_new() {
    let server = sshd::main_server();
    let other = sshd::inner_server();
    let f = files(&[], HostKeyPolicy::AcceptNew);
    // The user's file records another server's ed25519 key for this address.
    let user_file = f.opts.user_known_hosts.clone().unwrap();
    std::fs::write(
        &user_file,
        format!("# comment\n[127.0.0.1]:{} {}\n", server.port, other.host_key),
    )
    .unwrap();
    let p = profile(
        hop(server, &sshd::login_user(), key_auth(&sshd::keys().ed25519)),
        SslMode::Require,
    );
    let (r, _) = run(&p, &db_credentials(), &f.opts);
    assert_eq!(cause(&r), Cause::SshHostKeyChanged, "{}", r.render_text());
    let d = r.diagnosis.as_ref().unwrap();
    assert!(d.summary.contains("man-in-the-middle"), "{d:?}");
    assert!(
        d.summary.contains(&format!("{} line 2", user_file.display())),
        "names file and line: {d:?}"
    );
    assert!(!f.app_file().exists(), "a changed key is never learned");
}

#[test]
fn ssh_forwarding_turned_off_is_diagnosed() {
    let server = sshd::no_forwarding_server();
    let f = files(&[server], HostKeyPolicy::Refuse);
    let p = profile(
        hop(server, &sshd::login_user(), key_auth(&sshd::keys().ed25519)),
        SslMode::Require,
    );
    let (r, _) = run(&p, &db_credentials(), &f.opts);
    assert_eq!(cause(&r), Cause::SshForwardingRefused, "{}", r.render_text());
    assert!(r.diagnosis.as_ref().unwrap().hint.contains("AllowTcpForwarding"));
    assert_eq!(step(&r, &StepKind::SshAuth { hop: 0 }).status, StepStatus::Ok);
}

#[test]
fn ssh_closed_target_port_is_unreachable_from_the_bastion() {
    let server = sshd::main_server();
    let f = files(&[server], HostKeyPolicy::Refuse);
    let mut p = profile(
        hop(server, &sshd::login_user(), key_auth(&sshd::keys().ed25519)),
        SslMode::Require,
    );
    p.port = listeners::closed_port();
    let (r, _) = run(&p, &db_credentials(), &f.opts);
    assert_eq!(cause(&r), Cause::SshTargetUnreachable, "{}", r.render_text());
    let d = r.diagnosis.as_ref().unwrap();
    assert!(d.summary.contains(&format!("localhost:{}", p.port)), "{d:?}");
    assert!(d.summary.to_ascii_lowercase().contains("connect failed"), "{d:?}");
}

#[test]
fn ssh_two_hop_chain_reaches_the_database_through_both() {
    let (outer, inner) = (sshd::main_server(), sshd::inner_server());
    let f = files(&[outer, inner], HostKeyPolicy::Refuse);
    let user = sshd::login_user();
    let mut p = profile(hop(inner, &user, key_auth(&sshd::keys().rsa)), SslMode::VerifyFull);
    p.ssh.jump_hosts = vec![hop(outer, &user, key_auth(&sshd::keys().ed25519))];
    let (r, _) = run(&p, &db_credentials(), &f.opts);
    assert_ok(&r, "two hops");
    let second = step(&r, &StepKind::SshTcp { hop: 1, host: format!("127.0.0.1:{}", inner.port) });
    assert!(second.detail.contains("through hop 1"), "{}", second.detail);
    assert!(step(&r, &StepKind::SshHostKey { hop: 1 }).detail.contains("known"));
    assert!(auth_detail(&r, 0).contains("ssh-ed25519") && auth_detail(&r, 1).contains("rsa-sha2"));
    assert!(
        r.tls.as_ref().is_some_and(|t| t.verified_host),
        "verify-full still checks the DB name"
    );

    // The jump host can't reach a closed port for the next hop: that hop is unreachable.
    p.ssh.bastion.port = listeners::closed_port();
    let (r, _) = run(&p, &db_credentials(), &f.opts);
    assert_eq!(cause(&r), Cause::Refused, "{}", r.render_text());
    assert!(r.diagnosis.as_ref().unwrap().summary.contains("through"), "{}", r.render_text());
}

#[test]
fn ssh_config_alias_supplies_host_port_user_key_and_proxyjump() {
    let (outer, inner) = (sshd::main_server(), sshd::inner_server());
    let mut f = files(&[outer, inner], HostKeyPolicy::Refuse);
    let user = sshd::login_user();
    let config = f.dir.path().join("ssh_config");
    std::fs::write(
        &config,
        format!(
            "Host db-bastion\n  HostName 127.0.0.1\n  Port {}\n  User {user}\n  IdentityFile {}\n  IdentitiesOnly yes\n\n\
             Host db-inner\n  HostName 127.0.0.1\n  Port {}\n  User {user}\n  IdentityFile {}\n  ProxyJump db-bastion\n\n\
             Host *\n  User nobody-from-defaults\n",
            outer.port,
            sshd::keys().ed25519.display(),
            inner.port,
            sshd::keys().rsa.display(),
        ),
    )
    .unwrap();
    f.opts.ssh_config = Some(config);
    let mut p = profile(SshHop::default(), SslMode::Require);
    p.ssh.config_alias = Some("db-bastion".into());
    let (r, _) = run(&p, &db_credentials(), &f.opts);
    assert_ok(&r, "alias");
    let tcp = step(&r, &StepKind::SshTcp { hop: 0, host: format!("127.0.0.1:{}", outer.port) });
    assert!(tcp.detail.contains("db-bastion"), "{}", tcp.detail);
    assert!(
        auth_detail(&r, 0).contains(&user) && auth_detail(&r, 0).contains("id_ed25519"),
        "{}",
        auth_detail(&r, 0)
    );

    p.ssh.config_alias = Some("db-inner".into());
    let (r, _) = run(&p, &db_credentials(), &f.opts);
    assert_ok(&r, "alias with ProxyJump");
    assert!(auth_detail(&r, 1).contains("id_rsa"), "{}", auth_detail(&r, 1));

    p.ssh.config_alias = Some("db-bastion".into());
    f.opts.ssh_config = Some(f.dir.path().join("missing_config"));
    let (r, _) = run(&p, &db_credentials(), &f.opts);
    assert_eq!(cause(&r), Cause::SshConfigUnusable, "{}", r.render_text());
}

#[test]
fn ssh_every_sslmode_works_through_the_tunnel_and_tls_names_the_db_host() {
    let server = sshd::main_server();
    let f = files(&[server], HostKeyPolicy::Refuse);
    for mode in SslMode::ALL {
        let p = profile(hop(server, &sshd::login_user(), key_auth(&sshd::keys().ed25519)), mode);
        let (r, _) = run(&p, &db_credentials(), &f.opts);
        assert_ok(&r, mode.as_str());
        match mode {
            SslMode::Disable | SslMode::Allow => assert!(r.tls.is_none(), "{mode}"),
            SslMode::Prefer | SslMode::Require => {
                assert!(r.tls.as_ref().is_some_and(|t| !t.verified_chain), "{mode}")
            }
            SslMode::VerifyCa => assert!(
                r.tls.as_ref().is_some_and(|t| t.verified_chain && !t.verified_host),
                "{mode}"
            ),
            SslMode::VerifyFull => assert!(
                r.tls.as_ref().is_some_and(|t| t.verified_chain && t.verified_host),
                "{mode}"
            ),
        }
    }
}

#[test]
fn ssh_test_tunnel_runs_only_the_ssh_steps_and_a_reachability_check() {
    let server = sshd::main_server();
    let f = files(&[server], HostKeyPolicy::Refuse);
    let mut p = profile(
        hop(server, &sshd::login_user(), key_auth(&sshd::keys().ed25519)),
        SslMode::VerifyFull,
    );
    let sink = |_s: Step| {};
    let r = support::rt().block_on(test_tunnel(
        &p,
        &db_credentials(),
        &f.opts,
        &sink,
        &CancellationToken::new(),
    ));
    assert_ok(&r, "tunnel test");
    let kinds: Vec<String> = r.steps.iter().map(|s| s.kind.label()).collect();
    assert!(
        r.steps.iter().all(|s| matches!(
            s.kind,
            StepKind::SshTcp { .. }
                | StepKind::SshBanner { .. }
                | StepKind::SshHostKey { .. }
                | StepKind::SshAuth { .. }
                | StepKind::SshChannel { .. }
        )),
        "{kinds:?}"
    );
    assert!(
        r.steps
            .iter()
            .any(|s| matches!(s.kind, StepKind::SshChannel { .. }) && s.status == StepStatus::Ok)
    );

    p.port = listeners::closed_port();
    let r = support::rt().block_on(test_tunnel(
        &p,
        &db_credentials(),
        &f.opts,
        &sink,
        &CancellationToken::new(),
    ));
    assert_eq!(cause(&r), Cause::SshTargetUnreachable, "{}", r.render_text());
}

#[test]
fn ssh_backend_pauses_on_an_unknown_host_key_and_resumes_on_the_answer() {
    use shiftgate::tasks::{Backend, Command, Event, EventSink, Outcome, TaskId, TokioBackend};
    let server = sshd::main_server();
    let f = files(&[], HostKeyPolicy::Refuse);
    let p = profile(
        hop(server, &sshd::login_user(), key_auth(&sshd::keys().ed25519)),
        SslMode::Require,
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let mut backend =
        TokioBackend::new(support::rt().handle().clone(), EventSink::new(tx, Arc::new(|| {})))
            .with_tunnel_options(f.opts.clone());
    let task = TaskId::next();
    backend.submit(Command::TestTunnel {
        task,
        profile: Box::new(p),
        credentials: db_credentials(),
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut prompted = false;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left).expect("events until Finished") {
            Event::HostKeyPrompt { task: t, question: q, reply } => {
                assert_eq!(
                    (t, q.hop, q.port, q.key_type.as_str()),
                    (task, 0, server.port, "ssh-ed25519")
                );
                assert!(q.fingerprint_sha256.starts_with("SHA256:"));
                // Longer than nothing: the connect clock is paused while the user reads.
                std::thread::sleep(std::time::Duration::from_millis(300));
                assert!(reply.answer(true));
                assert!(!reply.answer(false), "answerable once");
                prompted = true;
            }
            Event::Finished { task: t, outcome: Outcome::Test(report) } => {
                assert_eq!(t, task);
                assert!(prompted, "the task asked first");
                assert_ok(&report, "tunnel via backend");
                break;
            }
            _ => {}
        }
    }
    assert!(f.app_file().exists(), "accepted key remembered");
}

#[test]
fn ssh_setup_and_verify_run_through_the_tunnel() {
    use shiftgate::sql::{self, Access, Dialect, SetupPlan};
    use shiftgate::tasks::provision::{self, Target};
    let s = pg::server();
    let db = support::unique("sshprov");
    s.create_database(&db);
    s.sql_in(&db, "CREATE SCHEMA lake; CREATE TABLE lake.events (id int);").unwrap();
    let server = sshd::main_server();
    let f = files(&[server], HostKeyPolicy::Refuse);
    let user = sshd::login_user();
    let mut admin =
        profile(hop(server, &user, key_auth(&sshd::keys().ed25519)), SslMode::VerifyFull);
    admin.user = pg::SUPERUSER.into();
    admin.database = db.clone();
    let admin_creds = Credentials::db_only(Some(Password::new(pg::SUPERUSER_PASSWORD.into())));
    let rt = support::rt();
    let cancel = CancellationToken::new();
    let nothing = |_: Step| {};
    let seen = Mutex::new(Vec::new());
    let record = |s: Step| seen.lock().unwrap().push(s);
    let target = Target { profile: &admin, credentials: &admin_creds, tunnel: &f.opts };
    let found = rt
        .block_on(provision::discover(target, &record, &cancel))
        .expect("discovery through the tunnel");
    let steps = seen.into_inner().unwrap();
    assert!(
        steps
            .iter()
            .any(|s| matches!(s.kind, StepKind::SshChannel { .. }) && s.status == StepStatus::Ok),
        "discovery connected through the SSH channel: {steps:?}"
    );
    assert!(!steps.iter().any(|s| s.kind == StepKind::Tcp), "no direct TCP to the database");
    let catalog = support::unique("sshcat");
    let plan = SetupPlan {
        dialect: Dialect::Postgres,
        user: catalog.clone(),
        password: "Tunnel-Cat-Pass-9".into(),
        access: Access::Group { name: format!("{catalog}_ro") },
        schemas: found.discovery.schema_grants(&["lake"]).unwrap(),
        datashare_databases: vec![],
        connection_limit: None,
        grant_svv_table_info: false,
    };
    let script = sql::setup_script(&plan, &found.discovery.existing_state()).unwrap();
    let run = rt
        .block_on(provision::run_script(target, &script, &nothing, &|_| {}, &cancel))
        .expect("setup through the tunnel");
    assert!(run.succeeded(), "{run:?}");
    let mut cat = admin.clone();
    cat.user = catalog.clone();
    let cat_creds = Credentials::db_only(Some(Password::new(plan.password.clone())));
    let report = rt
        .block_on(provision::verify(
            Target { profile: &cat, credentials: &cat_creds, tunnel: &f.opts },
            &plan,
            &nothing,
            &cancel,
        ))
        .expect("verify through the tunnel");
    assert!(report.passed(), "{report:#?}");
}
