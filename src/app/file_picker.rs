//! Native file dialogs behind a trait, so tests never open a real dialog.

use std::path::{Path, PathBuf};

/// Chooses files. Called on the UI thread when the user clicks "Browse…", "Save as .sql…",
/// "Import…" or "Export…".
pub trait FilePicker: Send {
    /// Pick a CA certificate bundle; `current` is the path in the field, if any. `None` = cancelled.
    fn pick_ca_file(&mut self, current: Option<&Path>) -> Option<PathBuf>;

    /// Choose where to save a SQL script; `suggested_name` pre-fills the name. `None` = cancelled.
    fn save_file(&mut self, suggested_name: &str) -> Option<PathBuf>;

    /// Pick a file to import profiles from (pgpass, pg_service.conf, dbt, pgAdmin, DBeaver, an
    /// export). `None` = cancelled; pickers that cannot open files (test fakes) keep this default.
    fn pick_import_file(&mut self) -> Option<PathBuf> {
        None
    }

    /// Pick an SSH private key file; `current` is the path in the field, if any. `None` =
    /// cancelled; pickers that cannot open files (test fakes) keep this default.
    fn pick_key_file(&mut self, _current: Option<&Path>) -> Option<PathBuf> {
        None
    }

    /// Choose where to export profiles (`.toml`, or `.json` for JSON). Defaults to [`Self::save_file`].
    fn save_export_file(&mut self, suggested_name: &str) -> Option<PathBuf> {
        self.save_file(suggested_name)
    }
}

/// The platform dialog (xdg portal / zenity on Linux, native on macOS and Windows) via `rfd`.
#[derive(Debug, Default)]
pub struct NativeFilePicker;

impl FilePicker for NativeFilePicker {
    fn pick_ca_file(&mut self, current: Option<&Path>) -> Option<PathBuf> {
        let mut dialog = rfd::FileDialog::new()
            .set_title("Choose a CA certificate file")
            .add_filter("Certificates", &["pem", "crt", "cer"])
            .add_filter("All files", &["*"]);
        if let Some(dir) = current.and_then(Path::parent).filter(|d| d.is_dir()) {
            dialog = dialog.set_directory(dir);
        }
        dialog.pick_file()
    }

    fn save_file(&mut self, suggested_name: &str) -> Option<PathBuf> {
        rfd::FileDialog::new()
            .set_title("Save SQL script")
            .set_file_name(suggested_name)
            .add_filter("SQL scripts", &["sql"])
            .add_filter("All files", &["*"])
            .save_file()
    }

    fn pick_import_file(&mut self) -> Option<PathBuf> {
        rfd::FileDialog::new()
            .set_title("Import connection profiles")
            // All files first: `.pgpass` has no extension and would be hidden by a filter.
            .add_filter("All files", &["*"])
            .add_filter("Connection files", &["conf", "yml", "yaml", "json", "toml"])
            .pick_file()
    }

    fn pick_key_file(&mut self, current: Option<&Path>) -> Option<PathBuf> {
        let home_ssh = directories::BaseDirs::new().map(|d| d.home_dir().join(".ssh"));
        let dir = current
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .filter(|d| d.is_dir())
            .or(home_ssh.filter(|d| d.is_dir()));
        let mut dialog = rfd::FileDialog::new()
            .set_title("Choose an SSH private key")
            .add_filter("All files", &["*"]);
        if let Some(dir) = dir {
            dialog = dialog.set_directory(dir);
        }
        dialog.pick_file()
    }

    fn save_export_file(&mut self, suggested_name: &str) -> Option<PathBuf> {
        rfd::FileDialog::new()
            .set_title("Export profiles (no passwords)")
            .set_file_name(suggested_name)
            .add_filter("TOML", &["toml"])
            .add_filter("JSON", &["json"])
            .save_file()
    }
}
