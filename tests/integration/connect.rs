//! The staged test against a real PostgreSQL 15 (md5, TLS) and local broken listeners.

use crate::support::{self, listeners, pg};
use shiftgate::diagnose::Cause;
use shiftgate::net::connect::Password;
use shiftgate::net::credentials::Credentials;
use shiftgate::net::ssh::TunnelOptions;
use shiftgate::profile::{Engine, Profile, SslMode};
use shiftgate::report::{Report, StepKind, StepStatus};
use shiftgate::tasks::test_connection::test_connection;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const PW: &str = "Tester-Pass-123";

/// A user (created once) allowed to connect with and without TLS.
fn plain_user() -> &'static str {
    static ONCE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| pg::server().create_user("sg_plain", PW, true));
    "sg_plain"
}

/// A user (created once) that the server accepts only over TLS.
fn tls_only_user() -> &'static str {
    static ONCE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| pg::server().create_user("sg_tls_only", PW, false));
    "sg_tls_only"
}

fn profile(host: &str, port: u16, user: &str, mode: SslMode) -> Profile {
    let mut p = Profile::new(Engine::Postgres);
    p.name = "test".into();
    p.host = host.into();
    p.port = port;
    p.user = user.into();
    p.database = "postgres".into();
    p.sslmode = mode;
    p.connect_timeout_secs = 10;
    p
}

fn run(p: &Profile, password: &str) -> (Report, Vec<shiftgate::report::Step>) {
    run_with(p, password, CancellationToken::new())
}

fn run_with(
    p: &Profile,
    password: &str,
    cancel: CancellationToken,
) -> (Report, Vec<shiftgate::report::Step>) {
    let seen = Mutex::new(Vec::new());
    let sink = |s: shiftgate::report::Step| seen.lock().unwrap().push(s);
    let credentials = Credentials::db_only(Some(Password::new(password.to_string())));
    let report = support::rt().block_on(test_connection(
        p,
        &credentials,
        &TunnelOptions::default(),
        &sink,
        &cancel,
    ));
    (report, seen.into_inner().unwrap())
}

fn step(r: &Report, kind: StepKind) -> &shiftgate::report::Step {
    r.steps
        .iter()
        .find(|s| s.kind == kind)
        .unwrap_or_else(|| panic!("no step {kind:?} in\n{}", r.render_text()))
}

fn cause(r: &Report) -> Cause {
    r.diagnosis.as_ref().unwrap_or_else(|| panic!("expected a failure:\n{}", r.render_text())).cause
}

#[test]
fn every_sslmode_that_should_succeed_does() {
    let s = pg::server();
    let user = plain_user();
    for mode in SslMode::ALL {
        let mut p = profile("localhost", s.port, user, mode);
        if mode.verifies_chain() {
            p.ca_file = Some(s.ca_file.clone());
        }
        let (r, live) = run(&p, PW);
        assert!(r.succeeded(), "{mode}: {}", r.render_text());
        let server = r.server.as_ref().expect("server info");
        assert!(!server.is_redshift);
        assert_eq!(server.current_user, user);
        assert_eq!(server.current_database, "postgres");
        assert!(server.postgres_version.as_deref().unwrap_or("").starts_with("15"), "{server:?}");
        assert_eq!(server.auth_method.as_deref(), Some("md5"), "server asked for md5 (code 5)");
        // Steps arrive live: each final step was preceded by a Running one.
        assert!(live.iter().any(|s| s.kind == StepKind::Tcp && s.status == StepStatus::Running));
        let tls = step(&r, StepKind::Tls);
        match mode {
            SslMode::Disable | SslMode::Allow => {
                assert!(r.tls.is_none(), "{mode} should not encrypt for a plain_ok user");
            }
            SslMode::Prefer | SslMode::Require => {
                assert_eq!(tls.status, StepStatus::Warning, "{mode}: encrypted but unverified");
                assert!(!r.tls.as_ref().unwrap().verified_chain);
            }
            SslMode::VerifyCa | SslMode::VerifyFull => {
                assert_eq!(tls.status, StepStatus::Ok);
                let info = r.tls.as_ref().unwrap();
                assert!(info.verified_chain);
                assert_eq!(info.verified_host, mode == SslMode::VerifyFull);
                assert!(info.protocol.starts_with("TLSv1"), "{info:?}");
                assert!(info.subject.contains("localhost"));
                assert!(info.issuer.contains("Shiftgate Test CA"));
            }
        }
    }
}

#[test]
fn allow_falls_back_to_tls_for_a_tls_only_user() {
    let s = pg::server();
    let (r, _) = run(&profile("127.0.0.1", s.port, tls_only_user(), SslMode::Allow), PW);
    assert!(r.succeeded(), "{}", r.render_text());
    assert!(r.tls.is_some());
}

#[test]
fn verify_full_with_wrong_name_fails_and_verify_ca_passes() {
    let s = pg::server();
    let mut p = profile("127.0.0.1", s.port, plain_user(), SslMode::VerifyFull);
    p.ca_file = Some(s.ca_file.clone());
    let (r, _) = run(&p, PW);
    assert_eq!(cause(&r), Cause::HostnameMismatch, "{}", r.render_text());
    assert_eq!(step(&r, StepKind::Tls).status, StepStatus::Failed);
    assert!(r.diagnosis.as_ref().unwrap().hint.contains("verify-ca"));
    assert!(r.diagnosis.as_ref().unwrap().summary.contains("localhost"), "names the cert's names");
    p.sslmode = SslMode::VerifyCa;
    let (r, _) = run(&p, PW);
    assert!(r.succeeded(), "{}", r.render_text());
    assert!(!r.tls.as_ref().unwrap().verified_host);
}

#[test]
fn untrusted_ca_fails() {
    let s = pg::server();
    let mut p = profile("localhost", s.port, plain_user(), SslMode::VerifyCa);
    p.ca_file = Some(s.other_ca_file.clone());
    let (r, _) = run(&p, PW);
    assert_eq!(cause(&r), Cause::CertificateUntrusted, "{}", r.render_text());
    // Default roots (no CA file) do not trust a private CA either.
    p.ca_file = None;
    p.sslmode = SslMode::VerifyFull;
    let (r, _) = run(&p, PW);
    assert_eq!(cause(&r), Cause::CertificateUntrusted, "{}", r.render_text());
}

#[test]
fn unreadable_ca_file_is_diagnosed() {
    let s = pg::server();
    let mut p = profile("localhost", s.port, plain_user(), SslMode::VerifyFull);
    p.ca_file = Some("/nonexistent/ca.pem".into());
    let (r, _) = run(&p, PW);
    assert_eq!(cause(&r), Cause::CaFileUnusable, "{}", r.render_text());
}

#[test]
fn hostssl_only_server_with_disable_says_tls_required() {
    let s = pg::server();
    let (r, _) = run(&profile("127.0.0.1", s.port, tls_only_user(), SslMode::Disable), PW);
    assert_eq!(cause(&r), Cause::ServerRequiresTls, "{}", r.render_text());
    let d = r.diagnosis.as_ref().unwrap();
    assert!(d.server_text.as_deref().unwrap_or("").contains("no pg_hba.conf entry"), "{d:?}");
    assert_eq!(step(&r, StepKind::Authenticate).status, StepStatus::Failed);
}

#[test]
fn wrong_password() {
    let s = pg::server();
    let (r, _) =
        run(&profile("localhost", s.port, plain_user(), SslMode::Require), "not-the-password");
    assert_eq!(cause(&r), Cause::WrongPassword, "{}", r.render_text());
    assert!(
        r.diagnosis
            .as_ref()
            .unwrap()
            .server_text
            .as_deref()
            .unwrap()
            .contains("password authentication failed")
    );
}

#[test]
fn unknown_database() {
    let s = pg::server();
    let mut p = profile("localhost", s.port, plain_user(), SslMode::Require);
    p.database = "no_such_db".into();
    let (r, _) = run(&p, PW);
    assert_eq!(cause(&r), Cause::UnknownDatabase, "{}", r.render_text());
}

#[test]
fn closed_port_is_refused() {
    let port = listeners::closed_port();
    let (r, _) = run(&profile("127.0.0.1", port, "x", SslMode::Require), PW);
    assert_eq!(cause(&r), Cause::Refused, "{}", r.render_text());
    assert_eq!(step(&r, StepKind::Tcp).status, StepStatus::Failed);
}

#[test]
fn unresolvable_host_is_a_dns_failure() {
    let (r, _) = run(&profile("no-such-host.invalid", 5432, "x", SslMode::Require), PW);
    assert_eq!(cause(&r), Cause::DnsFailure, "{}", r.render_text());
    assert_eq!(step(&r, StepKind::Resolve).status, StepStatus::Failed);
}

#[test]
fn silent_server_times_out_within_the_profile_timeout() {
    let addr = support::rt().block_on(listeners::silent_listener());
    let mut p = profile("127.0.0.1", addr.port(), "x", SslMode::Require);
    p.connect_timeout_secs = 1;
    let t = Instant::now();
    let (r, _) = run(&p, PW);
    assert!(t.elapsed() < Duration::from_secs(3), "bounded by the timeout: {:?}", t.elapsed());
    assert_eq!(cause(&r), Cause::Timeout, "{}", r.render_text());
    assert_eq!(step(&r, StepKind::Tcp).status, StepStatus::Ok);
    assert_eq!(
        step(&r, StepKind::Tls).status,
        StepStatus::Failed,
        "stuck waiting for the SSLRequest answer"
    );
}

#[test]
fn cancellation_mid_connect_stops_at_once() {
    let addr = support::rt().block_on(listeners::silent_listener());
    let mut p = profile("127.0.0.1", addr.port(), "x", SslMode::Require);
    p.connect_timeout_secs = 30;
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        c2.cancel();
    });
    let t = Instant::now();
    let (r, live) = run_with(&p, PW, cancel);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert_eq!(cause(&r), Cause::Cancelled);
    assert!(
        live.iter().any(|s| s.status == StepStatus::Cancelled),
        "the running step is marked cancelled"
    );
}

#[test]
fn server_without_tls_under_require_is_diagnosed() {
    let addr = support::rt().block_on(listeners::no_tls_listener());
    let (r, _) = run(&profile("127.0.0.1", addr.port(), "x", SslMode::Require), PW);
    assert_eq!(cause(&r), Cause::ServerDoesNotOfferTls, "{}", r.render_text());
}
