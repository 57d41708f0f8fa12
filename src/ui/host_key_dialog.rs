//! A modal asking whether to trust an SSH host key no known-hosts file holds: server, key type and
//! SHA256 fingerprint, how to check it on the server, and "Trust and remember" / "Refuse". Escape
//! or a click outside refuses; nothing is ever accepted without the click.

use crate::app::command::{DialogCommand, UiCommand};
use crate::net::ssh::HostKeyQuestion;
use egui::{Id, Modal, RichText};

pub fn host_key_dialog_ui(ctx: &egui::Context, question: &HostKeyQuestion) -> Option<UiCommand> {
    let mut cmd = None;
    let response = Modal::new(Id::unique("host_key_dialog")).show(ctx, |ui| {
        ui.set_max_width(520.0);
        ui.heading("Unknown SSH host key");
        ui.add_space(4.0);
        // Hops count in connection order, as in the report (jump hosts first, the bastion last).
        let hop = format!("SSH hop {}", question.hop + 1);
        ui.label(format!("This is the first connection to {hop}. Nothing on this computer knows its key yet."));
        ui.add_space(4.0);
        egui::Grid::new("host_key_facts").num_columns(2).spacing([10.0, 4.0]).show(ui, |ui| {
            ui.weak("Server");
            ui.label(RichText::new(format!("{}:{}", question.host, question.port)).monospace());
            ui.end_row();
            ui.weak("Key type");
            ui.label(RichText::new(&question.key_type).monospace());
            ui.end_row();
            ui.weak("Fingerprint");
            ui.label(RichText::new(&question.fingerprint_sha256).monospace().strong());
            ui.end_row();
            if !question.other_types.is_empty() {
                ui.weak("Also known");
                ui.label(format!(
                    "this host is recorded with other key types ({}); the server did not offer them",
                    question.other_types.join(", ")
                ));
                ui.end_row();
            }
        });
        for problem in &question.problems {
            ui.colored_label(ui.visuals().warn_fg_color, problem);
        }
        ui.add_space(6.0);
        ui.label("Compare the fingerprint with the server's own, from its administrator or by running");
        ui.label(RichText::new("ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub").monospace());
        ui.label("on the server. Trust it only if they match: a different key can mean someone is in the middle.");
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("Trust and remember").on_hover_text("Continue and save the key in Shiftgate's known-hosts file").clicked() {
                cmd = Some(UiCommand::Dialog(DialogCommand::AnswerHostKey(true)));
            }
            if ui.button("Refuse").on_hover_text("Do not connect").clicked() {
                cmd = Some(UiCommand::Dialog(DialogCommand::AnswerHostKey(false)));
            }
        });
    });
    if cmd.is_none() && response.should_close() {
        cmd = Some(UiCommand::Dialog(DialogCommand::AnswerHostKey(false)));
    }
    cmd
}
