//! Discovery, script runs (setup / teardown / cleanup / fix) and verify — the catalog-user tasks.
//!
//! The SQL and its interpretation are pure (`shiftgate_core::sql`); this module only opens the
//! session, runs each query by simple query, and reports progress; scripts go out batched
//! through [`super::script_run`].

use crate::net::connect::{Session, StepSink, facts_from_pg_error, open_session};
use crate::net::credentials::Credentials;
use crate::net::ssh::TunnelOptions;
use shiftgate_core::diagnose::{Diagnosis, diagnose};
use shiftgate_core::profile::Profile;
use shiftgate_core::report::{Report, ServerInfo, StepKind, StepStatus};
use shiftgate_core::sql::{
    self, CatalogQuery, Dialect, Discovery, QueryResults, Script, SetupPlan, VerifyReport,
};
use std::time::Duration;
use tokio_postgres::SimpleQueryMessage;
use tokio_util::sync::CancellationToken;

/// Per-statement timeout for setup/teardown statements and catalog queries.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a provisioning task did not complete.
#[derive(Debug, Clone)]
pub enum TaskFailure {
    /// The connection could not be opened; the report says where and why.
    Connect(Box<Report>),
    /// The server answered, but with something this task can't use.
    Failed(Diagnosis),
    Cancelled,
}

impl TaskFailure {
    pub fn summary(&self) -> String {
        match self {
            TaskFailure::Connect(r) => match &r.diagnosis {
                Some(d) => format!("could not connect: {} — {}", d.summary, d.hint),
                None => "could not connect".into(),
            },
            TaskFailure::Failed(d) => {
                let mut s = format!("{} — {}", d.summary, d.hint);
                if let Some(t) = &d.server_text {
                    s.push_str(&format!(" (server said: {t})"));
                }
                s
            }
            TaskFailure::Cancelled => "cancelled".into(),
        }
    }
}

/// Progress of one statement of a script run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementProgress {
    pub index: usize,
    pub total: usize,
    /// The statement as shown (secrets masked).
    pub shown_sql: String,
    pub status: StepStatus,
    pub elapsed_ms: u64,
    pub error: Option<String>,
}

pub type ProgressSink<'a> = &'a (dyn Fn(StatementProgress) + Send + Sync);

/// Result of running a script.
#[derive(Debug, Clone)]
pub struct ScriptRun {
    pub executed: usize,
    pub total: usize,
    /// Index and diagnosis of the statement that failed (the run stopped there).
    pub failed: Option<(usize, Diagnosis)>,
    /// Whether a failure rolled the transactional part back.
    pub rolled_back: bool,
    pub cancelled: bool,
    pub elapsed_ms: u64,
}

impl ScriptRun {
    pub fn succeeded(&self) -> bool {
        self.failed.is_none() && !self.cancelled && self.executed == self.total
    }
}

/// How to reach the server for one task: the profile, its secrets and the SSH tunnel options.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub profile: &'a Profile,
    pub credentials: &'a Credentials,
    pub tunnel: &'a TunnelOptions,
}

async fn connect(
    target: Target<'_>,
    sink: StepSink<'_>,
    cancel: &CancellationToken,
) -> Result<Session, TaskFailure> {
    match open_session(target.profile, target.credentials, target.tunnel, sink, cancel).await {
        Ok(s) => Ok(s),
        Err(report) => {
            if report
                .diagnosis
                .as_ref()
                .is_some_and(|d| d.cause == shiftgate_core::diagnose::Cause::Cancelled)
            {
                Err(TaskFailure::Cancelled)
            } else {
                Err(TaskFailure::Connect(Box::new(report)))
            }
        }
    }
}

/// Rows of a simple query as text columns. Cancelling `cancel` sends the server a cancel request
/// along the session's own path ([`Session::cancel_running`]), so the statement stops there too,
/// not only here. Public for the integration tests.
pub async fn query_rows(
    session: &Session,
    sql: &str,
    cancel: &CancellationToken,
) -> Result<Result<Vec<sql::Row>, tokio_postgres::Error>, TaskFailure> {
    let fut = session.client.simple_query(sql);
    tokio::select! {
        biased;
        _ = cancel.cancelled() => {
            if let Err(e) = session.cancel_running().await {
                tracing::warn!(%e, "the cancel request did not reach the server");
            }
            Err(TaskFailure::Cancelled)
        }
        r = tokio::time::timeout(STATEMENT_TIMEOUT, fut) => match r {
            Err(_) => Err(TaskFailure::Failed(Diagnosis {
                cause: shiftgate_core::diagnose::Cause::Timeout,
                summary: format!("The statement did not finish within {} s.", STATEMENT_TIMEOUT.as_secs()),
                hint: "The server may be busy or blocked by a lock; retry later.".into(),
                server_text: None,
            })),
            Ok(Err(e)) => Ok(Err(e)),
            Ok(Ok(msgs)) => Ok(Ok(msgs
                .iter()
                .filter_map(|m| match m {
                    SimpleQueryMessage::Row(r) => Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect()),
                    _ => None,
                })
                .collect())),
        }
    }
}

pub(super) fn error_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

/// Run each catalog query, storing rows or the server's error text under its id.
pub async fn run_catalog_queries(
    session: &Session,
    queries: &[CatalogQuery],
    results: &mut QueryResults,
    cancel: &CancellationToken,
) -> Result<(), TaskFailure> {
    for q in queries {
        let outcome = query_rows(session, &q.sql, cancel).await?;
        results.insert(q.id.clone(), outcome.map_err(|e| error_text(&e)));
    }
    Ok(())
}

/// Run read probes (`SELECT 1 FROM s.t LIMIT 0`, no rows) in one round trip: all of them in
/// one simple-query message. A failure stops a multi-statement message at the failing probe, so
/// then each is run on its own to attribute the error to its schema.
pub async fn run_probes_batched(
    session: &Session,
    probes: &[CatalogQuery],
    results: &mut QueryResults,
    cancel: &CancellationToken,
) -> Result<(), TaskFailure> {
    if probes.len() > 1 {
        let batch: String = probes.iter().map(|q| format!("{};", q.sql)).collect();
        if let Ok(()) = query_rows(session, &batch, cancel).await?.map(|_| ()) {
            for q in probes {
                results.insert(q.id.clone(), Ok(Vec::new()));
            }
            return Ok(());
        }
    }
    run_catalog_queries(session, probes, results, cancel).await
}

/// Ask the server what it is (`select version()` alone: a leader-node function, no user tables).
pub async fn detect_server(
    session: &Session,
    profile: &Profile,
    cancel: &CancellationToken,
) -> Result<ServerInfo, TaskFailure> {
    let rows =
        query_rows(session, "select version(), current_user, current_database()", cancel).await?;
    let rows = rows.map_err(|e| {
        TaskFailure::Failed(diagnose(&facts_from_pg_error(profile, &e, StepKind::Query)))
    })?;
    let row = rows.first().cloned().unwrap_or_default();
    let col = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
    let mut info = ServerInfo {
        version_string: col(0),
        current_user: col(1),
        current_database: col(2),
        ..Default::default()
    };
    info.detect();
    Ok(info)
}

/// The record saved with the admin profile after a successful setup: the plan (never its
/// password), where and when, and what existed before (from the discovery setup was built on).
pub fn applied_record(
    plan: &SetupPlan,
    database: &str,
    existing_before: &sql::ExistingState,
    options: sql::SetupOptions,
) -> sql::AppliedPlan {
    let applied_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    sql::AppliedPlan {
        database: database.to_owned(),
        applied_at,
        plan: SetupPlan { password: String::new(), ..plan.clone() },
        found: Some(sql::FoundBefore::from_existing(plan, existing_before)),
        options,
    }
}

pub fn dialect_of(info: &ServerInfo) -> Dialect {
    if info.is_redshift { Dialect::Redshift } else { Dialect::Postgres }
}

/// What discovery found, with the server it ran on.
#[derive(Debug, Clone)]
pub struct DiscoveryOutcome {
    pub server: ServerInfo,
    pub dialect: Dialect,
    pub discovery: Discovery,
}

/// Discovery as the admin: schemas (local / external), owners, datashares, users, groups, roles.
pub async fn discover(
    target: Target<'_>,
    sink: StepSink<'_>,
    cancel: &CancellationToken,
) -> Result<DiscoveryOutcome, TaskFailure> {
    let profile = target.profile;
    let session = connect(target, sink, cancel).await?;
    let server = detect_server(&session, profile, cancel).await?;
    let dialect = dialect_of(&server);
    let discovery = discover_on(&session, dialect, cancel).await?;
    Ok(DiscoveryOutcome { server, dialect, discovery })
}

/// Discovery queries on an open session, then phase two: which object owners hold CREATE on
/// their schema (those without it, or gone, are skipped by setup).
pub async fn discover_on(
    session: &Session,
    dialect: Dialect,
    cancel: &CancellationToken,
) -> Result<Discovery, TaskFailure> {
    let unreadable = |e: String| {
        TaskFailure::Failed(Diagnosis {
            cause: shiftgate_core::diagnose::Cause::Other,
            summary: format!("Discovery could not read the catalog: {e}"),
            hint: "Connect as a superuser (or a user allowed to read pg_namespace, pg_tables, pg_views, pg_user, pg_group).".into(),
            server_text: None,
        })
    };
    let mut results = QueryResults::new();
    run_catalog_queries(session, &sql::discovery::queries(dialect), &mut results, cancel).await?;
    let optional = sql::discovery::optional_queries(dialect);
    run_catalog_queries(session, &optional, &mut results, cancel).await?;
    let mut discovery =
        sql::discovery::evaluate(dialect, &results).map_err(|e| unreadable(e.to_string()))?;
    let mut phase2 = discovery.owner_create_queries().map_err(|e| unreadable(e.to_string()))?;
    phase2.extend(discovery.shared_table_queries().map_err(|e| unreadable(e.to_string()))?);
    let mut results = QueryResults::new();
    run_catalog_queries(session, &phase2, &mut results, cancel).await?;
    discovery.apply_owner_checks(&results).map_err(|e| unreadable(e.to_string()))?;
    discovery.apply_shared_tables(&results).map_err(|e| unreadable(e.to_string()))?;
    Ok(discovery)
}

/// After a refused DROP (2BP01 / 55006): read the catalog for what still names the object the
/// server named, and add it to the diagnosis.
async fn name_dependents(
    session: &Session,
    profile: &Profile,
    run: &mut ScriptRun,
    cancel: &CancellationToken,
) {
    use shiftgate_core::diagnose::{Cause, with_dependents};
    let Some((_, diag)) = run.failed.as_mut() else { return };
    if !matches!(diag.cause, Cause::DependentObjects | Cause::StillInUse) {
        return;
    }
    let Some(name) = diag.server_text.as_deref().and_then(first_quoted) else { return };
    let Ok(server) = detect_server(session, profile, cancel).await else { return };
    let dialect = dialect_of(&server);
    let Ok(found) = discover_on(session, dialect, cancel).await else { return };
    let deps = sql::dependents_of(dialect, &found.existing_state(), &name);
    *diag = with_dependents(diag.clone(), &deps);
}

/// The first `"…"` in a server message (`role "g" cannot be dropped …`).
fn first_quoted(text: &str) -> Option<String> {
    let start = text.find('"')? + 1;
    let len = text[start..].find('"')?;
    Some(text[start..start + len].to_owned())
}

/// Run a script as `profile`, in script order, reported statement by statement. Consecutive
/// statements that may run in a transaction block run inside one, sent as one message (rolled back
/// on the first failure); a statement that can't (Redshift GRANT/REVOKE on external resources)
/// runs alone after the block before it commits. Stops at the first failure with its diagnosis.
pub async fn run_script(
    target: Target<'_>,
    script: &Script,
    sink: StepSink<'_>,
    progress: ProgressSink<'_>,
    cancel: &CancellationToken,
) -> Result<ScriptRun, TaskFailure> {
    let session = connect(target, sink, cancel).await?;
    let mut run = run_script_on(&session, target.profile, script, progress, cancel).await?;
    name_dependents(&session, target.profile, &mut run, cancel).await;
    Ok(run)
}

/// [`run_script`] on an open session: each transaction segment in one message, reported per
/// statement (see [`super::script_run`]).
pub async fn run_script_on(
    session: &Session,
    profile: &Profile,
    script: &Script,
    progress: ProgressSink<'_>,
    cancel: &CancellationToken,
) -> Result<ScriptRun, TaskFailure> {
    let statements: Vec<&sql::Statement> = script.statements().collect();
    super::script_run::run_statements(session, profile, &statements, progress, cancel).await
}

/// Verify as the NEW user: what it can see and read, per schema, with fix SQL for each gap.
pub async fn verify(
    target: Target<'_>,
    plan: &SetupPlan,
    sink: StepSink<'_>,
    cancel: &CancellationToken,
) -> Result<VerifyReport, TaskFailure> {
    let session = connect(target, sink, cancel).await?;
    let plan_err = |errs: Vec<sql::PlanError>| {
        TaskFailure::Failed(Diagnosis {
            cause: shiftgate_core::diagnose::Cause::Other,
            summary: format!(
                "The plan to verify is not valid: {}",
                errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ")
            ),
            hint: "Fix the plan (user, group/role, schemas) and verify again.".into(),
            server_text: None,
        })
    };
    let mut results = QueryResults::new();
    let mut round1 = sql::verify::plan_queries(plan).map_err(plan_err)?;
    round1.extend(sql::verify::insight_queries(plan).map_err(plan_err)?);
    run_catalog_queries(&session, &round1, &mut results, cancel).await?;
    // Only when the relation check failed (Redshift: a schema without USAGE aborts it by name).
    let round2 = sql::verify::retry_queries(plan, &results).map_err(plan_err)?;
    run_catalog_queries(&session, &round2, &mut results, cancel).await?;
    let round3 = sql::verify::probe_queries(plan, &results).map_err(plan_err)?;
    run_probes_batched(&session, &round3, &mut results, cancel).await?;
    let mut report = sql::verify::evaluate(plan, &results).map_err(plan_err)?;
    report.drift = verify_drift(&session, target.profile, plan, cancel).await?;
    Ok(report)
}

/// Drift against the setup recorded for `plan.user` (the records travel in `login.applied_plans`;
/// see [`sql::baselines_for`]): the audit's catalog queries, scoped to the user and its group or
/// role, read in this same session, then compared with the record for this database. Only
/// cancellation fails the verify; a catalog the user can't read makes the drift "unavailable".
async fn verify_drift(
    session: &Session,
    login: &Profile,
    plan: &SetupPlan,
    cancel: &CancellationToken,
) -> Result<sql::VerifyDrift, TaskFailure> {
    use shiftgate_core::sql::{audit, drift};
    let records: Vec<&sql::AppliedPlan> =
        login.applied_plans.iter().filter(|r| r.plan.user == plan.user).collect();
    if records.is_empty() {
        return Ok(sql::VerifyDrift::NoBaseline);
    }
    let server = match detect_server(session, login, cancel).await {
        Ok(s) => s,
        Err(TaskFailure::Cancelled) => return Err(TaskFailure::Cancelled),
        Err(f) => return Ok(sql::VerifyDrift::Unavailable(f.summary())),
    };
    let records: Vec<sql::AppliedPlan> =
        records.into_iter().filter(|r| r.database == server.current_database).cloned().collect();
    let Some(first) = records.first() else { return Ok(sql::VerifyDrift::NoBaseline) };
    let dialect = dialect_of(&server);
    let mut grantees = vec![plan.user.clone()];
    let access = first.plan.access.name().to_owned();
    if !access.is_empty() && access != plan.user {
        grantees.push(access);
    }
    let scope = audit::AuditScope { grantees, schemas: Vec::new() };
    let queries = match audit::queries(dialect, &scope) {
        Ok(q) => q,
        Err(e) => return Ok(sql::VerifyDrift::Unavailable(e.to_string())),
    };
    let mut results = QueryResults::new();
    match run_catalog_queries(session, &queries, &mut results, cancel).await {
        Ok(()) => {}
        Err(TaskFailure::Cancelled) => return Err(TaskFailure::Cancelled),
        Err(f) => return Ok(sql::VerifyDrift::Unavailable(f.summary())),
    }
    let matrix = match audit::evaluate(dialect, &scope, &results) {
        Ok(m) => m,
        Err(e) => {
            return Ok(sql::VerifyDrift::Unavailable(format!(
                "{e} (as {}; `shiftgate audit` as the admin reads every grant)",
                plan.user
            )));
        }
    };
    match drift::drift_all(
        &matrix,
        &records,
        &server.current_database,
        &[],
        drift::DriftOptions::default(),
    ) {
        Ok(reports) => Ok(sql::VerifyDrift::Checked(reports)),
        Err(e) => Ok(sql::VerifyDrift::Unavailable(e.to_string())),
    }
}
