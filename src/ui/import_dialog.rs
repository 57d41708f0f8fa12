//! The import preview (modal): the file and its format (a combo overrides detection), what the
//! import would create (each with a tick), the entries matching an existing profile (each with a
//! choice: replace, with the changes / skip / keep both), what it skips (with why), the file's
//! ignored lines and warnings, or the error that stops the import. "Import N profiles" applies;
//! entries changed elsewhere meanwhile come back here to be chosen again. Cancel, Escape or a
//! click outside closes without writing anything.
//!
//! Draws and returns commands (the ticks are edited in place); it never touches the store or the
//! secret store, and never shows a password.

use crate::app::command::{DialogCommand, TransferCommand, UiCommand};
use crate::app::import_state::{ImportPreview, PreviewPlan};
use egui::{Button, ComboBox, Id, Modal, RichText, ScrollArea, Ui};
use shiftgate_core::import::apply::Collision;
use shiftgate_core::import::{ImportFormat, ImportedProfile};

pub fn import_dialog_ui(ctx: &egui::Context, preview: &mut ImportPreview) -> Option<UiCommand> {
    let mut cmd = None;
    let id = Id::unique("import_dialog");
    let response = Modal::new(id).show(ctx, |ui| {
        ui.set_width(600.0);
        ui.heading("Import profiles");
        ui.add_space(4.0);
        ui.label(format!("From {}", preview.path.display()));
        format_row(ui, preview, &mut cmd);
        for warning in &preview.warnings {
            ui.colored_label(ui.visuals().warn_fg_color, format!("Warning: {warning}"));
        }
        ui.add_space(4.0);
        match &mut preview.outcome {
            Err(message) => {
                ui.colored_label(ui.visuals().error_fg_color, message.as_str());
            }
            Ok(plan) => {
                if let Some(retry) = &preview.retry {
                    ui.colored_label(ui.visuals().warn_fg_color, format!("Warning: {retry}"));
                }
                plan_ui(ui, plan)
            }
        }
        ui.separator();
        ui.horizontal(|ui| {
            let n = preview.ticked_count();
            let label = if n == 1 {
                "Import 1 profile".to_string()
            } else {
                format!("Import {n} profiles")
            };
            let import = ui
                .add_enabled(n > 0, Button::new(label))
                .on_hover_text("Passwords found in the file go to the secret store");
            if import.clicked() {
                cmd = Some(UiCommand::Transfer(TransferCommand::ApplyImport));
            }
            if ui.button("Cancel").clicked() {
                cmd = Some(UiCommand::Dialog(DialogCommand::Close));
            }
        });
    });
    if cmd.is_none() && response.should_close() {
        cmd = Some(UiCommand::Dialog(DialogCommand::Close));
    }
    // egui centres a modal using last frame's size and does not redraw when the size changes (a
    // new format, a longer list): draw once more so it, and its buttons, end up where they show.
    let size = response.response.rect.size();
    let size_id = id.with("last_size");
    let last = ctx.data_mut(|d| {
        let last = d.get_temp::<egui::Vec2>(size_id);
        d.insert_temp(size_id, size);
        last
    });
    if last != Some(size) {
        ctx.request_repaint();
    }
    cmd
}

/// The format combo, and whether the format was detected or chosen.
fn format_row(ui: &mut Ui, preview: &ImportPreview, cmd: &mut Option<UiCommand>) {
    ui.horizontal(|ui| {
        let label = ui.label("Format");
        let mut chosen = preview.format;
        ComboBox::from_id_salt("import_format")
            .selected_text(chosen.map_or("choose…", ImportFormat::label))
            .show_ui(ui, |ui| {
                for format in ImportFormat::ALL {
                    ui.selectable_value(&mut chosen, Some(format), format.label());
                }
            })
            .response
            .labelled_by(label.id);
        if chosen != preview.format
            && let Some(format) = chosen
        {
            *cmd = Some(UiCommand::Transfer(TransferCommand::ImportAs(format)));
        }
        let how = match preview.detected {
            Some(d) if Some(d) == preview.format => "detected".to_string(),
            Some(d) => format!("chosen (detected: {})", d.label()),
            None if preview.format.is_some() => "chosen".to_string(),
            None => "could not be detected".to_string(),
        };
        ui.weak(how);
    });
}

fn plan_ui(ui: &mut Ui, preview: &mut PreviewPlan) {
    let PreviewPlan { plan, ignored, create_ticked, update_choice } = preview;
    ScrollArea::vertical()
        .max_height(360.0)
        .min_scrolled_height(360.0)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            ui.strong(format!("Create ({})", plan.create.len()));
            if plan.create.is_empty() {
                ui.weak("Nothing new.");
            }
            for (i, (created, ticked)) in
                plan.create.iter().zip(create_ticked.iter_mut()).enumerate()
            {
                ui.checkbox(ticked, created.profile.display_name());
                ui.indent(("import_create", i), |ui| imported_details_ui(ui, created));
            }

            ui.add_space(6.0);
            ui.strong(format!("Matches an existing profile ({})", plan.update.len()));
            if plan.update.is_empty() {
                ui.weak("No existing profile changes.");
            }
            for (i, (update, choice)) in
                plan.update.iter().zip(update_choice.iter_mut()).enumerate()
            {
                ui.label(RichText::new(update.merged.display_name()).strong());
                ui.indent(("import_update", i), |ui| {
                    ui.weak(format!("{}; from {}", update.reason, update.imported.source));
                    ui.horizontal(|ui| {
                        for c in Collision::ALL {
                            ui.radio_value(choice, c, c.label()).on_hover_text(match c {
                                Collision::Replace => "Update the existing profile with these values",
                                Collision::Skip => "Leave the existing profile as it is",
                                Collision::KeepBoth => {
                                    "Import it as a new profile beside the existing one (renamed if the name is taken)"
                                }
                            });
                        }
                    });
                    if *choice == Collision::Replace {
                        for change in &update.changes {
                            ui.label(format!("• {change}"));
                        }
                    }
                    warnings_ui(ui, &update.imported.warnings);
                });
            }

            if !plan.skip.is_empty() {
                ui.add_space(6.0);
                ui.strong(format!("Skip ({})", plan.skip.len()));
                for skip in &plan.skip {
                    ui.label(format!("{} — {}", skip.imported.profile.display_name(), skip.reason));
                }
            }

            if !ignored.is_empty() {
                ui.add_space(6.0);
                ui.strong(format!("Not imported from the file ({})", ignored.len()));
                for line in ignored.iter() {
                    ui.weak(line.as_str());
                }
            }
        });
}

/// Where a new profile points, where it came from, and whether a password comes with it.
fn imported_details_ui(ui: &mut Ui, imported: &ImportedProfile) {
    let p = &imported.profile;
    ui.weak(format!(
        "{} · {}@{}:{}/{} · from {}",
        p.engine, p.user, p.host, p.port, p.database, imported.source
    ));
    if imported.password.is_some() {
        ui.weak(RichText::new("password: saved to the secret store").italics());
    }
    warnings_ui(ui, &imported.warnings);
}

fn warnings_ui(ui: &mut Ui, warnings: &[String]) {
    for warning in warnings {
        ui.colored_label(ui.visuals().warn_fg_color, format!("Warning: {warning}"));
    }
}
