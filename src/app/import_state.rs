//! The import preview: which file, which format, what the import would create / update / skip, and
//! which of those the user ticked. Also the default places to import from (only files that exist).
//!
//! Pure data and updates over text the app has already read: no egui drawing and no store or
//! secret-store writes. Passwords found in the file stay in [`import::ImportedProfile::password`] until the
//! app hands them to the secret store; they never enter a [`Profile`].

use shiftgate_core::import::apply::Collision;
use shiftgate_core::import::{self, EnvLookup, ImportFormat, ImportPlan, ImportSkip};
use shiftgate_core::profile::{Profile, ProfileId};
use std::path::{Path, PathBuf};

/// A file worth offering in the "Import from" menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportLocation {
    /// What the menu says, e.g. `~/.pgpass`.
    pub label: String,
    pub path: PathBuf,
}

/// The places libpq and dbt look (`~/.pgpass`, `pg_service.conf`, `~/.dbt/profiles.yml`), keeping
/// only those that are files. `home` is the user's home directory.
pub fn default_locations(env: EnvLookup<'_>, home: Option<&Path>) -> Vec<ImportLocation> {
    let mut candidates = import::pgpass::candidate_paths(env, home);
    candidates.extend(import::pg_service::candidate_paths(env, home));
    match env("DBT_PROFILES_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => candidates.push(Path::new(&dir).join("profiles.yml")),
        None => candidates.extend(home.map(|h| h.join(".dbt").join("profiles.yml"))),
    }
    let mut out: Vec<ImportLocation> = Vec::new();
    for path in candidates {
        if !path.is_file() || out.iter().any(|l| l.path == path) {
            continue;
        }
        let label = match home.and_then(|h| path.strip_prefix(h).ok()) {
            Some(rest) => format!("~/{}", rest.display()),
            None => path.display().to_string(),
        };
        out.push(ImportLocation { label, path });
    }
    out
}

/// The file as the app read it: its text and, on Unix, its permission bits.
pub struct ReadFile {
    pub text: String,
    pub mode: Option<u32>,
}

/// What the file yielded, with the user's ticks.
pub struct PreviewPlan {
    pub plan: ImportPlan,
    /// File-level lines that could not become profiles, with why.
    pub ignored: Vec<String>,
    /// One tick per [`ImportPlan::create`] entry.
    pub create_ticked: Vec<bool>,
    /// One choice per [`ImportPlan::update`] entry (it matches an existing profile): replace,
    /// skip or keep both.
    pub update_choice: Vec<Collision>,
}

impl PreviewPlan {
    /// `plan` with everything ticked and every collision replacing.
    pub fn new(plan: ImportPlan, ignored: Vec<String>) -> PreviewPlan {
        PreviewPlan {
            create_ticked: vec![true; plan.create.len()],
            update_choice: vec![Collision::Replace; plan.update.len()],
            plan,
            ignored,
        }
    }
}

/// Says whether the secret store already holds `password` for the profile (read by the app).
pub type SamePassword<'a> = &'a dyn Fn(&ProfileId, &str) -> bool;

/// The import preview dialog's state.
pub struct ImportPreview {
    pub path: PathBuf,
    /// What [`import::detect_format`] said (None: could not tell).
    pub detected: Option<ImportFormat>,
    /// The format in use: the detected one unless the user chose another.
    pub format: Option<ImportFormat>,
    /// File-level warnings (e.g. a pgpass file readable by others).
    pub warnings: Vec<String>,
    /// The plan, or why there is none (read error, unknown format, a malformed line).
    pub outcome: Result<PreviewPlan, String>,
    /// Set when an import was applied in part: what landed and why the entries still listed
    /// were not written (changed elsewhere since the preview), to be chosen again.
    pub retry: Option<String>,
}

impl ImportPreview {
    /// Parse `read` (the file's content, or why it could not be read) as `chosen`, else as the
    /// detected format, and plan it against `existing`. An update that would change nothing, not
    /// even the saved password, is a skip. Everything else is ticked at first.
    pub fn new(
        path: PathBuf,
        read: Result<ReadFile, String>,
        chosen: Option<ImportFormat>,
        existing: &[Profile],
        env: EnvLookup<'_>,
        same_password: SamePassword<'_>,
    ) -> ImportPreview {
        let file = match read {
            Ok(file) => file,
            Err(message) => {
                return ImportPreview {
                    path,
                    detected: None,
                    format: chosen,
                    warnings: Vec::new(),
                    outcome: Err(message),
                    retry: None,
                };
            }
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let detected = import::detect_format(&name, &file.text);
        let format = chosen.or(detected);
        let mut warnings = Vec::new();
        if format == Some(ImportFormat::Pgpass)
            && let Some(w) = file.mode.and_then(import::pgpass::permission_warning)
        {
            warnings.push(w);
        }
        let outcome = match format {
            None => Err(format!("Could not tell the format of {name}. Choose it under Format.")),
            Some(format) => match import::parse(format, &file.text, env) {
                Err(e) => Err(format!(
                    "{name} is not a valid {} file: {e}. Nothing will be imported.",
                    format.label()
                )),
                Ok(batch) => {
                    let mut plan = import::plan(existing, batch.profiles);
                    skip_unchanged(&mut plan, existing, same_password);
                    Ok(PreviewPlan::new(plan, batch.skipped))
                }
            },
        };
        ImportPreview { path, detected, format, warnings, outcome, retry: None }
    }

    /// How many profiles "Import" would write.
    pub fn ticked_count(&self) -> usize {
        self.outcome.as_ref().map_or(0, |p| {
            p.create_ticked.iter().filter(|t| **t).count()
                + p.update_choice.iter().filter(|c| **c != Collision::Skip).count()
        })
    }
}

/// Turn updates that leave the profile as it is, with a password the secret store already holds,
/// into skips (`plan` counts any password in the file as a change).
fn skip_unchanged(plan: &mut ImportPlan, existing: &[Profile], same_password: SamePassword<'_>) {
    for update in std::mem::take(&mut plan.update) {
        let unchanged = existing.iter().any(|p| p.id == update.existing && *p == update.merged);
        if unchanged
            && update
                .imported
                .password
                .as_deref()
                .is_none_or(|pw| same_password(&update.existing, pw))
        {
            let reason = format!(
                "identical to \"{}\", password already saved",
                update.merged.display_name()
            );
            plan.skip.push(ImportSkip { imported: update.imported, reason });
        } else {
            plan.update.push(update);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PGPASS: &str =
        "db1.example.com:5432:sales:alice:pw1\ndb2.example.com:5432:hr:bob:pw2\n*:*:*:admin:x\n";

    fn preview(existing: &[Profile], text: &str, mode: Option<u32>) -> ImportPreview {
        let read = Ok(ReadFile { text: text.into(), mode });
        ImportPreview::new(
            PathBuf::from("/home/u/.pgpass"),
            read,
            None,
            existing,
            &|_| None,
            &|_, pw| pw == "pw1",
        )
    }

    #[test]
    fn only_ticked_entries_are_applied_and_passwords_stay_out_of_profiles() {
        let mut p = preview(&[], PGPASS, Some(0o100600));
        assert!(p.warnings.is_empty());
        let Ok(plan) = p.outcome.as_mut() else { panic!("parsed") };
        assert_eq!(plan.plan.create.len(), 2);
        assert_eq!(plan.ignored.len(), 1, "the wildcard line is listed, not imported");
        plan.create_ticked[1] = false;
        assert_eq!(p.ticked_count(), 1);
        let Ok(plan) = p.outcome else { panic!("parsed") };
        let w = writes(plan);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].imported.password.as_deref(), Some("pw1"));
        assert_eq!(w[0].expected, None);
    }

    fn writes(plan: PreviewPlan) -> Vec<import::apply::ImportWrite> {
        import::apply::writes(plan.plan, &plan.create_ticked, &plan.update_choice)
    }

    #[test]
    fn reimport_with_the_saved_password_is_a_skip() {
        let Ok(first) = preview(&[], PGPASS, None).outcome else { panic!("parsed") };
        let existing: Vec<Profile> = writes(first).into_iter().map(|w| w.profile).collect();
        let Ok(again) = preview(&existing, PGPASS, None).outcome else { panic!("parsed") };
        // pw1 is "already saved" (see `preview`), pw2 is not: only alice becomes a skip.
        assert_eq!(again.plan.skip.len(), 1);
        assert!(again.plan.skip[0].reason.contains("password already saved"));
        assert_eq!(again.plan.update.len(), 1);
        assert!(again.plan.create.is_empty());
        assert_eq!(again.update_choice, [Collision::Replace], "a collision replaces at first");
    }

    #[test]
    fn readable_pgpass_warns_and_unknown_format_asks() {
        let p = preview(&[], PGPASS, Some(0o100644));
        assert!(p.warnings.iter().any(|w| w.contains("0644")));
        let read = Ok(ReadFile { text: "hello".into(), mode: None });
        let p =
            ImportPreview::new(PathBuf::from("notes.txt"), read, None, &[], &|_| None, &|_, _| {
                false
            });
        assert!(p.outcome.as_ref().is_err_and(|e| e.contains("Format")));
        assert_eq!(p.ticked_count(), 0);
    }

    #[test]
    fn default_locations_lists_existing_files_only() {
        let home = tempfile::tempdir().expect("temp dir");
        std::fs::write(home.path().join(".pgpass"), "h:5432:d:u:p\n").expect("write");
        std::fs::create_dir(home.path().join(".dbt")).expect("mkdir");
        std::fs::write(home.path().join(".dbt").join("profiles.yml"), "x:\n").expect("write");
        let env = |k: &str| (k == "PGSYSCONFDIR").then(|| "/nonexistent".to_string());
        let found = default_locations(&env, Some(home.path()));
        let labels: Vec<&str> = found.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["~/.pgpass", "~/.dbt/profiles.yml"]);
    }
}
