//! The "Log" tab: what the app and its tasks did this session, newest at the bottom.

use crate::app::command::{UiCommand, ViewCommand};
use crate::app::state::{LogLevel, LogLine};
use egui::{RichText, ScrollArea, Ui};

pub fn log_panel_ui(ui: &mut Ui, log: &[LogLine]) -> Option<UiCommand> {
    let mut cmd = None;
    ui.horizontal(|ui| {
        if ui.add_enabled(!log.is_empty(), egui::Button::new("Copy log")).clicked() {
            cmd = Some(UiCommand::View(ViewCommand::CopyLog));
        }
        ui.weak(format!("{} lines", log.len()));
    });
    ui.separator();
    if log.is_empty() {
        ui.weak("Nothing yet. Saves, tests and their steps are logged here.");
        return cmd;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace);
    ScrollArea::vertical()
        .id_salt("log_scroll")
        .auto_shrink([false, false])
        .stick_to_bottom(true)
        .show_rows(ui, row_height, log.len(), |ui, rows| {
            for line in &log[rows] {
                let colour = match line.level {
                    LogLevel::Info => ui.visuals().text_color(),
                    LogLevel::Warn => ui.visuals().warn_fg_color,
                    LogLevel::Error => ui.visuals().error_fg_color,
                };
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("{}  {}", line.time, line.text))
                            .monospace()
                            .color(colour),
                    )
                    .truncate(),
                );
            }
        });
    cmd
}

/// The log as plain text (for "Copy log").
pub fn render_log(log: &[LogLine]) -> String {
    log.iter().map(|l| format!("{}  {}\n", l.time, l.text)).collect()
}
