//! A save collided with a change made elsewhere (the command line, another window): the modal
//! names the fields that differ and lets the user keep their version or take the file's. Cancel,
//! Escape or a click outside goes back to the form with the edits intact. A delete of a profile
//! changed elsewhere since it was loaded asks the same way: delete anyway, or keep theirs.

use crate::app::command::UiCommand;
use crate::app::store_sync::{StoreCommand, differing_fields};
use crate::store::profiles::Conflict;
use egui::{Id, Modal};

pub fn conflict_dialog_ui(ctx: &egui::Context, conflict: &Conflict) -> Option<UiCommand> {
    let mut cmd = None;
    let response = Modal::new(Id::unique("store_conflict_dialog")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        let name = conflict.mine.display_name();
        if conflict.deleting {
            return delete_conflict_ui(ui, conflict, &mut cmd);
        }
        match &conflict.theirs {
            Some(theirs) => {
                ui.heading("Changed elsewhere");
                ui.add_space(4.0);
                ui.label(format!(
                    "\"{name}\" was changed outside this window (the command line or another \
                     window) after you opened it."
                ));
                let fields = differing_fields(&conflict.mine, theirs);
                if !fields.is_empty() {
                    ui.label(format!(
                        "Your version and the saved one differ in: {}.",
                        fields.join(", ")
                    ));
                }
            }
            None => {
                ui.heading("Deleted elsewhere");
                ui.add_space(4.0);
                ui.label(format!(
                    "\"{name}\" was deleted outside this window after you opened it."
                ));
            }
        }
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui
                .button("Keep mine")
                .on_hover_text("Save your version over the other one")
                .clicked()
            {
                cmd = Some(UiCommand::Store(StoreCommand::KeepMine));
            }
            let theirs = if conflict.theirs.is_some() { "Take theirs" } else { "Drop mine" };
            if ui.button(theirs).on_hover_text("Discard your edits").clicked() {
                cmd = Some(UiCommand::Store(StoreCommand::TakeTheirs));
            }
            if ui.button("Cancel").clicked() {
                cmd = Some(UiCommand::Store(StoreCommand::DismissConflict));
            }
        });
    });
    if cmd.is_none() && response.should_close() {
        cmd = Some(UiCommand::Store(StoreCommand::DismissConflict));
    }
    cmd
}

/// The delete version: what changed, then "Delete anyway" / "Keep theirs" / Cancel.
fn delete_conflict_ui(ui: &mut egui::Ui, conflict: &Conflict, cmd: &mut Option<UiCommand>) {
    let name = conflict.mine.display_name();
    ui.heading("Changed elsewhere");
    ui.add_space(4.0);
    ui.label(format!(
        "\"{name}\" was changed outside this window (the command line or another window) after \
         it was loaded, so it was not deleted."
    ));
    if let Some(theirs) = &conflict.theirs {
        let fields = differing_fields(&conflict.mine, theirs);
        if !fields.is_empty() {
            ui.label(format!("The saved version now differs in: {}.", fields.join(", ")));
        }
    }
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        let delete = ui
            .button(egui::RichText::new("Delete anyway").color(ui.visuals().error_fg_color))
            .on_hover_text("Delete the profile as it is saved now, with its saved password");
        if delete.clicked() {
            *cmd = Some(UiCommand::Store(StoreCommand::DeleteAnyway));
        }
        if ui.button("Keep theirs").on_hover_text("Keep the changed profile").clicked() {
            *cmd = Some(UiCommand::Store(StoreCommand::TakeTheirs));
        }
        if ui.button("Cancel").clicked() {
            *cmd = Some(UiCommand::Store(StoreCommand::DismissConflict));
        }
    });
}
