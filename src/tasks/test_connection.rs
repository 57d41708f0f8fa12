//! The `TestConnection` and `TestTunnel` tasks: the staged connect plus `select version()` (or
//! only the SSH tunnel), as one report.

use crate::net::connect::{self, StepSink};
use crate::net::credentials::Credentials;
use crate::net::ssh::TunnelOptions;
use shiftgate_core::profile::Profile;
use shiftgate_core::report::Report;
use tokio_util::sync::CancellationToken;

/// Run the test (`tunnel_only`: just the SSH hops and the channel to the database host).
pub async fn run(
    profile: &Profile,
    credentials: &Credentials,
    tunnel: &TunnelOptions,
    tunnel_only: bool,
    sink: StepSink<'_>,
    cancel: &CancellationToken,
) -> Report {
    let report = if tunnel_only {
        connect::test_tunnel(profile, credentials, tunnel, sink, cancel).await
    } else {
        connect::test_connection(profile, credentials, tunnel, sink, cancel).await
    };
    tracing::info!(target = %report.target, tunnel_only, ok = report.succeeded(), total_ms = report.total_ms, "connection test finished");
    report
}
