//! Native file dialogs behind a trait, so tests never open a real dialog.

use std::path::{Path, PathBuf};

/// Chooses files for the form. Called on the UI thread when the user clicks "Browse…".
pub trait FilePicker: Send {
    /// Pick a CA certificate bundle; `current` is the path in the field, if any. `None` = cancelled.
    fn pick_ca_file(&mut self, current: Option<&Path>) -> Option<PathBuf>;
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
}
