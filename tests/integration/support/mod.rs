//! Real parts for the integration tests: a throwaway PostgreSQL 15 (md5, TLS with a CA made here,
//! random port, run as a non-root user), and local listeners for timeout / no-TLS cases.
#![allow(dead_code)]

pub mod certs;
pub mod listeners;
pub mod pg;
pub mod sshd;

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
