//! `shiftgate profiles add|list|show|edit|rm`.

use super::args::{ConnectionFields, ProfilesAction};
use super::{CliError, CliResult, open_store};
use crate::store::profiles::StoreError;
use shiftgate_core::profile::{Engine, Profile, SecretMode, SslMode};
use std::path::PathBuf;

/// Apply command-line fields onto a profile (engine first, so defaults follow it).
pub fn apply_fields(p: &mut Profile, f: &ConnectionFields) -> Result<(), CliError> {
    if let Some(e) = &f.engine {
        let engine = Engine::parse(e).ok_or_else(|| {
            CliError::new(format!("unknown engine \"{e}\" (use redshift or postgres)"))
        })?;
        p.set_engine(engine);
    }
    if let Some(h) = &f.host {
        p.host = h.clone();
    }
    if let Some(port) = f.port {
        p.port = port;
    }
    if let Some(d) = &f.database {
        p.database = d.clone();
    }
    if let Some(u) = &f.user {
        p.user = u.clone();
    }
    if let Some(m) = &f.sslmode {
        p.sslmode = SslMode::parse(m).ok_or_else(|| {
            CliError::new(format!(
                "unknown sslmode \"{m}\" (one of: {})",
                SslMode::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })?;
    }
    if let Some(ca) = &f.ca_file {
        p.ca_file = if ca.as_os_str().is_empty() { None } else { Some(ca.clone()) };
    }
    if let Some(t) = f.timeout {
        p.connect_timeout_secs = t;
    }
    if let Some(a) = &f.application_name {
        p.application_name = if a.is_empty() { None } else { Some(a.clone()) };
    }
    Ok(())
}

fn check(p: &Profile) -> Result<(), CliError> {
    let issues = p.validate();
    if issues.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = issues.iter().map(|i| format!("  - {}", i.message)).collect();
    Err(CliError::new(format!("the profile is not valid:\n{}", lines.join("\n"))))
}

pub fn show_text(p: &Profile) -> String {
    let mut s = format!(
        "{name}  [{engine}]\n  id:       {id}\n  host:     {host}\n  port:     {port}\n  database: {db}\n  user:     {user}\n  sslmode:  {ssl}\n",
        name = p.display_name(),
        engine = p.engine,
        id = p.id,
        host = p.host,
        port = p.port,
        db = p.database,
        user = p.user,
        ssl = p.sslmode
    );
    if let Some(ca) = &p.ca_file {
        s.push_str(&format!("  CA file:  {}\n", ca.display()));
    }
    s.push_str(&format!("  timeout:  {} s\n", p.connect_timeout_secs));
    s.push_str(&format!(
        "  password: {}\n",
        match p.password_mode {
            SecretMode::Keychain => "saved in the OS keychain",
            SecretMode::AskEveryTime => "asked every time",
        }
    ));
    if p.ssh.enabled {
        s.push_str(&format!(
            "  ssh:      {}@{}:{}\n",
            p.ssh.bastion.user, p.ssh.bastion.host, p.ssh.bastion.port
        ));
    }
    if !p.notes.is_empty() {
        s.push_str(&format!("  notes:    {}\n", p.notes.replace('\n', "\n            ")));
    }
    s
}

pub fn run(config_dir: &Option<PathBuf>, action: ProfilesAction) -> CliResult {
    let mut store = open_store(config_dir)?;
    match action {
        ProfilesAction::Add { name, fields, notes, ask_every_time } => {
            let engine = match &fields.engine {
                Some(e) => Engine::parse(e)
                    .ok_or_else(|| CliError::new(format!("unknown engine \"{e}\"")))?,
                None => Engine::Redshift,
            };
            let mut p = Profile::new(engine);
            p.name = name;
            apply_fields(&mut p, &fields)?;
            if let Some(n) = notes {
                p.notes = n;
            }
            if ask_every_time {
                p.password_mode = SecretMode::AskEveryTime;
            }
            check(&p)?;
            let id = p.id.clone();
            store.upsert(p)?;
            println!("added profile {id} to {}", store.path().display());
        }
        ProfilesAction::List { json } => {
            if json {
                println!("{}", serde_json::to_string_pretty(store.profiles())?);
            } else if store.profiles().is_empty() {
                println!("no profiles yet (add one with `shiftgate profiles add NAME --host …`)");
            } else {
                for p in store.profiles() {
                    println!(
                        "{:<24} {:<10} {}@{}:{}/{}  sslmode={}",
                        p.display_name(),
                        p.engine.label(),
                        p.user,
                        p.host,
                        p.port,
                        p.database,
                        p.sslmode
                    );
                }
            }
        }
        ProfilesAction::Show { name, json } => {
            let p = store
                .find(&name)
                .ok_or_else(|| CliError::new(format!("no profile named \"{name}\"")))?;
            if json {
                println!("{}", serde_json::to_string_pretty(p)?);
            } else {
                print!("{}", show_text(p));
            }
        }
        ProfilesAction::Edit { name, rename, fields, notes } => {
            // Applied to the profile as the file holds it now, under the store's lock, so edits
            // of other fields made meanwhile (another terminal, the window) are kept.
            store
                .update(&name, |p| {
                    apply_fields(p, &fields).map_err(|e| e.message)?;
                    if let Some(n) = rename {
                        p.name = n;
                    }
                    if let Some(n) = notes {
                        p.notes = n;
                    }
                    check(p).map_err(|e| e.message)
                })
                .map_err(|e| match e {
                    StoreError::NotFound(_) => {
                        CliError::new(format!("no profile named \"{name}\""))
                    }
                    other => CliError::from(other),
                })?;
            println!("saved");
        }
        ProfilesAction::Rm { name } => {
            let id = store
                .find(&name)
                .map(|p| p.id.clone())
                .ok_or_else(|| CliError::new(format!("no profile named \"{name}\"")))?;
            store.remove(&id)?;
            println!("removed profile \"{name}\"");
        }
    }
    Ok(())
}
