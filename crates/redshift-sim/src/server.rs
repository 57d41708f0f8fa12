//! The listening side: `Simulator::builder()` configuration, the accept loop on the caller's tokio
//! runtime, the registry of live backends (for CancelRequest and CONNECTION LIMIT), and the
//! `RunningSimulator` handle that exposes the address, the CA certificate and catalog snapshots.
//! Per-connection protocol handling lives in `session`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tokio::task::{JoinHandle, JoinSet};

use crate::catalog::Warehouse;
use crate::error::SimError;
use crate::tls;

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

/// State shared by the accept loop and every session.
pub(crate) struct Shared {
    pub warehouse: Mutex<Warehouse>,
    pub config: Config,
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    pub backends: Mutex<HashMap<i32, Backend>>,
    next_pid: AtomicI32,
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

/// Entry point: `Simulator::builder().warehouse(Warehouse::sample()).start().await`.
pub struct Simulator;

impl Simulator {
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder {
            warehouse: None,
            config: Config { tls: true, require_ssl: false, reject_unknown_startup_params: false },
            bind: "127.0.0.1:0".to_string(),
        }
    }
}

pub struct SimulatorBuilder {
    warehouse: Option<Warehouse>,
    config: Config,
    bind: String,
}

impl SimulatorBuilder {
    /// The initial catalog (default: `Warehouse::sample()`).
    pub fn warehouse(mut self, w: Warehouse) -> Self {
        self.warehouse = Some(w);
        self
    }

    pub fn tls(mut self, on: bool) -> Self {
        self.config.tls = on;
        self
    }

    pub fn require_ssl(mut self, on: bool) -> Self {
        self.config.require_ssl = on;
        self
    }

    pub fn reject_unknown_startup_params(mut self, on: bool) -> Self {
        self.config.reject_unknown_startup_params = on;
        self
    }

    /// Address to listen on (default `127.0.0.1:0`, an ephemeral port).
    pub fn bind(mut self, addr: impl Into<String>) -> Self {
        self.bind = addr.into();
        self
    }

    /// Binds and starts accepting on the current tokio runtime.
    pub async fn start(self) -> Result<RunningSimulator, SimError> {
        let material = if self.config.tls { Some(tls::generate()?) } else { None };
        let listener = TcpListener::bind(&self.bind)
            .await
            .map_err(|source| SimError::Bind { addr: self.bind.clone(), source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SimError::Bind { addr: self.bind.clone(), source })?;
        let shared = Arc::new(Shared {
            warehouse: Mutex::new(self.warehouse.unwrap_or_else(Warehouse::sample)),
            config: self.config,
            tls: material
                .as_ref()
                .map(|m| tokio_rustls::TlsAcceptor::from(m.server_config.clone())),
            backends: Mutex::new(HashMap::new()),
            next_pid: AtomicI32::new(10_000 + i32::from(rand::random::<u8>())),
        });
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, shared.clone(), stop_rx));
        tracing::info!(%addr, "redshift simulator listening");
        Ok(RunningSimulator {
            addr,
            ca_pem: material.map(|m| m.ca_pem),
            shared,
            stop: Some(stop_tx),
            task: Some(task),
        })
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    sessions.spawn(crate::session::serve(stream, peer, shared.clone()));
                }
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
    sessions.shutdown().await;
}

/// A started simulator. Dropping it stops the server and every session.
pub struct RunningSimulator {
    addr: SocketAddr,
    ca_pem: Option<String>,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningSimulator {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// PEM of the generated CA (None when started without TLS); trust it for verify-full.
    pub fn ca_cert_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// A snapshot of the committed catalog state.
    pub fn catalog(&self) -> Warehouse {
        lock(&self.shared.warehouse).clone()
    }

    /// Changes the committed catalog (test setup).
    pub fn with_catalog<R>(&self, f: impl FnOnce(&mut Warehouse) -> R) -> R {
        f(&mut lock(&self.shared.warehouse))
    }

    /// Number of authenticated sessions currently connected.
    pub fn active_sessions(&self) -> usize {
        lock(&self.shared.backends).len()
    }

    /// Stops accepting, ends all sessions and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
