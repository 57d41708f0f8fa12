//! The `TestConnection` and `TestTunnel` tasks: the staged connect plus `select version()` (or
//! only the SSH tunnel), as one report.

use crate::net::connect::{facts_from_pg_error, open_session};
use crate::net::credentials::Credentials;
use crate::net::ssh::{self, SshFailure, TunnelOptions};
use crate::net::stage::{Stage, StepSink, base_facts, cancelled, fail, new_report, ssh_facts};
use shiftgate_core::profile::Profile;
use shiftgate_core::report::{Report, StepKind, StepStatus};
use std::time::{Duration, Instant};
use tokio::time::timeout_at;
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
        test_tunnel(profile, credentials, tunnel, sink, cancel).await
    } else {
        test_connection(profile, credentials, tunnel, sink, cancel).await
    };
    tracing::info!(target = %report.target, tunnel_only, ok = report.succeeded(), total_ms = report.total_ms, "connection test finished");
    report
}

/// The full staged test: open a session, run `select version(), current_user, current_database()`
/// by simple query, detect Redshift. Returns the finished report.
pub async fn test_connection(
    profile: &Profile,
    credentials: &Credentials,
    tunnel: &TunnelOptions,
    sink: StepSink<'_>,
    cancel: &CancellationToken,
) -> Report {
    let started = Instant::now();
    let mut session = match open_session(profile, credentials, tunnel, sink, cancel).await {
        Ok(s) => s,
        Err(report) => return report,
    };
    let deadline = tokio::time::Instant::now()
        + Duration::from_secs(profile.connect_timeout_secs.max(1) as u64);
    let mut report = std::mem::take(&mut session.report);
    let mut stage = Stage { sink, report: &mut report };
    let t = stage.start(StepKind::Query);
    let query = session.client.simple_query("select version(), current_user, current_database()");
    let outcome = tokio::select! {
        biased;
        _ = cancel.cancelled() => None,
        r = timeout_at(deadline, query) => Some(r),
    };
    let rows = match outcome {
        None => {
            if let Err(e) = session.cancel_running().await {
                tracing::warn!(%e, "the cancel request did not reach the server");
            }
            stage.finish(StepKind::Query, StepStatus::Cancelled, t, "cancelled");
            let mut f = base_facts(profile);
            f.cancelled = true;
            fail(&mut report, f, started);
            return report;
        }
        Some(Err(_)) => {
            stage.finish(StepKind::Query, StepStatus::Failed, t, "timed out");
            let mut f = base_facts(profile);
            f.stage = Some(StepKind::Query);
            f.timed_out = true;
            fail(&mut report, f, started);
            return report;
        }
        Some(Ok(Err(e))) => {
            let f = facts_from_pg_error(profile, &e, StepKind::Query);
            stage.finish(
                StepKind::Query,
                StepStatus::Failed,
                t,
                f.server_message.clone().unwrap_or_else(|| f.text.clone()),
            );
            fail(&mut report, f, started);
            return report;
        }
        Some(Ok(Ok(rows))) => rows,
    };
    let row = rows.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) => Some(r),
        _ => None,
    });
    let Some(row) = row else {
        stage.finish(StepKind::Query, StepStatus::Failed, t, "the query returned no row");
        let mut f = base_facts(profile);
        f.stage = Some(StepKind::Query);
        f.text = "select version() returned no row".into();
        fail(&mut report, f, started);
        return report;
    };
    let get = |i: usize| row.get(i).unwrap_or("").to_string();
    stage.finish(
        StepKind::Query,
        StepStatus::Ok,
        t,
        "select version(), current_user, current_database()",
    );
    let t = stage.start(StepKind::Detect);
    let mut server = stage.report.server.take().unwrap_or_default();
    server.version_string = get(0);
    server.current_user = get(1);
    server.current_database = get(2);
    server.detect();
    let mut detail = server.product_line();
    if let Some(v) = &server.server_version_param {
        detail.push_str(&format!(" (server_version {v})"));
    }
    stage.finish(StepKind::Detect, StepStatus::Ok, t, detail);
    stage.report.server = Some(server);
    report.total_ms = started.elapsed().as_millis() as u64;
    report
}

/// "Test tunnel": only the SSH steps, then a `direct-tcpip` channel to the database host and
/// port (the bastion's TCP connect to it is the reachability check), closed again at once. No
/// TLS, no login. A profile without SSH gets a report saying so.
pub async fn test_tunnel(
    profile: &Profile,
    credentials: &Credentials,
    tunnel: &TunnelOptions,
    sink: StepSink<'_>,
    cancel: &CancellationToken,
) -> Report {
    let started = Instant::now();
    let mut report = new_report(profile);
    report.sslmode = "n/a (tunnel test)".into();
    if !profile.ssh.enabled {
        let mut f = base_facts(profile);
        f.ssh = Some(shiftgate_core::diagnose::SshProblem::ConfigUnusable {
            reason: "SSH is turned off for this profile".into(),
        });
        f.text = "SSH is turned off for this profile".into();
        fail(&mut report, f, started);
        return report;
    }
    let outcome = {
        let mut stage = Stage { sink, report: &mut report };
        let work = async {
            let t = ssh::open_tunnel(profile, credentials, tunnel, &mut stage).await?;
            let ch = t.open_channel(&profile.host, profile.port, &mut stage).await?;
            let _ = ch.close().await;
            Ok::<(), SshFailure>(())
        };
        tokio::select! {
            biased;
            _ = cancel.cancelled() => None,
            r = work => Some(r),
        }
    };
    match outcome {
        None => return cancelled(profile, report, sink, started),
        Some(Err(f)) => fail(&mut report, ssh_facts(profile, f), started),
        Some(Ok(())) => report.total_ms = started.elapsed().as_millis() as u64,
    }
    report
}
