//! The `TestConnection` task: the staged connect plus `select version()`, as one report.

use crate::net::connect::{self, Password, StepSink};
use shiftgate_core::profile::Profile;
use shiftgate_core::report::Report;
use tokio_util::sync::CancellationToken;

pub async fn run(profile: &Profile, password: Option<&Password>, sink: StepSink<'_>, cancel: &CancellationToken) -> Report {
    let report = connect::test_connection(profile, password, sink, cancel).await;
    tracing::info!(target = %report.target, ok = report.succeeded(), total_ms = report.total_ms, "connection test finished");
    report
}
