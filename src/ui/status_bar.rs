//! The status bar: which secret store is active, where the profiles file is, a warning when the
//! profiles file was unreadable and moved aside (naming the backup, with "Open folder") or is
//! read-only (written by a newer Shiftgate), and the result of the last action.

use crate::app::command::UiCommand;
use crate::app::state::{LogLevel, StatusMessage};
use crate::app::store_sync::StoreCommand;
use egui::Ui;

pub struct StatusInfo<'a> {
    /// `SecretStore::describe()`.
    pub secret_store: &'a str,
    pub profiles_path: &'a std::path::Path,
    /// The store's load notice, already worded for a person.
    pub store_notice: Option<&'a str>,
    /// The backup the notice names (offers "Open folder").
    pub backup: Option<&'a std::path::Path>,
    pub message: Option<&'a StatusMessage>,
}

pub fn status_bar_ui(ui: &mut Ui, info: StatusInfo<'_>) -> Option<UiCommand> {
    let mut cmd = None;
    if let Some(notice) = info.store_notice {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(ui.visuals().warn_fg_color, notice);
            if let Some(backup) = info.backup
                && ui.button("Open folder").on_hover_text(backup.display().to_string()).clicked()
            {
                cmd = Some(UiCommand::Store(StoreCommand::OpenBackupFolder(backup.to_path_buf())));
            }
        });
    }
    ui.horizontal(|ui| {
        ui.weak(format!("Secrets: {}", info.secret_store));
        ui.separator();
        ui.weak(format!("Profiles file: {}", info.profiles_path.display()));
        if let Some(msg) = info.message {
            ui.separator();
            let colour = match msg.level {
                LogLevel::Info => ui.visuals().text_color(),
                LogLevel::Warn => ui.visuals().warn_fg_color,
                LogLevel::Error => ui.visuals().error_fg_color,
            };
            ui.colored_label(colour, &msg.text);
        }
    });
    cmd
}
