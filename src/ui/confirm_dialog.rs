//! A modal yes/no question ("Delete profile …?", "Discard unsaved changes?"). Confirm returns the
//! dialog's command; Cancel, Escape or a click outside closes it without doing anything.

use crate::app::command::{DialogCommand, UiCommand};
use crate::app::state::ConfirmDialog;
use egui::{Id, Modal, RichText};

pub fn confirm_dialog_ui(ctx: &egui::Context, dialog: &ConfirmDialog) -> Option<UiCommand> {
    let mut cmd = None;
    let response = Modal::new(Id::unique("confirm_dialog")).show(ctx, |ui| {
        ui.set_max_width(420.0);
        ui.heading(&dialog.title);
        ui.add_space(4.0);
        ui.label(&dialog.message);
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let confirm =
                ui.button(RichText::new(&dialog.confirm_label).color(ui.visuals().error_fg_color));
            if confirm.clicked() {
                cmd = Some(dialog.on_confirm.clone());
            }
            if ui.button("Cancel").clicked() {
                cmd = Some(UiCommand::Dialog(DialogCommand::Close));
            }
        });
    });
    if cmd.is_none() && response.should_close() {
        cmd = Some(UiCommand::Dialog(DialogCommand::Close));
    }
    cmd
}
