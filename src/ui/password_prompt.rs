//! A modal asking for a secret a paused task needs and nobody gave (database password, SSH key
//! passphrase or SSH password): "Ask every time", nothing saved yet, or the keychain unreadable.
//! Under keychain mode it offers to remember the answer there; otherwise it is never stored.

use crate::app::command::{DialogCommand, UiCommand};
use crate::app::state::SecretQuestion;
use egui::{Id, Key, Modal, RichText, TextEdit};

pub fn password_prompt_ui(ctx: &egui::Context, question: &mut SecretQuestion) -> Option<UiCommand> {
    let mut cmd = None;
    let request = &question.request;
    let response = Modal::new(Id::unique("secret_prompt")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        ui.heading(&request.label);
        if let Some(notice) = &request.notice {
            ui.colored_label(ui.visuals().warn_fg_color, notice);
        }
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            let label = ui.label(request.key.kind.noun());
            let field = ui
                .add(TextEdit::singleline(&mut *question.typed).password(true).desired_width(260.0))
                .labelled_by(label.id);
            if !field.has_focus() && !field.lost_focus() && ui.memory(|m| m.focused().is_none()) {
                field.request_focus();
            }
            if field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                cmd = Some(UiCommand::Dialog(DialogCommand::AnswerSecret(true)));
            }
        });
        if request.offer_remember {
            ui.checkbox(&mut question.remember, format!("Remember in {}", request.remember_in));
        } else {
            ui.label(RichText::new("Kept in memory for this run only; not saved.").weak());
        }
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("Connect").clicked() {
                cmd = Some(UiCommand::Dialog(DialogCommand::AnswerSecret(true)));
            }
            if ui.button("Cancel").on_hover_text("Go on without it").clicked() {
                cmd = Some(UiCommand::Dialog(DialogCommand::AnswerSecret(false)));
            }
        });
    });
    if cmd.is_none() && response.should_close() {
        cmd = Some(UiCommand::Dialog(DialogCommand::AnswerSecret(false)));
    }
    cmd
}
