//! The empty state: what to do when there is no profile yet (or none is open), instead of a blank
//! window. Offers "New profile" and a paste box that starts a profile from an endpoint or URL.

use crate::app::command::{ProfileCommand, UiCommand};
use egui::{Button, Key, RichText, TextEdit, Ui};

pub fn first_run_ui(ui: &mut Ui, paste: &mut String, has_profiles: bool) -> Option<UiCommand> {
    let mut cmd = None;
    ui.add_space(24.0);
    ui.vertical_centered(|ui| {
        ui.set_max_width(560.0);
        if has_profiles {
            ui.heading("No profile open");
            ui.label("Pick a profile on the left (Up/Down move through the list), or start a new one.");
        } else {
            ui.heading("Welcome to Shiftgate");
            ui.label("Keep connection profiles for Amazon Redshift and PostgreSQL, and find out why a connection fails.");
            ui.label("You have no saved profiles yet. Start with an empty one, or paste what you already have:");
            ui.weak("a Redshift endpoint, a postgres:// or JDBC URL, a psql command, or PG* variables.");
        }
        ui.add_space(12.0);
        if ui.add(Button::new(RichText::new("New profile").strong())).clicked() {
            cmd = Some(UiCommand::Profile(ProfileCommand::NewProfile));
        }
        ui.add_space(12.0);
        let label = ui.label("Paste endpoint or URL");
        let field = ui
            .add(
                TextEdit::singleline(paste)
                    .hint_text("examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com:5439/dev")
                    .desired_width(520.0),
            )
            .labelled_by(label.id);
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        let pasted = field.changed() && ui.input(|i| i.events.iter().any(|e| matches!(e, egui::Event::Paste(_))));
        let clicked = ui.add_enabled(!paste.trim().is_empty(), Button::new("Start from pasted text")).clicked();
        if (entered || pasted || clicked) && !paste.trim().is_empty() {
            cmd = Some(UiCommand::Profile(ProfileCommand::NewFromPaste));
        }
    });
    cmd
}
