//! Real parts for the integration tests: a throwaway PostgreSQL 15 (md5, TLS with a CA made here,
//! random port, run as a non-root user), and local listeners for timeout / no-TLS cases.
#![allow(dead_code)]

pub mod aws;
pub mod certs;
pub mod listeners;
pub mod pg;
pub mod sshd;
pub mod ui;

use std::sync::OnceLock;

/// One multi-thread runtime for all async tests in this binary.
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime must build")
    })
}

/// A unique lowercase suffix for names created by one test.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// A task target for a direct connection with only a database password. (Leaks two small
/// values per call so the target can borrow them for the test's life.)
pub fn target<'a>(
    profile: &'a shiftgate::profile::Profile,
    password: Option<&shiftgate::net::connect::Password>,
) -> shiftgate::tasks::provision::Target<'a> {
    let credentials: &'static shiftgate::net::credentials::Credentials =
        Box::leak(Box::new(shiftgate::net::credentials::Credentials::db_only(password.cloned())));
    let tunnel: &'static shiftgate::net::ssh::TunnelOptions =
        Box::leak(Box::new(shiftgate::net::ssh::TunnelOptions::default()));
    shiftgate::tasks::provision::Target { profile, credentials, tunnel }
}
