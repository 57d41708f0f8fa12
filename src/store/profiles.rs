//! The profile store: `profiles.toml` in the config directory, with a `schema_version`, atomic
//! writes, and a timestamped backup when the file can't be read. It never holds a secret.

use super::atomic::write_atomic;
use serde::{Deserialize, Serialize};
use shiftgate_core::profile::{Profile, ProfileId};
use std::fs;
use std::path::{Path, PathBuf};

/// Version of the file layout this build writes.
pub const SCHEMA_VERSION: u32 = 1;
pub const FILE_NAME: &str = "profiles.toml";
/// Environment variable that overrides the config directory (tests, portable installs).
pub const CONFIG_DIR_ENV: &str = "SHIFTGATE_CONFIG_DIR";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("could not write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("could not encode profiles: {0}")]
    Encode(String),
    #[error("no profile named or with id \"{0}\"")]
    NotFound(String),
    #[error("a profile named \"{0}\" already exists")]
    DuplicateName(String),
    #[error("no config directory could be determined; set {CONFIG_DIR_ENV}")]
    NoConfigDir,
}

#[derive(Debug, Serialize, Deserialize)]
struct ProfilesFile {
    schema_version: u32,
    #[serde(default, rename = "profile")]
    profiles: Vec<Profile>,
}

/// What happened when the store was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadNotice {
    /// The file was unreadable and moved aside; the user should be told where.
    MovedAside { backup: PathBuf, reason: String },
}

/// Profiles in memory plus where they live.
#[derive(Debug)]
pub struct ProfileStore {
    path: PathBuf,
    profiles: Vec<Profile>,
    pub notice: Option<LoadNotice>,
}

/// The config directory: `$SHIFTGATE_CONFIG_DIR`, else the platform's (e.g. `~/.config/shiftgate`).
pub fn default_config_dir() -> Result<PathBuf, StoreError> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("dev", "Shiftgate", "shiftgate")
        .map(|d| d.config_dir().to_path_buf())
        .ok_or(StoreError::NoConfigDir)
}

impl ProfileStore {
    /// Open the store in `dir` (created on first save). An unreadable or unparseable file is moved to
    /// `profiles.toml.broken-<timestamp>` and the store starts empty, with a notice saying so.
    pub fn open(dir: &Path) -> Result<ProfileStore, StoreError> {
        let path = dir.join(FILE_NAME);
        let text = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ProfileStore { path, profiles: Vec::new(), notice: None });
            }
            Err(e) => return Err(StoreError::Read { path, source: e }),
        };
        let parsed = String::from_utf8(text)
            .map_err(|e| format!("not UTF-8 text ({e})"))
            .and_then(|t| toml::from_str::<ProfilesFile>(&t).map_err(|e| e.to_string()))
            .and_then(|f| {
                if f.schema_version > SCHEMA_VERSION {
                    Err(format!("schema_version {} is newer than this Shiftgate understands ({SCHEMA_VERSION})", f.schema_version))
                } else {
                    Ok(f)
                }
            });
        match parsed {
            Ok(file) => Ok(ProfileStore { path, profiles: file.profiles, notice: None }),
            Err(reason) => {
                let stamp = time::OffsetDateTime::now_utc()
                    .format(time::macros::format_description!(
                        "[year][month][day]-[hour][minute][second]"
                    ))
                    .unwrap_or_else(|_| "unknown-time".into());
                let backup = dir.join(format!("{FILE_NAME}.broken-{stamp}"));
                fs::rename(&path, &backup)
                    .map_err(|e| StoreError::Write { path: backup.clone(), source: e })?;
                tracing::warn!(backup = %backup.display(), %reason, "profiles file unreadable; moved aside");
                Ok(ProfileStore {
                    path,
                    profiles: Vec::new(),
                    notice: Some(LoadNotice::MovedAside { backup, reason }),
                })
            }
        }
    }

    pub fn open_default() -> Result<ProfileStore, StoreError> {
        ProfileStore::open(&default_config_dir()?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    pub fn get(&self, id: &ProfileId) -> Option<&Profile> {
        self.profiles.iter().find(|p| &p.id == id)
    }

    /// Find by exact id, else by name (case-insensitive).
    pub fn find(&self, name_or_id: &str) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.id.0 == name_or_id)
            .or_else(|| self.profiles.iter().find(|p| p.name.eq_ignore_ascii_case(name_or_id)))
    }

    /// Insert or replace (by id) and write the file.
    pub fn upsert(&mut self, profile: Profile) -> Result<(), StoreError> {
        if !profile.name.trim().is_empty()
            && self.profiles.iter().any(|p| {
                p.id != profile.id && p.name.trim().eq_ignore_ascii_case(profile.name.trim())
            })
        {
            return Err(StoreError::DuplicateName(profile.name));
        }
        let mut next = self.profiles.clone();
        match next.iter_mut().find(|p| p.id == profile.id) {
            Some(slot) => *slot = profile,
            None => next.push(profile),
        }
        self.write(&next)?;
        self.profiles = next;
        Ok(())
    }

    /// Remove and write the file; returns the removed profile.
    pub fn remove(&mut self, id: &ProfileId) -> Result<Profile, StoreError> {
        let idx = self
            .profiles
            .iter()
            .position(|p| &p.id == id)
            .ok_or_else(|| StoreError::NotFound(id.0.clone()))?;
        let mut next = self.profiles.clone();
        let removed = next.remove(idx);
        self.write(&next)?;
        self.profiles = next;
        Ok(removed)
    }

    /// Replace all profiles at once (import) and write the file.
    pub fn replace_all(&mut self, profiles: Vec<Profile>) -> Result<(), StoreError> {
        self.write(&profiles)?;
        self.profiles = profiles;
        Ok(())
    }

    fn write(&self, profiles: &[Profile]) -> Result<(), StoreError> {
        let file = ProfilesFile { schema_version: SCHEMA_VERSION, profiles: profiles.to_vec() };
        let body = toml::to_string_pretty(&file).map_err(|e| StoreError::Encode(e.to_string()))?;
        let text = format!(
            "# Shiftgate connection profiles. Passwords are never stored here (OS keychain or asked each time).\n{body}"
        );
        write_atomic(&self.path, text.as_bytes())
            .map_err(|e| StoreError::Write { path: self.path.clone(), source: e })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftgate_core::profile::{Engine, SslMode};

    fn sample(name: &str) -> Profile {
        let mut p = Profile::new(Engine::Postgres);
        p.name = name.into();
        p.host = "db.example.com".into();
        p.user = "admin".into();
        p.sslmode = SslMode::VerifyCa;
        p.ca_file = Some("/etc/ssl/ca.pem".into());
        p.notes = "line one\nline \"two\" ünïcode".into();
        p.color = Some([10, 20, 30]);
        p
    }

    #[test]
    fn round_trip_through_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = ProfileStore::open(dir.path()).unwrap();
        let a = sample("a");
        let b = sample("b");
        s.upsert(a.clone()).unwrap();
        s.upsert(b.clone()).unwrap();
        let s2 = ProfileStore::open(dir.path()).unwrap();
        assert_eq!(s2.profiles(), &[a, b]);
        let text = fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(text.contains("schema_version = 1"));
    }

    #[test]
    fn corrupt_file_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE_NAME), "schema_version = 1\n[[profile]\nbroken").unwrap();
        let s = ProfileStore::open(dir.path()).unwrap();
        assert!(s.profiles().is_empty());
        match &s.notice {
            Some(LoadNotice::MovedAside { backup, .. }) => {
                assert!(backup.exists());
                assert!(
                    backup
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with("profiles.toml.broken-")
                );
            }
            other => panic!("expected a notice, got {other:?}"),
        }
        assert!(!dir.path().join(FILE_NAME).exists());
    }

    #[test]
    fn newer_schema_is_not_overwritten_silently() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE_NAME), "schema_version = 99\n").unwrap();
        let s = ProfileStore::open(dir.path()).unwrap();
        assert!(
            matches!(s.notice, Some(LoadNotice::MovedAside { ref reason, .. }) if reason.contains("newer"))
        );
    }

    #[test]
    fn duplicate_names_are_refused_and_remove_works() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = ProfileStore::open(dir.path()).unwrap();
        s.upsert(sample("prod")).unwrap();
        assert!(matches!(s.upsert(sample("PROD")), Err(StoreError::DuplicateName(_))));
        let id = s.profiles()[0].id.clone();
        s.remove(&id).unwrap();
        assert!(ProfileStore::open(dir.path()).unwrap().profiles().is_empty());
    }
}
