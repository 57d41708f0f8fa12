//! `shiftgate secrets status` (which secret store is active, and why not the keychain) and
//! `shiftgate secrets forget <profile>` (delete a profile's saved password and SSH secrets).

use super::{CliError, CliResult, open_store};
use crate::store::password_source::forget_profile_secrets;
use crate::store::secret_choice::open_secret_store;
use std::path::PathBuf;
use std::time::Instant;

pub fn status() -> CliResult {
    let started = Instant::now();
    let (store, reason) = open_secret_store(true);
    println!("store: {}", store.describe());
    println!("persistent: {}", store.persistent());
    println!("reason: {}", reason.as_deref().unwrap_or("-"));
    println!("probe_ms: {}", started.elapsed().as_millis());
    Ok(())
}

pub fn forget(config_dir: &Option<PathBuf>, name: &str) -> CliResult {
    let profiles = open_store(config_dir)?;
    let profile =
        profiles.find(name).ok_or_else(|| CliError::new(format!("no profile named \"{name}\"")))?;
    let (store, reason) = open_secret_store(true);
    if let Some(line) = reason {
        return Err(CliError::new(format!(
            "{line} Nothing is saved, so there is nothing to forget."
        )));
    }
    forget_profile_secrets(store.as_ref(), profile)?;
    println!("forgot the saved secrets of \"{}\" in {}", profile.display_name(), store.describe());
    Ok(())
}
