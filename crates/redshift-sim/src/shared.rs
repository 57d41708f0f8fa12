//! State shared by the accept loop and every connection: the committed warehouse, the server
//! configuration, the TLS acceptor and the registry of live backends (CancelRequest, CONNECTION
//! LIMIT).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use crate::catalog::Warehouse;

/// Server behaviour switches.
#[derive(Debug, Clone)]
pub struct Config {
    /// Answer SSLRequest with `S` and do TLS (otherwise `N`).
    pub tls: bool,
    /// Redshift's `require_ssl` parameter: non-TLS logins fail with the `SSL off` pg_hba text (§3.5).
    pub require_ssl: bool,
    /// Reject startup parameters PostgreSQL doesn't know (`driver_version`, …) with FATAL 42704.
    /// Default `false`: real Redshift accepts what AWS drivers send (redshift.md §3.4, §4.3 — only
    /// vanilla PostgreSQL rejects them). Turn on to mimic the PostgreSQL 15 stand-in.
    pub reject_unknown_startup_params: bool,
}

/// One live backend, for CancelRequest and per-user connection counting.
pub(crate) struct Backend {
    pub secret: i32,
    pub user: u32,
    pub cancel: Arc<Notify>,
}

/// The committed catalog and how many commits produced it (sessions compare the generation they
/// started from at commit time: serializable isolation).
pub(crate) struct Committed {
    pub warehouse: Warehouse,
    pub generation: u64,
}

/// State shared by the accept loop and every session.
pub(crate) struct Shared {
    pub warehouse: Mutex<Committed>,
    pub config: Config,
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    pub backends: Mutex<HashMap<i32, Backend>>,
    pub(crate) next_pid: AtomicI32,
    /// Temporary IAM credentials issued for this cluster (see `iam.rs`).
    pub(crate) iam: crate::iam::IamRegistry,
}

/// Locks a mutex; a panic elsewhere can't leave our plain-data state half-updated in a way that
/// matters for a simulator, so poisoning is ignored.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn next_pid(&self) -> i32 {
        self.next_pid.fetch_add(1, Ordering::Relaxed)
    }

    /// CancelRequest: wakes the running query of backend `pid` if the secret matches.
    pub fn cancel(&self, pid: i32, secret: i32) {
        if let Some(b) = lock(&self.backends).get(&pid)
            && b.secret == secret
        {
            b.cancel.notify_waiters();
        }
    }
}
