//! A Redshift simulator on the PostgreSQL v3 wire protocol, for Shiftgate's tests and demo mode.
//!
//! It reproduces what Shiftgate needs to see from Amazon Redshift (see `shared/reference/redshift.md`):
//! `server_version` 8.0.2 and Redshift's `version()` string, TLS with a generated CA, md5 and
//! AUTH_REQ_DIGEST (code 13) logins, Redshift's FATAL texts, users/groups/RBAC roles, schema and
//! table grants, default privileges that follow the creator, the catalog relations and visibility
//! rules of §1.5, and the leader-node restriction. Anything else is answered with
//! `0A000 not supported by the simulator: …`, never a fake success.
//!
//! ```no_run
//! # async fn demo() -> Result<(), redshift_sim::SimError> {
//! use redshift_sim::{Simulator, Warehouse};
//! let sim = Simulator::builder()
//!     .warehouse(Warehouse::sample())
//!     .tls(true)
//!     .require_ssl(false)
//!     .bind("127.0.0.1:0")
//!     .start()
//!     .await?;
//! println!("listening on {}", sim.addr());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod auth;
pub mod catalog;
mod connection;
mod error;
mod exec;
mod iam;
mod params;
mod protocol;
mod query;
mod sample;
mod server;
mod session;
mod shared;
mod sql;
mod tls;

pub use auth::StoredPassword;
pub use catalog::Warehouse;
pub use error::{Severity, SimError, SqlError};
pub use sample::{ADMIN_PASSWORD, ANALYST_PASSWORD, ETL_PASSWORD, LEGACY_SHA_PASSWORD};
pub use server::{RunningSimulator, Simulator, SimulatorBuilder};
pub use shared::Config;

/// Starts the sample warehouse with TLS on `bind` (e.g. `127.0.0.1:5439`) for the app's demo mode.
pub async fn run_demo(bind: &str) -> Result<RunningSimulator, SimError> {
    Simulator::builder()
        .warehouse(Warehouse::sample())
        .tls(true)
        .require_ssl(false)
        .bind(bind)
        .start()
        .await
}
