//! `shiftgate setup | verify | teardown | cleanup-vendor`: the catalog-user flow from the command
//! line. The SQL comes from `shiftgate_core::sql`; `--print-sql` shows it, `--apply` runs it as
//! the admin profile statement by statement.

use super::args::{AccessArgs, CleanupArgs, PlanArgs, SetupArgs, TeardownArgs, VerifyArgs};
use super::connection::CliConnection;
use super::test_cmd::profile_from_args;
use super::{CliError, CliResult};
use crate::tasks::provision::{
    self, DiscoveryOutcome, ScriptRun, StatementProgress, Target, TaskFailure,
};
use shiftgate_core::report::{Step, StepStatus};
use shiftgate_core::sql::{self, Access, Script, SetupPlan};
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

pub(super) fn quiet_step(_: Step) {}

pub(super) fn failure(f: TaskFailure) -> CliError {
    CliError::failed(f.summary())
}

pub(super) fn cancel_on_ctrl_c(rt: &tokio::runtime::Runtime) -> CancellationToken {
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    rt.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            c2.cancel();
        }
    });
    cancel
}

pub(super) fn split_list(s: &str) -> Vec<String> {
    s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()
}

fn access(args: &AccessArgs, user: &str) -> Access {
    if args.rbac || args.role.is_some() {
        Access::Role { name: args.role.clone().unwrap_or_else(|| format!("{user}_reader")) }
    } else {
        Access::Group { name: args.group.clone().unwrap_or_else(|| format!("{user}_ro")) }
    }
}

/// `--owner schema=o1,o2` flags: extra creators whose future tables need default privileges.
fn extra_owners(flags: &[String]) -> Result<Vec<(String, Vec<String>)>, CliError> {
    flags
        .iter()
        .map(|f| {
            let (schema, owners) = f.split_once('=').ok_or_else(|| {
                CliError::new(format!("--owner takes SCHEMA=OWNER[,OWNER…], got \"{f}\""))
            })?;
            Ok((schema.to_string(), split_list(owners)))
        })
        .collect()
}

/// Build the plan from discovery plus the flags; every error is listed before any SQL exists.
fn build_plan(
    found: &DiscoveryOutcome,
    user: &str,
    password: String,
    args: &PlanArgs,
    connection_limit: Option<u32>,
) -> Result<SetupPlan, CliError> {
    let mut chosen = split_list(&args.schemas);
    if chosen.len() == 1 && chosen[0] == "*" {
        chosen = found.discovery.schemas.iter().map(|s| s.name.clone()).collect();
    }
    if chosen.is_empty() {
        return Err(CliError::new(
            "--schemas is empty (name them, comma-separated, or '*' for all)",
        ));
    }
    let refs: Vec<&str> = chosen.iter().map(String::as_str).collect();
    let mut grants = found.discovery.schema_grants(&refs).map_err(|e| {
        let known: Vec<&str> = found.discovery.schemas.iter().map(|s| s.name.as_str()).collect();
        CliError::new(format!("{e}; schemas found: {}", known.join(", ")))
    })?;
    for (schema, extra) in extra_owners(&args.owner)? {
        let g = grants.iter_mut().find(|g| g.name == schema).ok_or_else(|| {
            CliError::new(format!("--owner names schema \"{schema}\" which is not in --schemas"))
        })?;
        for o in extra {
            if !g.owners.contains(&o) {
                g.owners.push(o);
            }
        }
    }
    Ok(SetupPlan {
        dialect: found.dialect,
        user: user.to_string(),
        password,
        access: access(&args.access, user),
        schemas: grants,
        datashare_databases: args.datashares.as_deref().map(split_list).unwrap_or_default(),
        connection_limit,
        grant_svv_table_info: args.svv_table_info,
    })
}

fn plan_errors(plan: &SetupPlan, found: &DiscoveryOutcome) -> Result<(), CliError> {
    let existing = found.discovery.existing_state();
    for w in plan.warnings(&existing) {
        eprintln!("warning: {w}");
    }
    let errors = plan.validate(&existing);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CliError::new(format!(
            "the plan has problems:\n{}",
            errors.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n")
        )))
    }
}

fn print_progress(p: StatementProgress) {
    match p.status {
        StepStatus::Running => {}
        StepStatus::Failed => {
            println!(
                "  ✗ [{}/{}] {} ({} ms)\n      {}",
                p.index + 1,
                p.total,
                p.shown_sql,
                p.elapsed_ms,
                p.error.unwrap_or_default()
            )
        }
        s => println!(
            "  {} [{}/{}] {} ({} ms)",
            s.symbol(),
            p.index + 1,
            p.total,
            p.shown_sql,
            p.elapsed_ms
        ),
    }
}

pub(super) fn apply(
    rt: &tokio::runtime::Runtime,
    target: Target<'_>,
    script: &Script,
    cancel: &CancellationToken,
) -> Result<ScriptRun, CliError> {
    let run = rt
        .block_on(provision::run_script(target, script, &quiet_step, &print_progress, cancel))
        .map_err(failure)?;
    if let Some((i, d)) = &run.failed {
        let rolled = if run.rolled_back {
            " The transaction was rolled back; nothing from it was kept."
        } else {
            ""
        };
        return Err(CliError::failed(format!(
            "statement {} failed: {} — {}{}{}",
            i + 1,
            d.summary,
            d.hint,
            d.server_text.as_deref().map(|t| format!(" (server said: {t})")).unwrap_or_default(),
            rolled
        )));
    }
    if run.cancelled {
        return Err(CliError::failed("cancelled"));
    }
    println!("✓ {} statement(s) in {} ms", run.executed, run.elapsed_ms);
    Ok(run)
}

fn discover(
    rt: &tokio::runtime::Runtime,
    target: Target<'_>,
    cancel: &CancellationToken,
) -> Result<DiscoveryOutcome, CliError> {
    let found = rt.block_on(provision::discover(target, &quiet_step, cancel)).map_err(failure)?;
    eprintln!(
        "connected to {} as {}: {} schema(s), {} datashare database(s), RBAC {}",
        found.server.product_line(),
        found.server.current_user,
        found.discovery.schemas.len(),
        found.discovery.datashare_databases.len(),
        if found.discovery.rbac_available { "available" } else { "not available" }
    );
    Ok(found)
}

fn plan_failure(errs: Vec<sql::PlanError>) -> CliError {
    CliError::new(errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))
}

/// Connect as the profile named `name` and discover the server.
fn connect_and_discover(
    config_dir: &Option<PathBuf>,
    accept_new_host_key: bool,
    name: &str,
    rt: &tokio::runtime::Runtime,
) -> Result<(CliConnection, CancellationToken, DiscoveryOutcome), CliError> {
    let profile = profile_from_args(config_dir, &Some(name.to_string()), &Default::default())?;
    let conn = CliConnection::resolve(config_dir, profile, accept_new_host_key)?;
    let cancel = cancel_on_ctrl_c(rt);
    let found = discover(rt, conn.target(), &cancel)?;
    Ok((conn, cancel, found))
}

/// `--print-sql` (the default) prints the script; `--apply` runs it as the admin.
fn print_or_apply(
    rt: &tokio::runtime::Runtime,
    conn: &CliConnection,
    script: &Script,
    run: bool,
    reveal: bool,
    cancel: &CancellationToken,
) -> CliResult {
    if run {
        apply(rt, conn.target(), script, cancel).map(|_| ())
    } else {
        print!("{}", script.render(reveal));
        Ok(())
    }
}

fn catalog_password(env: &Option<String>) -> Result<(String, bool), CliError> {
    if let Some(var) = env {
        let v = std::env::var(var)
            .map_err(|_| CliError::new(format!("environment variable {var} is not set")))?;
        return Ok((v, false));
    }
    let generated = sql::generate_password(sql::password::DEFAULT_GENERATED_LEN)
        .map_err(|e| CliError::new(e.to_string()))?;
    Ok((generated.expose().to_string(), true))
}

pub fn setup(
    config_dir: &Option<PathBuf>,
    accept_new_host_key: bool,
    args: SetupArgs,
    rt: &tokio::runtime::Runtime,
) -> CliResult {
    let (conn, cancel, found) =
        connect_and_discover(config_dir, accept_new_host_key, &args.profile, rt)?;
    let (password, generated) = catalog_password(&args.password_env)?;
    let plan = build_plan(&found, &args.user, password, &args.plan, args.connection_limit)?;
    plan_errors(&plan, &found)?;
    let script =
        sql::setup_script(&plan, &found.discovery.existing_state()).map_err(plan_failure)?;
    print_or_apply(rt, &conn, &script, args.apply, args.reveal_password, &cancel)?;
    if generated && args.apply {
        eprintln!(
            "Generated password for \"{}\" (shown once, not stored by Shiftgate): {}",
            plan.user, plan.password
        );
    }
    Ok(())
}

pub fn teardown(
    config_dir: &Option<PathBuf>,
    accept_new_host_key: bool,
    args: TeardownArgs,
    rt: &tokio::runtime::Runtime,
) -> CliResult {
    let (conn, cancel, found) =
        connect_and_discover(config_dir, accept_new_host_key, &args.profile, rt)?;
    let plan = build_plan(&found, &args.user, String::new(), &args.plan, None)?;
    let script = sql::teardown_script(&plan).map_err(plan_failure)?;
    print_or_apply(rt, &conn, &script, args.apply, false, &cancel)
}

pub fn cleanup_vendor(
    config_dir: &Option<PathBuf>,
    accept_new_host_key: bool,
    args: CleanupArgs,
    rt: &tokio::runtime::Runtime,
) -> CliResult {
    let (conn, cancel, found) =
        connect_and_discover(config_dir, accept_new_host_key, &args.profile, rt)?;
    let ran_by = if args.ran_by.is_empty() {
        vec![found.server.current_user.clone()]
    } else {
        args.ran_by.clone()
    };
    let schemas = split_list(&args.schemas);
    let script = sql::cleanup_vendor_script(
        found.dialect,
        &args.user,
        &ran_by,
        &schemas,
        &found.discovery.existing_state(),
    )
    .map_err(plan_failure)?;
    print_or_apply(rt, &conn, &script, args.apply, false, &cancel)
}

pub fn verify(
    config_dir: &Option<PathBuf>,
    accept_new_host_key: bool,
    args: VerifyArgs,
    rt: &tokio::runtime::Runtime,
) -> CliResult {
    let conn = CliConnection::resolve(
        config_dir,
        profile_from_args(config_dir, &Some(args.profile.clone()), &Default::default())?,
        accept_new_host_key,
    )?;
    let cancel = cancel_on_ctrl_c(rt);
    // The catalog tables discovery reads are visible to every user, so the new user can find
    // which chosen schemas are external and who owns objects where.
    let found = discover(rt, conn.target(), &cancel)?;
    let plan = build_plan(
        &found,
        &conn.profile.user,
        conn.credentials.db_password.as_ref().map(|p| p.to_string()).unwrap_or_default(),
        &args.plan,
        None,
    )?;
    let report = rt
        .block_on(provision::verify(conn.target(), &plan, &quiet_step, &cancel))
        .map_err(failure)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&verify_json(&report))?);
    } else {
        println!(
            "{:<28} {:<9} {:>7} {:>7} {:>6}  verdict",
            "schema", "kind", "usage", "tables", "unread"
        );
        for v in &report.schemas {
            let verdict = match &v.verdict {
                sql::Verdict::Pass => "✓ pass".to_string(),
                sql::Verdict::Fail(gaps) => format!(
                    "✗ {}",
                    gaps.iter().map(|g| g.to_string()).collect::<Vec<_>>().join("; ")
                ),
            };
            println!(
                "{:<28} {:<9} {:>7} {:>7} {:>6}  {verdict}",
                v.name,
                format!("{:?}", v.kind).to_lowercase(),
                if v.usage { "yes" } else { "NO" },
                v.tables_total,
                v.tables_unreadable.len()
            );
        }
        if !report.passed() {
            println!("\n-- Fix (run as an admin):\n{}", report.fix_script.render(false));
        }
    }
    if report.passed() { Ok(()) } else { Err(CliError::failed("verify found gaps")) }
}

fn verify_json(r: &sql::VerifyReport) -> serde_json::Value {
    serde_json::json!({
        "passed": r.passed(),
        "schemas": r.schemas.iter().map(|v| serde_json::json!({
            "name": v.name,
            "external": v.kind == sql::SchemaKind::External,
            "visible": v.visible,
            "usage": v.usage,
            "tables_total": v.tables_total,
            "tables_unreadable": v.tables_unreadable,
            "uncovered_owners": v.uncovered_owners,
            "late_binding_columns": v.late_binding_cols,
            "passed": matches!(v.verdict, sql::Verdict::Pass),
            "gaps": match &v.verdict { sql::Verdict::Pass => vec![], sql::Verdict::Fail(g) => g.iter().map(|g| g.to_string()).collect() },
        })).collect::<Vec<_>>(),
        "fix_sql": if r.passed() { String::new() } else { r.fix_script.render(false) },
    })
}
