//! The config directory on the window's first run: created with mode 0700 (profiles, known hosts and UI state
//! are private to the user) together with an empty `profiles.toml` (0600), so a new user can see
//! where Shiftgate keeps things before saving anything. Existing directories and files are never
//! touched: their modes are the user's choice. (The CLI creates nothing until it first saves:
//! read-only commands and dry runs write nothing; `write_atomic` creates the dir 0700 too.)

use super::atomic::create_private_dir_all;
use super::profiles::{FILE_NAME, SCHEMA_VERSION};
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What [`ensure_config_dir`] had to create.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FirstRun {
    /// The directory did not exist and was created (0700).
    pub created_dir: Option<PathBuf>,
    /// `profiles.toml` did not exist and was created empty (0600).
    pub created_file: Option<PathBuf>,
}

impl FirstRun {
    /// One line for the status bar / log, or `None` when nothing was created.
    pub fn describe(&self) -> Option<String> {
        match (&self.created_dir, &self.created_file) {
            (Some(dir), _) => Some(format!(
                "First run: created {} (mode 0700) with an empty {FILE_NAME} (0600) for your profiles",
                dir.display()
            )),
            (None, Some(file)) => {
                Some(format!("Created an empty {} (mode 0600) for your profiles", file.display()))
            }
            (None, None) => None,
        }
    }
}

/// Create `dir` (0700, parents too) and an empty `profiles.toml` (0600) where missing.
pub fn ensure_config_dir(dir: &Path) -> io::Result<FirstRun> {
    let mut first = FirstRun::default();
    if !dir.exists() {
        create_private_dir_all(dir)?;
        first.created_dir = Some(dir.to_path_buf());
    }
    let file = dir.join(FILE_NAME);
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(&file) {
        Ok(mut f) => {
            // Another process may create it at the same moment: create_new lets only one win.
            f.write_all(format!("schema_version = {SCHEMA_VERSION}\n").as_bytes())?;
            f.sync_all()?;
            first.created_file = Some(file);
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    Ok(first)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn first_run_creates_private_dir_and_file_then_leaves_them_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/shiftgate");
        let first = ensure_config_dir(&dir).unwrap();
        assert_eq!(first.created_dir.as_deref(), Some(dir.as_path()));
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(FILE_NAME)), 0o600);
        assert!(first.describe().unwrap().contains("0700"));
        let store = super::super::profiles::ProfileStore::open(&dir).unwrap();
        assert!(store.profiles().is_empty() && store.notice.is_none());

        std::fs::write(dir.join(FILE_NAME), "schema_version = 1\n# mine\n").unwrap();
        let again = ensure_config_dir(&dir).unwrap();
        assert_eq!(again, FirstRun::default());
        assert_eq!(again.describe(), None);
        let text = std::fs::read_to_string(dir.join(FILE_NAME)).unwrap();
        assert!(text.contains("# mine"), "an existing file must not be rewritten");
    }
}
