//! `shiftgate import <file>` and `shiftgate export [profiles…]`: bring in what users already have
//! (pgpass, pg_service.conf, dbt profiles.yml, pgAdmin, DBeaver, Shiftgate exports) with a preview,
//! and export profiles without secrets. Passwords found in imported files go to the secret store,
//! never into profiles.toml.

use super::{CliError, CliResult, open_store};
use crate::store::profiles::ImportOutcome;
use crate::store::secret_choice::open_secret_store;
use crate::store::secrets::SecretKey;
use shiftgate_core::import::apply::{Collision, unique_name};
use shiftgate_core::import::{self, ImportFormat};
use shiftgate_core::profile::ProfileId;
use std::path::{Path, PathBuf};

fn parse_format(name: &str) -> Result<ImportFormat, CliError> {
    let n = name.to_ascii_lowercase();
    Ok(match n.as_str() {
        "pgpass" => ImportFormat::Pgpass,
        "pg_service" | "pg-service" | "service" => ImportFormat::PgService,
        "dbt" => ImportFormat::DbtProfiles,
        "pgadmin" => ImportFormat::PgAdminServers,
        "dbeaver" => ImportFormat::DbeaverDataSources,
        "shiftgate" | "toml" | "json" => ImportFormat::ShiftgateExport,
        _ => {
            return Err(CliError::new(format!(
                "unknown format \"{name}\" (pgpass, pg_service, dbt, pgadmin, dbeaver, shiftgate)"
            )));
        }
    })
}

#[cfg(unix)]
fn pgpass_mode_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    import::pgpass::permission_warning(mode)
}

#[cfg(not(unix))]
fn pgpass_mode_warning(_: &Path) -> Option<String> {
    None
}

/// `--on-conflict` and `--choose NAME=CHOICE`: what to do with entries matching existing profiles.
pub struct Choices {
    default: Collision,
    /// (lowercased profile name, choice)
    named: Vec<(String, Collision)>,
}

impl Choices {
    pub fn parse(on_conflict: &str, choose: &[String]) -> Result<Choices, CliError> {
        let parse = |v: &str, flag: &str| {
            Collision::parse(v).ok_or_else(|| {
                CliError::new(format!(
                    "{flag}: unknown choice \"{v}\" (use replace, skip or keep-both)"
                ))
            })
        };
        let default = parse(on_conflict, "--on-conflict")?;
        let mut named = Vec::new();
        for spec in choose {
            let (name, choice) = spec.rsplit_once('=').ok_or_else(|| {
                CliError::new(format!("--choose \"{spec}\": expected NAME=replace|skip|keep-both"))
            })?;
            let name = name.trim().to_lowercase();
            if name.is_empty() {
                return Err(CliError::new(format!("--choose \"{spec}\": no profile name")));
            }
            named.push((name, parse(choice, &format!("--choose \"{spec}\""))?));
        }
        Ok(Choices { default, named })
    }

    /// The choice for an entry matching `existing` (imported as `imported_name`).
    fn for_entry(&self, existing: &str, imported_name: &str) -> Collision {
        let (a, b) = (existing.trim().to_lowercase(), imported_name.trim().to_lowercase());
        self.named.iter().find(|(n, _)| *n == a || *n == b).map_or(self.default, |(_, c)| *c)
    }
}

pub fn import_file(
    config_dir: &Option<PathBuf>,
    file: &Path,
    format: Option<String>,
    dry_run: bool,
    choices: &Choices,
) -> CliResult {
    let bytes = std::fs::read(file)
        .map_err(|e| CliError::new(format!("could not read {}: {e}", file.display())))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::new(format!("{} is not UTF-8 text", file.display())))?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let format = match format {
        Some(f) => parse_format(&f)?,
        None => import::detect_format(&name, &text).ok_or_else(|| {
            CliError::new(format!(
                "could not tell the format of {name}; pass --format (pgpass, pg_service, dbt, pgadmin, dbeaver, shiftgate)"
            ))
        })?,
    };
    if format == ImportFormat::Pgpass
        && let Some(w) = pgpass_mode_warning(file)
    {
        eprintln!("warning: {w}");
    }
    let env = |k: &str| std::env::var(k).ok();
    let batch = import::parse(format, &text, &env)
        .map_err(|e| CliError::new(format!("{}: {e} — nothing was imported", file.display())))?;
    let mut store = open_store(config_dir)?;
    let plan = import::plan(store.profiles(), batch.profiles);
    println!("Import from {} ({}):", file.display(), format.label());
    for c in &plan.create {
        println!(
            "  + create  {:<28} {}@{}:{}/{}  [{}]",
            c.profile.display_name(),
            c.profile.user,
            c.profile.host,
            c.profile.port,
            c.profile.database,
            c.source
        );
        for w in &c.warnings {
            println!("            warning: {w}");
        }
    }
    let mut chosen = Vec::with_capacity(plan.update.len());
    for u in &plan.update {
        let existing = store.get(&u.existing).map(|p| p.display_name()).unwrap_or_default();
        let choice = choices.for_entry(&existing, &u.imported.profile.name);
        chosen.push(choice);
        match choice {
            Collision::Replace => println!(
                "  ~ replace {:<28} {} — {}",
                u.merged.display_name(),
                u.reason,
                u.changes.join(", ")
            ),
            Collision::Skip => println!(
                "  = skip    {:<28} {} (chosen; --choose \"{existing}=replace\" updates it)",
                u.imported.profile.display_name(),
                u.reason
            ),
            Collision::KeepBoth => println!(
                "  + keep both {:<26} {}; imported beside it as \"{}\"",
                u.imported.profile.display_name(),
                u.reason,
                unique_name(store.profiles(), &ProfileId::new_random(), &u.imported.profile.name)
            ),
        }
    }
    for (name, _) in &choices.named {
        let known = plan.update.iter().any(|u| {
            store.get(&u.existing).is_some_and(|p| p.name.trim().eq_ignore_ascii_case(name))
                || u.imported.profile.name.trim().eq_ignore_ascii_case(name)
        });
        if !known {
            return Err(CliError::new(format!(
                "--choose: no entry of {} matches an existing profile named \"{name}\"; nothing was imported",
                file.display()
            )));
        }
    }
    for s in &plan.skip {
        println!("  = skip    {:<28} {}", s.imported.profile.display_name(), s.reason);
    }
    for s in &batch.skipped {
        println!("  - ignored {s}");
    }
    if dry_run {
        println!("dry run: nothing written");
        return Ok(());
    }
    // One profile at a time, on the file as it is now (under the store's lock): profiles added
    // elsewhere are kept, and an entry whose profile changed since this command read the file is
    // not written but listed.
    let create_ticked = vec![true; plan.create.len()];
    let writes = import::apply::writes(plan, &create_ticked, &chosen);
    let outcomes = store.import_each(&writes)?;
    let mut secrets_to_save = Vec::new();
    let mut not_written = Vec::new();
    let mut written = 0;
    for (w, outcome) in writes.iter().zip(outcomes) {
        match outcome {
            ImportOutcome::Written(p) => {
                written += 1;
                if let Some(pw) = &w.imported.password {
                    secrets_to_save.push((p.id.clone(), pw.clone()));
                }
            }
            ImportOutcome::Conflict { reason, .. } => {
                println!("  ! not imported {:<21} {reason}", w.imported.profile.display_name());
                not_written.push(w.imported.profile.display_name());
            }
        }
    }
    if !secrets_to_save.is_empty() {
        let (secrets, why_not) = open_secret_store(true);
        if let Some(line) = why_not {
            eprintln!(
                "{line} {} imported password(s) were NOT saved (nothing is written to disk in clear).",
                secrets_to_save.len()
            );
        } else {
            for (id, pw) in &secrets_to_save {
                if let Err(e) = secrets.set(&SecretKey::db_password(id), pw) {
                    eprintln!("warning: could not save a password in the keychain: {e}");
                }
            }
            println!("{} password(s) saved in {}", secrets_to_save.len(), secrets.describe());
        }
    }
    println!("imported {written} profile(s) into {}", store.path().display());
    if !not_written.is_empty() {
        return Err(CliError::new(format!(
            "not imported, changed elsewhere while importing: {}; run the import again to choose for them",
            not_written.join(", ")
        )));
    }
    Ok(())
}

pub fn export(
    config_dir: &Option<PathBuf>,
    names: &[String],
    json: bool,
    output: Option<&Path>,
) -> CliResult {
    let store = open_store(config_dir)?;
    let selected: Vec<_> = if names.is_empty() {
        store.profiles().to_vec()
    } else {
        names
            .iter()
            .map(|n| {
                store
                    .find(n)
                    .cloned()
                    .ok_or_else(|| CliError::new(format!("no profile named \"{n}\"")))
            })
            .collect::<Result<_, _>>()?
    };
    let text = if json {
        import::export::export_json(&selected)
    } else {
        import::export::export_toml(&selected)
    };
    match output {
        Some(path) => {
            crate::store::atomic::write_atomic(path, text.as_bytes())
                .map_err(|e| CliError::new(format!("could not write {}: {e}", path.display())))?;
            eprintln!(
                "exported {} profile(s) to {} (no passwords)",
                selected.len(),
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(())
}
