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

fn plan_errors(
    plan: &SetupPlan,
    found: &DiscoveryOutcome,
    options: sql::SetupOptions,
) -> Result<(), CliError> {
    let existing = found.discovery.existing_state();
    for w in plan.warnings(&existing) {
        eprintln!("warning: {w}");
    }
    let errors = plan.validate_with(&existing, options);
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
    let (password, generated) =
        if args.iam_login { (String::new(), false) } else { catalog_password(&args.password_env)? };
    let plan = build_plan(&found, &args.user, password, &args.plan, args.connection_limit)?;
    let options = sql::SetupOptions {
        revoke_public_create: args.revoke_public_create,
        iam_login: args.iam_login,
    };
    plan_errors(&plan, &found, options)?;
    let existing = found.discovery.existing_state();
    let script = sql::setup_script_with(&plan, &existing, options).map_err(plan_failure)?;
    let policy = if args.iam_login {
        Some(iam_policy(&args, &conn.profile, &found.server.current_database, &plan)?)
    } else {
        None
    };
    print_or_apply(rt, &conn, &script, args.apply, args.reveal_password, &cancel)?;
    if let Some(policy) = &policy {
        print_iam_policy(policy, args.apply, args.iam_policy_out.as_deref())?;
    }
    if args.apply {
        let record =
            provision::applied_record(&plan, &found.server.current_database, &existing, options);
        save_record(config_dir, &conn.profile, |records| sql::record_applied(records, record))?;
    }
    if generated && args.apply {
        eprintln!(
            "Generated password for \"{}\" (shown once, not stored by Shiftgate): {}",
            plan.user, plan.password
        );
    }
    Ok(())
}

/// The IAM policy for `setup --iam-login`: the flags, else the admin profile's cluster and region.
fn iam_policy(
    args: &SetupArgs,
    admin: &shiftgate_core::profile::Profile,
    database: &str,
    plan: &SetupPlan,
) -> Result<String, CliError> {
    let mut target = sql::iam_policy::IamPolicyTarget::from_profile(admin, database);
    if let Some(c) = &args.cluster_id {
        target.cluster_id = c.clone();
    }
    if let Some(r) = &args.region {
        target.region = r.clone();
    }
    target.account = args.aws_account.clone();
    sql::iam_policy::policy_for_plan(&target, plan)
        .map_err(|e| CliError::new(format!("no IAM policy: {e}")))
}

/// After printed SQL the policy goes out as SQL comments (the output still runs in psql); after
/// `--apply` as plain JSON. `--iam-policy-out` also writes the plain JSON to a file.
fn print_iam_policy(policy: &str, applied: bool, out: Option<&std::path::Path>) -> CliResult {
    if applied {
        println!("{policy}");
    } else {
        println!(
            "-- IAM policy for the catalog tool's AWS identity (attach it to its role or user):"
        );
        for line in policy.lines() {
            println!("-- {line}");
        }
    }
    if let Some(path) = out {
        crate::store::atomic::write_atomic(path, format!("{policy}\n").as_bytes())
            .map_err(|e| CliError::new(format!("could not write {}: {e}", path.display())))?;
        eprintln!("IAM policy written to {}", path.display());
    }
    Ok(())
}

/// Change the admin profile's setup records and save it through the store (fresh read, upsert).
fn save_record(
    config_dir: &Option<PathBuf>,
    profile: &shiftgate_core::profile::Profile,
    change: impl FnOnce(&mut Vec<sql::AppliedPlan>),
) -> CliResult {
    let mut store = super::open_store(config_dir)?;
    let Some(mut fresh) = store.get(&profile.id).cloned() else {
        return Ok(());
    };
    change(&mut fresh.applied_plans);
    store.upsert(fresh).map_err(|e| CliError::new(format!("saving the setup record: {e}")))
}

pub fn teardown(
    config_dir: &Option<PathBuf>,
    accept_new_host_key: bool,
    args: TeardownArgs,
    rt: &tokio::runtime::Runtime,
) -> CliResult {
    let (conn, cancel, found) =
        connect_and_discover(config_dir, accept_new_host_key, &args.profile, rt)?;
    let home_db = found.server.current_database.clone();
    let record = sql::find_applied(&conn.profile.applied_plans, &args.user, &home_db).cloned();
    let plan = match &record {
        Some(r) if args.plan.schemas.trim().is_empty() => {
            eprintln!(
                "using the setup record of {} for \"{}\" in {home_db}",
                r.applied_at, args.user
            );
            SetupPlan { dialect: found.dialect, ..r.plan.clone() }
        }
        // No record and no schemas: the live catalogs say what is left.
        None if args.plan.schemas.trim().is_empty() => SetupPlan {
            dialect: found.dialect,
            user: args.user.clone(),
            access: access(&args.plan.access, &args.user),
            ..SetupPlan::default()
        },
        _ => build_plan(&found, &args.user, String::new(), &args.plan, None)?,
    };
    let options = sql::TeardownOptions { keep_user: args.grants_only };
    let home_existing = found.discovery.existing_state();
    if !home_existing.acl.read {
        eprintln!(
            "note: the live privileges could not be read ({}); the script mirrors the plan",
            found.discovery.notes.join("; ")
        );
        let script = sql::teardown_script(&plan).map_err(plan_failure)?;
        return print_or_apply(rt, &conn, &script, args.apply, false, &cancel);
    }
    let decision = sql::teardown_decide(&plan, record.as_ref(), &home_existing, options);
    for n in &decision.notes {
        eprintln!("note: {n}");
    }
    // One revoke script per other database, then this database's revokes and the drops.
    let mut per_db: Vec<(CliConnection, sql::Script)> = Vec::new();
    for db in args.databases.as_deref().map(split_list).unwrap_or_default() {
        if db == home_db {
            continue;
        }
        let mut profile = conn.profile.clone();
        profile.database = db.clone();
        let other = CliConnection::resolve(config_dir, profile, accept_new_host_key)?;
        let there = discover(rt, other.target(), &cancel)?;
        let rec = sql::find_applied(&conn.profile.applied_plans, &args.user, &db);
        let td = sql::teardown_live(&plan, rec, &there.discovery.existing_state(), &decision)
            .map_err(plan_failure)?;
        per_db.push((other, td.revoke));
    }
    let home = sql::teardown_live(&plan, record.as_ref(), &home_existing, &decision)
        .map_err(plan_failure)?;
    let nothing =
        home.nothing_left() && per_db.iter().all(|(_, s)| s.statements().next().is_none());
    if nothing {
        println!(
            "nothing left: no grant, default privilege, group/role or user of this setup remains"
        );
        return Ok(());
    }
    for (other, script) in &per_db {
        if script.statements().next().is_none() {
            continue;
        }
        if !args.apply {
            println!("-- database {}", other.profile.database);
        }
        print_or_apply(rt, other, script, args.apply, false, &cancel)?;
    }
    if !args.apply {
        println!("-- database {home_db}");
    }
    print_or_apply(rt, &conn, &home.combined(), args.apply, false, &cancel)?;
    if args.apply {
        let dbs: Vec<String> = std::iter::once(home_db.clone())
            .chain(per_db.iter().map(|(c, _)| c.profile.database.clone()))
            .collect();
        let user = args.user.clone();
        save_record(config_dir, &conn.profile, |records| {
            records.retain(|r| !(r.plan.user == user && dbs.contains(&r.database)))
        })?;
    }
    Ok(())
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
    let mut conn = CliConnection::resolve(
        config_dir,
        profile_from_args(config_dir, &Some(args.profile.clone()), &Default::default())?,
        accept_new_host_key,
    )?;
    // The drift baseline: the setup recorded (with the admin's profile) for this user.
    conn.profile.applied_plans =
        sql::baselines_for(super::open_store(config_dir)?.profiles(), &conn.profile);
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
        print!("{}", verify_text(&report));
    }
    if report.passed() { Ok(()) } else { Err(CliError::failed("verify found gaps")) }
}

/// The human-readable verify report: one row per schema, then per schema the forecast for each
/// creator and what the catalog tool's query returns, then the fix.
fn verify_text(report: &sql::VerifyReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<28} {:<9} {:>7} {:>7} {:>6} {:>14}  verdict",
        "schema", "kind", "usage", "tables", "unread", "tool sees t/c"
    );
    for v in &report.schemas {
        let verdict = match &v.verdict {
            sql::Verdict::Pass => "✓ pass".to_string(),
            sql::Verdict::Fail(gaps) => {
                format!("✗ {}", gaps.iter().map(|g| g.to_string()).collect::<Vec<_>>().join("; "))
            }
        };
        let seen = match v.catalog_view {
            Some(c) => format!("{}/{}", c.tables, c.columns),
            None => "failed".to_string(),
        };
        let _ = writeln!(
            out,
            "{:<28} {:<9} {:>7} {:>7} {:>6} {:>14}  {verdict}",
            v.name,
            format!("{:?}", v.kind).to_lowercase(),
            if v.usage { "yes" } else { "NO" },
            v.tables_total,
            v.tables_unreadable.len(),
            seen,
        );
    }
    for d in &report.datashares {
        let _ = writeln!(out, "datashare database {}: {}", d.name, datashare_words(d));
    }
    let _ = writeln!(out, "\nWill tomorrow's table be readable? (per schema and creator)");
    for v in report.schemas.iter().filter(|v| !v.forecast.is_empty()) {
        for f in &v.forecast {
            let answer = match f.outcome {
                sql::forecast::Outcome::Yes => "yes",
                sql::forecast::Outcome::No => "NO",
                sql::forecast::Outcome::Unknown => "unknown",
            };
            let sources: Vec<&str> = f.sources.iter().map(|s| s.label()).collect();
            let _ = writeln!(
                out,
                "  {:<26} {:<20} {:<8} {} ({})",
                v.name,
                f.creator,
                answer,
                f.why,
                sources.join(", ")
            );
        }
    }
    match &report.catalog_view_error {
        Some(e) => {
            let _ = writeln!(
                out,
                "\nThe catalog tool's definitions query FAILS as this user (the tool's sync would too): {e}"
            );
        }
        None => {
            for (v, c) in report.schemas.iter().filter_map(|v| v.catalog_view.map(|c| (v, c))) {
                if c.unresolved > 0 {
                    let _ = writeln!(
                        out,
                        "Catalog tool: {} column(s) in {} get no table id (the tool can't resolve the name).",
                        c.unresolved, v.name
                    );
                }
            }
        }
    }
    match &report.drift {
        sql::VerifyDrift::NoBaseline => {
            let _ = writeln!(
                out,
                "\nDrift: no setup of this user in this database is recorded, nothing to compare with."
            );
        }
        sql::VerifyDrift::Unavailable(why) => {
            let _ = writeln!(out, "\nDrift: could not be read: {why}");
        }
        sql::VerifyDrift::Checked(reports) => {
            for d in reports {
                let _ = writeln!(
                    out,
                    "\nDrift against the setup applied {} in {}: {}",
                    d.applied_at,
                    d.database,
                    if d.is_clean() {
                        "none".to_string()
                    } else {
                        format!("{} item(s)", d.items.len())
                    }
                );
                for i in &d.items {
                    let _ = writeln!(out, "  - {}", i.describe());
                }
                if !d.is_clean() {
                    let _ = writeln!(
                        out,
                        "-- Converge (run as an admin; `shiftgate audit --apply` also records it):\n{}",
                        d.converge.render(false)
                    );
                }
            }
        }
    }
    if !report.passed() {
        let _ = writeln!(out, "\n-- Fix (run as an admin):\n{}", report.fix_script.render(false));
    }
    out
}

/// A datashare verdict in words: visible or not, and the shared table read.
fn datashare_words(d: &sql::verify::DatashareVerdict) -> String {
    let seen = if d.visible { "visible" } else { "NOT visible (no USAGE on the database)" };
    match (&d.probed, d.readable, &d.error) {
        (Some(t), Some(true), _) => format!("{seen}; read {t}"),
        (Some(t), _, Some(e)) => format!("{seen}; reading {t} FAILED: {e}"),
        (None, _, Some(e)) => format!("{seen}; {e}"),
        _ if d.visible => format!("{seen}; no shared table is listed for this user"),
        _ => seen.to_string(),
    }
}

fn verify_json(r: &sql::VerifyReport) -> serde_json::Value {
    serde_json::json!({
        "passed": r.passed(),
        "schemas": r.schemas.iter().map(|v| serde_json::json!({
            "name": v.name,
            "external": v.kind == sql::SchemaKind::External,
            "owner": v.owner,
            "visible": v.visible,
            "usage": v.usage,
            "tables_total": v.tables_total,
            "tables_unreadable": v.tables_unreadable,
            "unreadable": v.unreadable.iter().map(|u| serde_json::json!({"name": u.name, "owner": u.owner})).collect::<Vec<_>>(),
            "uncovered_owners": v.uncovered_owners,
            "forecast": v.forecast.iter().map(|f| serde_json::json!({
                "creator": f.creator,
                "sources": f.sources.iter().map(|s| s.label()).collect::<Vec<_>>(),
                "readable": f.outcome.as_option(),
                "why": f.why,
            })).collect::<Vec<_>>(),
            "catalog_view": v.catalog_view.map(|c| serde_json::json!({
                "tables": c.tables, "columns": c.columns, "unresolved_columns": c.unresolved,
            })),
            "late_binding_columns": v.late_binding_cols,
            "passed": matches!(v.verdict, sql::Verdict::Pass),
            "gaps": match &v.verdict { sql::Verdict::Pass => vec![], sql::Verdict::Fail(g) => g.iter().map(|g| g.to_string()).collect() },
        })).collect::<Vec<_>>(),
        "catalog_view_error": r.catalog_view_error,
        "datashares": r.datashares.iter().map(|d| serde_json::json!({
            "name": d.name,
            "visible": d.visible,
            "probed_table": d.probed,
            "readable": d.readable,
            "error": d.error,
        })).collect::<Vec<_>>(),
        "default_privileges": match &r.default_privileges {
            sql::forecast::Evidence::Complete(_) => "complete".to_string(),
            sql::forecast::Evidence::Partial(_) => "partial (only rows granted to the catalog user are visible)".to_string(),
            sql::forecast::Evidence::Unavailable(e) => format!("unavailable: {e}"),
        },
        "fix_sql": if r.passed() { String::new() } else { r.fix_script.render(false) },
        "drift": match &r.drift {
            sql::VerifyDrift::NoBaseline => serde_json::json!({"status": "no_baseline", "plans": []}),
            sql::VerifyDrift::Unavailable(why) => serde_json::json!({"status": "unavailable", "reason": why, "plans": []}),
            sql::VerifyDrift::Checked(reports) => serde_json::json!({
                "status": if reports.iter().all(|d| d.is_clean()) { "clean" } else { "drifted" },
                "plans": reports.iter().map(super::audit_cmd::drift_json).collect::<Vec<_>>(),
            }),
        },
    })
}
