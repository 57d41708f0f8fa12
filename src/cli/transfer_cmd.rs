//! `shiftgate import <file>` and `shiftgate export [profiles…]`: bring in what users already have
//! (pgpass, pg_service.conf, dbt profiles.yml, pgAdmin, DBeaver, Shiftgate exports) with a preview,
//! and export profiles without secrets. Passwords found in imported files go to the secret store,
//! never into profiles.toml.

use super::{CliError, CliResult, open_store};
use crate::store::secret_choice::open_secret_store;
use crate::store::secrets::SecretKey;
use shiftgate_core::import::{self, ImportFormat};
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

pub fn import_file(
    config_dir: &Option<PathBuf>,
    file: &Path,
    format: Option<String>,
    dry_run: bool,
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
    for u in &plan.update {
        println!(
            "  ~ update  {:<28} {} — {}",
            u.merged.display_name(),
            u.reason,
            u.changes.join(", ")
        );
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
    // Per-profile upserts applied to the file as it is now (under the store's lock): profiles
    // added elsewhere since this command read the file are kept.
    let mut upserts = Vec::new();
    let mut secrets_to_save = Vec::new();
    for u in plan.update {
        if let Some(pw) = u.imported.password {
            secrets_to_save.push((u.merged.id.clone(), pw));
        }
        upserts.push(u.merged);
    }
    for c in plan.create {
        if let Some(pw) = c.password {
            secrets_to_save.push((c.profile.id.clone(), pw));
        }
        upserts.push(c.profile);
    }
    store.upsert_all(upserts)?;
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
    println!("imported into {}", store.path().display());
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
