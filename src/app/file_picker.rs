//! Native file dialogs behind a trait, so tests never open a real dialog.

use std::path::{Path, PathBuf};

/// Chooses files. Called on the UI thread when the user clicks "Browse…" or "Save as .sql…".
pub trait FilePicker: Send {
    /// Pick a CA certificate bundle; `current` is the path in the field, if any. `None` = cancelled.
    fn pick_ca_file(&mut self, current: Option<&Path>) -> Option<PathBuf>;

    /// Choose where to save a SQL script; `suggested_name` pre-fills the name. `None` = cancelled.
    fn save_file(&mut self, suggested_name: &str) -> Option<PathBuf>;
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
}
