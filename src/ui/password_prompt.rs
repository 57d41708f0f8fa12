//! A modal asking for the database password when a task (test, discovery, script run, verify)
//! needs one and none is known ("Ask every time", or nothing saved yet). It is never stored.

use crate::app::command::UiCommand;
use crate::app::state::PasswordPrompt;
use egui::{Id, Key, Modal, TextEdit};

pub fn password_prompt_ui(ctx: &egui::Context, prompt: &mut PasswordPrompt) -> Option<UiCommand> {
    let mut cmd = None;
    let response = Modal::new(Id::unique("password_prompt")).show(ctx, |ui| {
        ui.set_max_width(420.0);
        ui.heading(format!("Password for {}", prompt.profile_name));
        ui.label(prompt.purpose.explanation());
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            let label = ui.label("Database password");
            let field = ui
                .add(
                    TextEdit::singleline(&mut *prompt.password).password(true).desired_width(240.0),
                )
                .labelled_by(label.id);
            if !field.has_focus() && !field.lost_focus() && ui.memory(|m| m.focused().is_none()) {
                field.request_focus();
            }
            if field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                cmd = Some(UiCommand::SubmitPassword);
            }
        });
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("Connect").clicked() {
                cmd = Some(UiCommand::SubmitPassword);
            }
            if ui.button("Cancel").clicked() {
                cmd = Some(UiCommand::CloseDialog);
            }
        });
    });
    if cmd.is_none() && response.should_close() {
        cmd = Some(UiCommand::CloseDialog);
    }
    cmd
}
