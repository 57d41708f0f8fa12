//! The access audit task: as the ADMIN profile, read who can read and write what
//! (`shiftgate_core::sql::audit`) and compare it with the plans setup applied from this profile
//! (`shiftgate_core::sql::drift`). One round trip per kind of catalog query, never one per table
//! or per grantee; the converge scripts run through the ordinary script runner.

use super::provision::{self, Target, TaskFailure};
use crate::net::connect::{StepSink, open_session};
use shiftgate_core::diagnose::{Cause, Diagnosis};
use shiftgate_core::report::ServerInfo;
use shiftgate_core::sql::audit::{self, AccessMatrix, AuditScope};
use shiftgate_core::sql::drift::{self, DriftOptions, DriftReport};
use shiftgate_core::sql::{Dialect, QueryResults};
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// What to audit and how drift converges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditRequest {
    /// Grantees and schemas.
    pub scope: AuditScope,
    /// Drift choices.
    pub drift: DriftOptions,
}

/// The audit's result.
#[derive(Debug, Clone)]
pub struct AuditOutcome {
    /// The server audited.
    pub server: ServerInfo,
    /// Its dialect.
    pub dialect: Dialect,
    /// Effective access.
    pub matrix: AccessMatrix,
    /// One report per plan applied from this profile in this database.
    pub drift: Vec<DriftReport>,
    /// Queries sent (including the server detection).
    pub round_trips: usize,
    /// Wall time of the queries (connection excluded).
    pub query_ms: u64,
}

fn failed(summary: String, hint: &str) -> TaskFailure {
    TaskFailure::Failed(Diagnosis {
        cause: Cause::Other,
        summary,
        hint: hint.into(),
        server_text: None,
    })
}

/// RFC 3339 UTC now, for [`shiftgate_core::sql::AppliedPlan::applied_at`].
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Connect as the admin, run the audit queries, compute the matrix and the drift.
pub async fn audit(
    target: Target<'_>,
    request: &AuditRequest,
    sink: StepSink<'_>,
    cancel: &CancellationToken,
) -> Result<AuditOutcome, TaskFailure> {
    let profile = target.profile;
    let session = match open_session(profile, target.credentials, target.tunnel, sink, cancel).await
    {
        Ok(s) => s,
        Err(report) if report.diagnosis.as_ref().is_some_and(|d| d.cause == Cause::Cancelled) => {
            return Err(TaskFailure::Cancelled);
        }
        Err(report) => return Err(TaskFailure::Connect(Box::new(report))),
    };
    let started = Instant::now();
    let server = provision::detect_server(&session, profile, cancel).await?;
    let dialect = provision::dialect_of(&server);
    // Drift needs each applied plan's user in the matrix, even when grantees are filtered.
    let mut scope = request.scope.clone();
    if !scope.grantees.is_empty() {
        for r in profile.applied_plans.iter().filter(|r| r.database == server.current_database) {
            if !scope.grantees.contains(&r.plan.user) {
                scope.grantees.push(r.plan.user.clone());
            }
        }
    }
    let queries = audit::queries(dialect, &scope)
        .map_err(|e| failed(format!("A schema name can't be used: {e}"), "Check --schemas."))?;
    let mut results = QueryResults::new();
    provision::run_catalog_queries(&session, &queries, &mut results, cancel).await?;
    let matrix = audit::evaluate(dialect, &scope, &results).map_err(|e| {
        failed(
            format!("The audit could not read the catalog: {e}"),
            "Run the audit as a superuser (it reads pg_roles / pg_user, pg_class ACLs and the \
             svv_* privilege views, which show other users' grants only to superusers).",
        )
    })?;
    let drift = drift::drift_all(
        &matrix,
        &profile.applied_plans,
        &server.current_database,
        &request.scope.schemas,
        request.drift,
    )
    .map_err(|e| failed(format!("The applied plan can't be compared: {e}"), "Run setup again."))?;
    Ok(AuditOutcome {
        server,
        dialect,
        matrix,
        drift,
        round_trips: queries.len() + 1,
        query_ms: started.elapsed().as_millis() as u64,
    })
}
