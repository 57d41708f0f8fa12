//! Review, then run: the pieces every catalog-user tab shares. The review shows a generated script
//! whole in a read-only monospace view (password masked unless "Reveal password" is ticked), with
//! **Copy SQL** and **Save as .sql…** acting on exactly the text shown, and a run button that stays
//! off until the reviewer ticks "I have reviewed this script". The run view lists each statement
//! live (✓ / ✗ / spinner, time, masked SQL), then the outcome with its diagnosis. Also here: the
//! "task running" line with Cancel, and a task failure in plain words.
//!
//! Draws and returns commands; never copies, saves or runs anything itself.

use super::report_panel::{diagnosis_ui, ok_colour, status_icon_ui};
use crate::app::command::{CatalogCommand, UiCommand};
use crate::app::provision_state::{
    Pending, ReviewState, ReviewedScript, ScriptRunState, ScriptSlot, TaskOwner,
};
use crate::app::state::status_word;
use crate::tasks::provision::TaskFailure;
use egui::{Button, Grid, RichText, ScrollArea, TextEdit, Ui};
use shiftgate_core::report::StepStatus;

/// What the review shows and how the run button reads.
pub struct ReviewArgs<'a> {
    pub slot: ScriptSlot,
    pub script: &'a ReviewedScript,
    pub review: &'a mut ReviewState,
    /// "Run as admin", "Run fix as admin".
    pub run_label: &'a str,
    /// Why the script can't run now (a run in progress, no admin), if so.
    pub blocked: Option<String>,
}

/// What the reviewer asked for in [`script_review_ui`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewAction {
    Copy,
    Save,
    Run,
}

/// The script under review with Copy SQL / Save / Reveal password / reviewed / Run.
pub fn sql_review_ui(ui: &mut Ui, args: ReviewArgs<'_>) -> Vec<UiCommand> {
    let ReviewArgs { slot, script, review, run_label, blocked } = args;
    let title = capitalised(slot.noun());
    let key = slot_key(slot);
    let parts = ReviewParts { id_salt: &key, title: &title, run_label, can_save: true };
    let action = script_review_ui(ui, parts, script, review, blocked);
    action
        .map(|a| match a {
            ReviewAction::Copy => UiCommand::Catalog(CatalogCommand::CopyScript(slot)),
            ReviewAction::Save => UiCommand::Catalog(CatalogCommand::SaveScript(slot)),
            ReviewAction::Run => UiCommand::Catalog(CatalogCommand::RunScript(slot)),
        })
        .into_iter()
        .collect()
}

/// How a review reads, for scripts that are not one of the catalog-user tabs' slots.
pub struct ReviewParts<'a> {
    /// Distinguishes this review's scroll area from others.
    pub id_salt: &'a str,
    /// Label of the script text ("Setup script", "Converge script").
    pub title: &'a str,
    /// "Run as admin".
    pub run_label: &'a str,
    /// Offer "Save as .sql…".
    pub can_save: bool,
}

/// The review widget itself: returns what the reviewer clicked.
pub fn script_review_ui(
    ui: &mut Ui,
    parts: ReviewParts<'_>,
    script: &ReviewedScript,
    review: &mut crate::app::provision_state::ReviewState,
    mut blocked: Option<String>,
) -> Option<ReviewAction> {
    let ReviewParts { id_salt, title, run_label, can_save } = parts;
    if script.statement_count() == 0 {
        blocked = Some("The script has no statements: nothing to run".into());
    }
    let mut out = None;
    ui.horizontal(|ui| {
        if ui.button("Copy SQL").on_hover_text("Copy the script exactly as shown").clicked() {
            out = Some(ReviewAction::Copy);
        }
        if can_save
            && ui
                .button("Save as .sql…")
                .on_hover_text("Save the script exactly as shown to a file")
                .clicked()
        {
            out = Some(ReviewAction::Save);
        }
        if script.has_secrets() {
            ui.checkbox(&mut review.reveal, "Reveal password").on_hover_text(
                "Show the password in the script (and in what Copy SQL and Save copy). Masked, the copied script does not run as is.",
            );
        }
        let n = script.statement_count();
        ui.weak(format!("{n} statement{}", if n == 1 { "" } else { "s" }));
    });
    let label = ui.label(RichText::new(title).strong());
    let mut text = script.text(review.reveal);
    ScrollArea::vertical()
        .id_salt(("sql_review", id_salt))
        .max_height(300.0)
        .min_scrolled_height(300.0)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            ui.add(
                TextEdit::multiline(&mut text)
                    .font(egui::TextStyle::Monospace)
                    .desired_width(f32::INFINITY)
                    .desired_rows(8),
            )
            .labelled_by(label.id);
        });
    ui.horizontal(|ui| {
        ui.checkbox(&mut review.reviewed, "I have reviewed this script")
            .on_hover_text("Read the whole script first: it runs as the admin, in this order.");
        let why = match (&blocked, review.reviewed) {
            (Some(why), _) => why.clone(),
            (None, false) => "Tick \"I have reviewed this script\" first".to_string(),
            (None, true) => {
                "Run the script as shown, as the admin, statement by statement".to_string()
            }
        };
        let enabled = blocked.is_none() && review.reviewed;
        if ui
            .add_enabled(enabled, Button::new(run_label))
            .on_hover_text(&why)
            .on_disabled_hover_text(&why)
            .clicked()
        {
            out = Some(ReviewAction::Run);
        }
    });
    out
}

/// The live statement list of a run, then its outcome; Cancel while it runs.
pub fn script_run_ui(ui: &mut Ui, slot: ScriptSlot, run: &ScriptRunState) -> Vec<UiCommand> {
    let mut out = Vec::new();
    ui.horizontal(|ui| {
        if let Some(pending) = &run.pending {
            ui.spinner();
            ui.label(format!(
                "Running {} as {}: {} of {} done",
                run.title,
                run.admin,
                run.done_count(),
                run.total
            ));
            out.extend(cancel_button_ui(ui, pending, TaskOwner::Script(slot)));
        } else {
            ui.label(RichText::new(format!("{} — as {}", run.title, run.admin)).strong());
        }
    });
    script_rows_ui(ui, &slot_key(slot), run);
    out
}

/// The statements of a run (✓ / ✗ / spinner, time, masked SQL) and its outcome.
pub fn script_rows_ui(ui: &mut Ui, id_salt: &str, run: &ScriptRunState) {
    if run.rows.is_empty()
        && let Some(text) = run.pending.as_ref().and_then(Pending::step_text)
    {
        ui.weak(format!("Connecting: {text}"));
    }
    if !run.rows.is_empty() {
        ScrollArea::vertical()
            .id_salt(("script_run", id_salt))
            .max_height(220.0)
            .min_scrolled_height(220.0)
            .auto_shrink([false, true])
            .stick_to_bottom(true)
            .show(ui, |ui| {
                Grid::new(("script_rows", id_salt))
                    .num_columns(5)
                    .spacing([10.0, 3.0])
                    .striped(true)
                    .show(ui, |ui| {
                        for row in &run.rows {
                            let undone = run.is_undone(row.index);
                            status_icon_ui(
                                ui,
                                if undone { StepStatus::Cancelled } else { row.status },
                            );
                            ui.label(format!("#{}", row.index + 1));
                            ui.label(if undone { "rolled back" } else { status_word(row.status) });
                            ui.label(RichText::new(format!("{} ms", row.elapsed_ms)).monospace());
                            ui.vertical(|ui| {
                                ui.label(RichText::new(&row.shown_sql).monospace());
                                if let Some(error) = &row.error {
                                    ui.colored_label(ui.visuals().error_fg_color, error);
                                }
                            });
                            ui.end_row();
                        }
                    });
            });
    }
    match &run.outcome {
        None => {}
        Some(Ok(result)) if result.succeeded() => {
            ui.colored_label(
                ok_colour(ui),
                format!(
                    "Done: all {} statements ran in {} ms.",
                    result.executed, result.elapsed_ms
                ),
            );
        }
        Some(Ok(result)) => {
            if let Some((index, diagnosis)) = &result.failed {
                diagnosis_ui(ui, diagnosis, Some(&format!("Statement #{} failed: ", index + 1)));
            } else if result.cancelled {
                ui.colored_label(ui.visuals().warn_fg_color, "Cancelled.");
            } else {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("Stopped after {} of {} statements.", result.executed, result.total),
                );
            }
            let applied = if result.executed == 0 {
                "nothing was changed".to_string()
            } else {
                format!(
                    "{} statement(s) that ran outside the transaction stay applied",
                    result.executed
                )
            };
            if result.rolled_back {
                ui.label(format!("The transaction was rolled back: {applied}."));
            } else if result.executed > 0 {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("Not rolled back: {} statement(s) before it stay applied. Fix the cause and run again (the script is safe to re-run).", result.executed),
                );
            }
        }
        Some(Err(failure)) => failure_ui(ui, failure, "The script did not run: "),
    }
}

/// A spinner line for a running task: what it does, the connection step, and Cancel.
pub fn pending_ui(ui: &mut Ui, pending: &Pending, what: &str, owner: TaskOwner) -> Vec<UiCommand> {
    let mut out = Vec::new();
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(what);
        if let Some(text) = pending.step_text() {
            ui.weak(text);
        }
        out.extend(cancel_button_ui(ui, pending, owner));
    });
    out
}

/// [`pending_ui`] for tasks outside the catalog-user tabs: returns whether Cancel was clicked.
pub fn pending_cancel_ui(ui: &mut Ui, pending: &Pending, what: &str) -> bool {
    let mut cancel = false;
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(what);
        if let Some(text) = pending.step_text() {
            ui.weak(text);
        }
        if pending.cancel_requested {
            ui.weak("cancelling…");
        } else {
            cancel = ui
                .button("Cancel")
                .on_hover_text("Stop it (server-side cancel of the running statement)")
                .clicked();
        }
    });
    cancel
}

fn cancel_button_ui(ui: &mut Ui, pending: &Pending, owner: TaskOwner) -> Option<UiCommand> {
    if pending.cancel_requested {
        ui.weak("cancelling…");
        None
    } else {
        ui.button("Cancel")
            .on_hover_text("Stop it (server-side cancel of the running statement)")
            .clicked()
            .then_some(UiCommand::Catalog(CatalogCommand::CancelTask(owner)))
    }
}

/// Why a task did not complete: the connection diagnosis, the server's error, or "cancelled".
pub fn failure_ui(ui: &mut Ui, failure: &TaskFailure, prefix: &str) {
    match failure {
        TaskFailure::Connect(report) => match &report.diagnosis {
            Some(d) => diagnosis_ui(ui, d, Some(&format!("{prefix}could not connect. "))),
            None => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("{prefix}could not connect."),
                );
            }
        },
        TaskFailure::Failed(d) => diagnosis_ui(ui, d, Some(prefix)),
        TaskFailure::Cancelled => {
            ui.colored_label(ui.visuals().warn_fg_color, "Cancelled.");
        }
    }
}

/// Plan errors in red, each on its own line, under a heading that says they block the script.
pub fn plan_errors_ui(ui: &mut Ui, heading: &str, errors: &[String]) {
    if errors.is_empty() {
        return;
    }
    ui.label(RichText::new(heading).strong().color(ui.visuals().error_fg_color));
    for e in errors {
        ui.colored_label(ui.visuals().error_fg_color, format!("• {e}"));
    }
}

/// Warnings in the warning colour.
pub fn warnings_ui(ui: &mut Ui, warnings: &[String]) {
    for w in warnings {
        ui.colored_label(ui.visuals().warn_fg_color, format!("! {w}"));
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Distinguishes a slot's widgets from another slot's (every other database has its own).
fn slot_key(slot: ScriptSlot) -> String {
    match slot {
        ScriptSlot::OtherDatabase(i) => format!("{}-{i}", slot.file_name()),
        _ => slot.file_name().to_string(),
    }
}
