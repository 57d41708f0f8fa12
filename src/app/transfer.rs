//! Command handling for import and export, the GUI twin of `shiftgate import` / `shiftgate export`.
//! Reads the chosen file (connection files are small and local, so on the UI thread), opens the
//! preview, writes the ticked profiles to the store and the passwords found in the file to the
//! secret store (never to the profiles file), and exports profiles without any secret.

use super::App;
use super::command::TransferCommand;
use super::import_state::{ImportPreview, PreviewPlan, ReadFile, default_locations};
use super::state::{Dialog, LogLevel};
use crate::store::atomic::write_atomic;
use crate::store::profiles::ImportOutcome;
use crate::store::secrets::SecretKey;
use shiftgate_core::import::{self, ImportFormat};
use shiftgate_core::profile::{Profile, ProfileId};
use std::path::{Path, PathBuf};

/// What an applied import wrote, and what it could not.
#[derive(Default)]
struct ImportApplied {
    created: usize,
    updated: Vec<ProfileId>,
    /// SECRETS, for the secret store under `SecretKey::db_password(id)`.
    passwords: Vec<(ProfileId, String)>,
    /// One line per entry that was not written, with why.
    conflicts: Vec<String>,
}

/// Connection files are a few kilobytes; a file this big is not one and is not read.
const MAX_IMPORT_BYTES: u64 = 4 * 1024 * 1024;

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The file's text and permission bits, or a sentence saying why it could not be read.
fn read_import_file(path: &Path) -> Result<ReadFile, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("Could not read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a file.", path.display()));
    }
    if meta.len() > MAX_IMPORT_BYTES {
        return Err(format!(
            "{} is {} KB, far larger than a connection file; it was not read.",
            path.display(),
            meta.len() / 1024
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| format!("Could not read {}: {e}", path.display()))?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text.", path.display()))?;
    Ok(ReadFile { text, mode: file_mode(&meta) })
}

#[cfg(unix)]
fn file_mode(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(meta.permissions().mode())
}

#[cfg(not(unix))]
fn file_mode(_: &std::fs::Metadata) -> Option<u32> {
    None
}

/// "1 profile", "3 profiles".
fn profiles_count(n: usize) -> String {
    if n == 1 { "1 profile".into() } else { format!("{n} profiles") }
}

/// A file name made of the profile's name: letters, digits, `-`, `_` and `.` only.
fn export_file_name(profile: &Profile) -> String {
    let stem: String = profile
        .display_name()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' })
        .collect();
    let stem = stem.trim_matches(['-', '.']);
    if stem.is_empty() { "profile.toml".into() } else { format!("{stem}.toml") }
}

impl App {
    pub(super) fn apply_transfer_command(&mut self, cmd: TransferCommand) {
        match cmd {
            TransferCommand::ImportFile => {
                if let Some(path) = self.file_picker.pick_import_file() {
                    self.preview_import(path, None);
                }
            }
            TransferCommand::ImportPath(path) => self.preview_import(path, None),
            TransferCommand::ImportAs(format) => {
                if let Some(Dialog::Import(preview)) = &self.state.dialog {
                    let path = preview.path.clone();
                    self.preview_import(path, Some(format));
                }
            }
            TransferCommand::ApplyImport => self.apply_import(),
            TransferCommand::Export(scope) => self.export(scope.as_ref()),
        }
    }

    /// Look again for `~/.pgpass` and the other default files (they may have appeared since).
    pub(super) fn refresh_import_locations(&mut self) {
        let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
        self.state.import_locations = default_locations(&env_var, home.as_deref());
    }

    /// Read `path` and show what importing it would do (or why it cannot be imported).
    /// The file is read and each entry's password compared with the saved one off the UI thread
    /// (a keychain may take long to answer); the dialog opens when that is done.
    fn preview_import(&mut self, path: PathBuf, format: Option<ImportFormat>) {
        let existing = self.store.profiles().to_vec();
        let secrets = self.secrets.clone();
        self.secret_job("import-preview", move |send| {
            let read = read_import_file(&path);
            let same_password = |id: &ProfileId, pw: &str| matches!(secrets.get(&SecretKey::db_password(id)), Ok(Some(saved)) if saved.as_str() == pw);
            let preview =
                ImportPreview::new(path, read, format, &existing, &env_var, &same_password);
            send(super::background::Done::ImportPreview(Box::new(preview)));
        });
    }

    /// Write the ticked entries and the chosen collisions, one profile at a time on the file as
    /// it is now (one write), then their passwords. Entries that no longer fit the file (changed
    /// elsewhere since the preview) are not written: the dialog stays open with them, planned
    /// again against the file, for the user to choose again.
    fn apply_import(&mut self) {
        let Some(Dialog::Import(preview)) = self.state.dialog.take() else { return };
        let ImportPreview { path, detected, format, warnings, outcome, .. } = *preview;
        let Ok(plan) = outcome else { return };
        let writes = import::apply::writes(plan.plan, &plan.create_ticked, &plan.update_choice);
        if writes.is_empty() {
            return;
        }
        let outcomes = match self.store.import_each(&writes) {
            Ok(o) => o,
            Err(e) => {
                self.state.store_revision += 1;
                self.state.tell(LogLevel::Error, format!("Nothing was imported: {e}"));
                return;
            }
        };
        let mut apply = ImportApplied::default();
        let mut again = Vec::new();
        for (write, outcome) in writes.into_iter().zip(outcomes) {
            match outcome {
                ImportOutcome::Written(p) => {
                    if let Some(pw) = write.imported.password.clone() {
                        apply.passwords.push((p.id.clone(), pw));
                    }
                    match write.expected {
                        Some(_) => apply.updated.push(p.id),
                        None => apply.created += 1,
                    }
                }
                ImportOutcome::Conflict { reason, .. } => {
                    let name = write.imported.profile.display_name();
                    apply.conflicts.push(format!("\"{name}\": {reason}"));
                    again.push(write.imported);
                }
            }
        }
        let written = apply.created + apply.updated.len();
        if !again.is_empty() {
            let replan = import::plan(self.store.profiles(), again);
            let retry = format!(
                "{} of this file landed. {} entr{} not written: {}. Choose again for {}:",
                profiles_count(written),
                apply.conflicts.len(),
                if apply.conflicts.len() == 1 { "y was" } else { "ies were" },
                apply.conflicts.join("; "),
                if apply.conflicts.len() == 1 { "it" } else { "them" },
            );
            self.state.tell(LogLevel::Warn, retry.clone());
            self.state.dialog = Some(Dialog::Import(Box::new(ImportPreview {
                path: path.clone(),
                detected,
                format,
                warnings,
                outcome: Ok(PreviewPlan::new(replan, Vec::new())),
                retry: Some(retry),
            })));
        }
        if written == 0 {
            self.state.store_revision += 1;
            return;
        }
        self.state.store_revision += 1;
        self.reopen_updated(&apply.updated);
        self.refresh_import_locations();
        let text = format!(
            "Imported {} from {} ({} new, {} updated)",
            profiles_count(written),
            path.display(),
            apply.created,
            apply.updated.len()
        );
        self.state.tell(LogLevel::Info, text);
        if apply.passwords.is_empty() {
            return;
        }
        // The passwords go to the keychain in the background; a line says how that went.
        let (secrets, store_name) = (self.secrets.clone(), self.secrets_name.clone());
        let passwords = apply.passwords;
        self.secret_job("import-passwords", move |send| {
            let mut failures = Vec::new();
            for (id, password) in &passwords {
                if let Err(e) = secrets.set(&SecretKey::db_password(id), password) {
                    failures.push(e.to_string());
                }
            }
            let saved = passwords.len() - failures.len();
            let (level, text) = match failures.first() {
                None => {
                    (LogLevel::Info, format!("{saved} imported password(s) saved in {store_name}"))
                }
                Some(first) => (
                    LogLevel::Warn,
                    format!(
                        "{saved} imported password(s) saved in {store_name}; {} NOT saved: {first}",
                        failures.len()
                    ),
                ),
            };
            send(super::background::Done::Tell { level, text });
        });
    }

    /// The form shows a profile the import changed: show the new version unless it has edits.
    fn reopen_updated(&mut self, updated: &[ProfileId]) {
        let Some(form) = self.state.form.as_ref().filter(|f| updated.contains(&f.draft.id)) else {
            return;
        };
        let id = form.draft.id.clone();
        if form.is_dirty() {
            let name = form.draft.display_name();
            self.state.log(
                LogLevel::Warn,
                format!(
                    "\"{name}\" was updated by the import; the form still holds your unsaved edits"
                ),
            );
        } else {
            self.open_saved(&id);
        }
    }

    /// Export one profile (`Some`) or all to a `.toml` (or `.json`) file, with no secrets in it.
    fn export(&mut self, scope: Option<&ProfileId>) {
        let profiles = match scope {
            Some(id) => match self.store.get(id) {
                Some(p) => vec![p.clone()],
                None => {
                    self.state.tell(LogLevel::Error, format!("No profile with id {id}"));
                    return;
                }
            },
            None => self.store.profiles().to_vec(),
        };
        let suggested = match (scope, profiles.first()) {
            (Some(_), Some(p)) => export_file_name(p),
            _ => "shiftgate-profiles.toml".to_string(),
        };
        if profiles.is_empty() {
            self.state.tell(LogLevel::Info, "There are no profiles to export");
            return;
        }
        let Some(path) = self.file_picker.save_export_file(&suggested) else { return };
        let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let text = if json {
            import::export::export_json(&profiles)
        } else {
            import::export::export_toml(&profiles)
        };
        let count = profiles_count(profiles.len());
        // Written in the background: a slow or network disk must not freeze the window.
        self.background.spawn("export", move |send| {
            let (level, text) = match write_atomic(&path, text.as_bytes()) {
                Ok(()) => (
                    LogLevel::Info,
                    format!(
                        "Exported {count} to {} as {}; no passwords are included",
                        path.display(),
                        if json { "JSON" } else { "TOML" }
                    ),
                ),
                Err(e) => (LogLevel::Error, format!("Could not export to {}: {e}", path.display())),
            };
            send(super::background::Done::Tell { level, text });
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftgate_core::profile::Engine;

    #[test]
    fn export_file_names_are_safe() {
        let mut p = Profile::new(Engine::Postgres);
        p.name = "prod / eu-west".into();
        assert_eq!(export_file_name(&p), "prod---eu-west.toml");
        p.name = "../..".into();
        assert_eq!(export_file_name(&p), "profile.toml");
    }
}
