//! `shiftgate audit`: as the admin profile, who can read and write what (per grantee and schema),
//! and drift against the setup plans applied from that profile, with the SQL that converges it
//! (`--print-sql`, or `--apply` through the same runner as `setup --apply`).

use super::args::AuditArgs;
use super::connection::CliConnection;
use super::provision_cmd::{apply, cancel_on_ctrl_c, failure, quiet_step, split_list};
use super::test_cmd::profile_from_args;
use super::{CliError, CliResult, open_store};
use crate::tasks::audit::{self, AuditOutcome, AuditRequest};
use shiftgate_core::sql::audit::{AuditScope, GranteeAccess, SchemaAccess};
use shiftgate_core::sql::drift::{DriftOptions, DriftReport};
use shiftgate_core::sql::{AppliedPlan, record_applied};
use std::path::PathBuf;

pub fn run(
    config_dir: &Option<PathBuf>,
    accept_new_host_key: bool,
    args: AuditArgs,
    rt: &tokio::runtime::Runtime,
) -> CliResult {
    let profile = profile_from_args(config_dir, &Some(args.profile.clone()), &Default::default())?;
    let conn = CliConnection::resolve(config_dir, profile, accept_new_host_key)?;
    let cancel = cancel_on_ctrl_c(rt);
    let request = AuditRequest {
        scope: AuditScope {
            grantees: args.grantee.clone(),
            schemas: args.schemas.as_deref().map(split_list).unwrap_or_default(),
        },
        drift: DriftOptions { adopt_new_schemas: args.adopt_new_schemas },
    };
    let outcome = rt
        .block_on(audit::audit(conn.target(), &request, &quiet_step, &cancel))
        .map_err(failure)?;
    eprintln!(
        "audited {} as {}: {} grantee(s), {} schema(s), {} table(s) in {} round trip(s), {} ms",
        outcome.server.product_line(),
        outcome.server.current_user,
        outcome.matrix.grantees.len(),
        outcome.matrix.schemas.len(),
        outcome.matrix.schemas.iter().map(|s| s.tables.len()).sum::<usize>(),
        outcome.round_trips,
        outcome.query_ms
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&audit_json(&outcome))?);
    } else if args.csv {
        print!("{}", outcome.matrix.to_csv());
    } else {
        print_human(&outcome);
    }
    let drifted: Vec<&DriftReport> = outcome.drift.iter().filter(|d| !d.is_clean()).collect();
    if args.print_sql {
        for d in &drifted {
            print!("{}", d.converge.render(false));
        }
    }
    if args.apply {
        for d in &drifted {
            eprintln!("converging catalog user \"{}\":", d.user);
            apply(rt, conn.target(), &d.converge, &cancel)?;
            record(config_dir, &conn, d)?;
        }
        return Ok(());
    }
    if drifted.is_empty() {
        Ok(())
    } else {
        Err(CliError::failed(format!(
            "drift found for {} applied plan(s); --print-sql shows the converge SQL, --apply runs it",
            drifted.len()
        )))
    }
}

/// After a converge ran: the converged plan becomes the profile's record for that user.
fn record(config_dir: &Option<PathBuf>, conn: &CliConnection, d: &DriftReport) -> CliResult {
    let mut store = open_store(config_dir)?;
    let Some(mut profile) = store.get(&conn.profile.id).cloned() else {
        return Err(CliError::new("the admin profile disappeared from the store"));
    };
    let converged = AppliedPlan::after_converge(
        &profile.applied_plans,
        &d.database,
        audit::now_rfc3339(),
        d.converged_plan.clone(),
    );
    record_applied(&mut profile.applied_plans, converged);
    store.upsert(profile)?;
    Ok(())
}

fn flags(g: &GranteeAccess) -> String {
    let mut f = Vec::new();
    if g.superuser {
        f.push("SUPERUSER");
    }
    if g.createdb {
        f.push("CREATEDB");
    }
    if g.syslog_unrestricted == Some(true) {
        f.push("SYSLOG ACCESS UNRESTRICTED");
    }
    if f.is_empty() { "—".into() } else { f.join(", ") }
}

fn schema_line(s: &SchemaAccess) -> String {
    let mut parts = vec![format!(
        "{:<6} {}/{} readable, {} writable",
        s.level.word(),
        s.readable(),
        s.tables.len(),
        s.writable()
    )];
    if s.create {
        parts.push("CREATE".into());
    }
    if !s.column_grants.is_empty() {
        parts.push(format!("{} column grant(s)", s.column_grants.len()));
    }
    let mut owners: Vec<&str> = s.default_privileges.iter().map(|d| d.owner.as_str()).collect();
    owners.dedup();
    if !owners.is_empty() {
        parts.push(format!("defaults for {}", owners.join(", ")));
    }
    if s.usage && !s.uncovered_creators.is_empty() {
        parts.push(format!("not covered: {}", s.uncovered_creators.join(", ")));
    }
    parts.join("; ")
}

fn print_human(o: &AuditOutcome) {
    for g in &o.matrix.grantees {
        let closure: Vec<String> = g.closure.iter().map(ToString::to_string).collect();
        println!(
            "{} ({}) — {}; flags: {}",
            g.principal.name,
            g.principal.kind.word(),
            closure.join(" → "),
            flags(g)
        );
        for (s, entry) in g.schemas.iter().zip(&o.matrix.schemas) {
            let ext = if entry.external { " (external)" } else { "" };
            println!("  {:<28} {}", format!("{}{ext}", s.schema), schema_line(s));
        }
        if !g.datashares.is_empty() {
            println!("  datashares: {}", g.datashares.join(", "));
        }
    }
    for n in &o.matrix.notes {
        println!("note: {n}");
    }
    if o.drift.is_empty() {
        println!("\nNo setup plan applied from this profile in this database: no drift baseline.");
    }
    for d in &o.drift {
        println!(
            "\nDrift for catalog user \"{}\" (plan applied {}): {}",
            d.user,
            d.applied_at,
            if d.is_clean() { "none".to_string() } else { format!("{} item(s)", d.items.len()) }
        );
        for i in &d.items {
            println!("  - {}", i.describe());
        }
    }
}

/// `audit --json`: every schema and table reported, readable or not, plus drift.
pub fn audit_json(o: &AuditOutcome) -> serde_json::Value {
    serde_json::json!({
        "server": {
            "product": o.server.product_line(),
            "current_user": o.server.current_user,
            "database": o.server.current_database,
        },
        "dialect": o.dialect,
        "round_trips": o.round_trips,
        "query_ms": o.query_ms,
        "schemas": o.matrix.schemas,
        "grantees": o.matrix.grantees,
        "datashare_databases": o.matrix.datashare_databases,
        "system_grants": o.matrix.system_grants,
        "notes": o.matrix.notes,
        "drift": o.drift.iter().map(drift_json).collect::<Vec<_>>(),
    })
}

/// One drift report as JSON (`audit --json` and `verify --json`).
pub fn drift_json(d: &DriftReport) -> serde_json::Value {
    serde_json::json!({
        "user": d.user,
        "database": d.database,
        "applied_at": d.applied_at,
        "clean": d.is_clean(),
        "items": d.items.iter().map(|i| {
            let mut v = serde_json::to_value(i).unwrap_or_default();
            if let Some(m) = v.as_object_mut() {
                m.insert("description".into(), i.describe().into());
                m.insert("converged".into(), i.converged().into());
            }
            v
        }).collect::<Vec<_>>(),
        "converge_sql": if d.is_clean() { String::new() } else { d.converge.render(false) },
    })
}
