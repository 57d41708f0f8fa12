//! `shiftgate test`: the staged connection test with live ✓/✗ lines, or `--json`.

use super::args::TestArgs;
use super::profiles_cmd::apply_fields;
use super::{CliError, CliResult, open_store};
use crate::tasks::test_connection as connect;
use shiftgate_core::profile::{Engine, Profile};
use shiftgate_core::report::{Step, StepStatus};
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// Resolve the profile to use: a saved one with overrides, or one built from flags alone.
pub fn profile_from_args(
    config_dir: &Option<PathBuf>,
    name: &Option<String>,
    fields: &super::args::ConnectionFields,
) -> Result<Profile, CliError> {
    let mut p = match name {
        Some(n) => {
            let store = open_store(config_dir)?;
            store.find(n).cloned().ok_or_else(|| {
                CliError::new(format!("no profile named \"{n}\" (see `shiftgate profiles list`)"))
            })?
        }
        None => {
            if fields.host.is_none() {
                return Err(CliError::new(
                    "give a profile name or --host (and --user, --database …)",
                ));
            }
            let engine =
                fields.engine.as_deref().and_then(Engine::parse).unwrap_or(Engine::Postgres);
            let mut p = Profile::new(engine);
            p.name = "command line".into();
            p
        }
    };
    apply_fields(&mut p, fields)?;
    let issues = p.validate();
    if !issues.is_empty() {
        let lines: Vec<String> = issues.iter().map(|i| format!("  - {}", i.message)).collect();
        return Err(CliError::new(format!(
            "the connection settings are not valid:\n{}",
            lines.join("\n")
        )));
    }
    Ok(p)
}

fn print_step(step: &Step) {
    if step.status == StepStatus::Running {
        return;
    }
    let detail = if step.detail.is_empty() { String::new() } else { format!("  {}", step.detail) };
    println!(
        "  {} {:<28} {:>6} ms{}",
        step.status.symbol(),
        step.kind.label(),
        step.elapsed_ms,
        detail
    );
}

pub fn run(
    config_dir: &Option<PathBuf>,
    accept_new_host_key: bool,
    args: TestArgs,
    rt: &tokio::runtime::Runtime,
) -> CliResult {
    let profile = profile_from_args(config_dir, &args.profile, &args.fields)?;
    if args.tunnel_only && !profile.ssh.enabled {
        return Err(CliError::new(
            "--tunnel-only needs a profile with an SSH tunnel (see `profiles edit --ssh-host`)",
        ));
    }
    let conn = super::connection::CliConnection::resolve_for(
        config_dir,
        profile,
        accept_new_host_key,
        args.tunnel_only,
    )?;
    let tunnel_only = args.tunnel_only;
    let profile = &conn.profile;
    let json = args.json;
    if !json {
        println!(
            "Testing {}@{}:{}/{} (sslmode={})",
            profile.user, profile.host, profile.port, profile.database, profile.sslmode
        );
    }
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    let report = rt.block_on(async move {
        let ctrl_c = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                c2.cancel();
            }
        });
        let sink = move |s: Step| {
            if !json {
                print_step(&s);
            }
        };
        let r = if tunnel_only {
            connect::test_tunnel(&conn.profile, &conn.credentials, &conn.tunnel, &sink, &cancel)
                .await
        } else {
            connect::test_connection(&conn.profile, &conn.credentials, &conn.tunnel, &sink, &cancel)
                .await
        };
        ctrl_c.abort();
        r
    });
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let text = report.render_text();
        // Steps were printed live; print the rest of the report.
        for line in text.lines().skip(1 + report.steps.len()) {
            println!("{line}");
        }
    }
    if report.succeeded() { Ok(()) } else { Err(CliError::failed(String::new())) }
}
