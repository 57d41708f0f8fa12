//! The listening side: `Simulator::builder()` configuration, the accept loop on the caller's tokio
//! runtime, the registry of live backends (for CancelRequest and CONNECTION LIMIT), and the
//! `RunningSimulator` handle that exposes the address, the CA certificate and catalog snapshots.
//! Per-connection protocol handling lives in `connection`, the state every
//! connection shares in `shared`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicI32;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::catalog::Warehouse;
use crate::error::SimError;
use crate::shared::{Committed, Config, Shared, lock};
use crate::tls;

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
            warehouse: Mutex::new(Committed {
                warehouse: self.warehouse.unwrap_or_else(Warehouse::sample),
                generation: 0,
            }),
            config: self.config,
            tls: material
                .as_ref()
                .map(|m| tokio_rustls::TlsAcceptor::from(m.server_config.clone())),
            backends: Mutex::new(HashMap::new()),
            next_pid: AtomicI32::new(10_000 + i32::from(rand::random::<u8>())),
            iam: Default::default(),
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
                    sessions.spawn(crate::connection::serve(stream, peer, shared.clone()));
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
        lock(&self.shared.warehouse).warehouse.clone()
    }

    /// Changes the committed catalog (test setup).
    pub fn with_catalog<R>(&self, f: impl FnOnce(&mut Warehouse) -> R) -> R {
        let mut committed = lock(&self.shared.warehouse);
        committed.generation += 1;
        f(&mut committed.warehouse)
    }

    /// Registers temporary IAM credentials, as GetClusterCredentials issues them: a login as
    /// `login_name` (`IAM:etl`, `IAMA:etl`) over SSL with `password` runs as `db_user`, created
    /// first when `auto_create`.
    pub fn issue_iam_credentials(
        &self,
        login_name: &str,
        password: &str,
        db_user: &str,
        auto_create: bool,
    ) {
        lock(&self.shared.iam).insert(
            login_name.to_string(),
            crate::iam::Issued {
                password: password.to_string(),
                db_user: db_user.to_string(),
                auto_create,
            },
        );
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
