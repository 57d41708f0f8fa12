//! The stage machinery every connect shares: a [`Stage`] reports each step (Running, then a
//! final status) into the report and the live sink; [`Phase`] lists the connect pipeline in the
//! order it runs; small helpers turn failures into facts for diagnosis.
//!
//! The pipeline ([`pipeline`]): the path to the database (resolve, or the SSH hops), then for an
//! IAM profile the AWS identity and the temporary credentials, then per attempt TCP (or a tunnel
//! channel), TLS and authentication. A test adds the query and the server detection after it.

use super::ssh::SshFailure;
use shiftgate_core::diagnose::{FailureFacts, IoKind, diagnose};
use shiftgate_core::profile::Profile;
use shiftgate_core::report::{Report, Step, StepKind, StepStatus};
use std::time::{Duration, Instant};

/// Receives every step update (Running, then a final status).
pub type StepSink<'a> = &'a (dyn Fn(Step) + Send + Sync);

/// Reports steps into the report and the live sink.
pub struct Stage<'a> {
    pub sink: StepSink<'a>,
    pub report: &'a mut Report,
}

impl Stage<'_> {
    pub fn start(&mut self, kind: StepKind) -> Instant {
        let step = Step { kind, status: StepStatus::Running, elapsed_ms: 0, detail: String::new() };
        self.report.upsert_step(step.clone());
        (self.sink)(step);
        Instant::now()
    }

    pub fn finish(
        &mut self,
        kind: StepKind,
        status: StepStatus,
        started: Instant,
        detail: impl Into<String>,
    ) {
        let step = Step {
            kind,
            status,
            elapsed_ms: started.elapsed().as_millis() as u64,
            detail: detail.into(),
        };
        self.report.upsert_step(step.clone());
        (self.sink)(step);
    }

    pub fn finish_ms(
        &mut self,
        kind: StepKind,
        status: StepStatus,
        elapsed: Duration,
        detail: impl Into<String>,
    ) {
        let step =
            Step { kind, status, elapsed_ms: elapsed.as_millis() as u64, detail: detail.into() };
        self.report.upsert_step(step.clone());
        (self.sink)(step);
    }
}

/// One phase of the connect pipeline, in the order [`pipeline`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The path to the database: DNS resolve (direct) or the SSH hops (tunnel).
    Path,
    /// `sts:GetCallerIdentity`: who the AWS credentials belong to (IAM profiles).
    AwsIdentity,
    /// The temporary database password from Redshift (IAM profiles).
    IamCredentials,
    /// TCP (or a tunnel channel), TLS and authentication, retried per sslmode=allow.
    Database,
}

/// The phases a connect with `profile` runs, in order.
pub fn pipeline(profile: &Profile) -> Vec<Phase> {
    let mut phases = vec![Phase::Path];
    if profile.auth.is_iam() {
        phases.extend([Phase::AwsIdentity, Phase::IamCredentials]);
    }
    phases.push(Phase::Database);
    phases
}

pub(crate) fn base_facts(profile: &Profile) -> FailureFacts {
    FailureFacts {
        host: profile.host.clone(),
        port: profile.port,
        database: profile.database.clone(),
        user: profile.user.clone(),
        engine: Some(profile.engine),
        sslmode: Some(profile.sslmode),
        timeout_secs: profile.connect_timeout_secs,
        ..Default::default()
    }
}

/// Classify an I/O error for diagnosis (shared with the SSH tunnel).
pub fn io_kind(e: &std::io::Error) -> IoKind {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => IoKind::NotFound,
        K::ConnectionRefused => IoKind::Refused,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            IoKind::Reset
        }
        K::TimedOut => IoKind::TimedOut,
        K::HostUnreachable | K::NetworkUnreachable | K::AddrNotAvailable => IoKind::Unreachable,
        _ => IoKind::Other,
    }
}

pub(crate) fn fail(report: &mut Report, facts: FailureFacts, started: Instant) {
    report.diagnosis = Some(diagnose(&facts));
    report.total_ms = started.elapsed().as_millis() as u64;
}

pub(crate) fn new_report(profile: &Profile) -> Report {
    let via = if profile.ssh.enabled { " via SSH" } else { "" };
    let iam_user;
    let user = if profile.auth.is_iam() {
        iam_user = format!("IAM({})", profile.auth.target());
        &iam_user
    } else {
        &profile.user
    };
    Report {
        target: format!("{}@{}:{}/{}{via}", user, profile.host, profile.port, profile.database),
        sslmode: profile.sslmode.to_string(),
        ..Default::default()
    }
}

/// Mark running steps cancelled and diagnose the cancellation.
pub(crate) fn cancelled(
    profile: &Profile,
    mut report: Report,
    sink: StepSink<'_>,
    started: Instant,
) -> Report {
    for s in report.steps.iter_mut().filter(|s| s.status == StepStatus::Running) {
        s.status = StepStatus::Cancelled;
        sink(s.clone());
    }
    let mut f = base_facts(profile);
    f.cancelled = true;
    fail(&mut report, f, started);
    report
}

pub(crate) fn ssh_facts(profile: &Profile, f: SshFailure) -> FailureFacts {
    let mut facts = base_facts(profile);
    facts.stage = Some(f.stage);
    facts.ssh = f.problem;
    facts.text = f.text;
    facts.timeout_secs = f.timeout_secs;
    facts
}
