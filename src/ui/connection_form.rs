//! The connection form: every field of the open profile, a paste box that fills them from an
//! endpoint / URL / psql line, inline validation under each field, and Save / Revert / Test.
//!
//! Edits go straight into the form's draft (plain state); anything that touches the store, the
//! secret store, the file dialog or the backend is returned as a command.

use crate::app::command::{FormCommand, TestCommand, UiCommand};
use crate::app::state::{FormState, PasteResult};
use crate::ui::ssh_section::{SshView, ssh_section_ui};
use egui::{Button, Color32, ComboBox, Grid, Key, Response, RichText, ScrollArea, TextEdit, Ui};
use shiftgate_core::profile::{Engine, Field, SecretMode, SslMode, ValidationIssue};

const FIELD_WIDTH: f32 = 380.0;

/// What the form shows besides the form state itself.
pub struct FormContext<'a> {
    /// `SecretStore::describe()` of the active store.
    pub secret_store: &'a str,
    /// Whether that store keeps secrets across restarts.
    pub secret_store_persistent: bool,
    pub test_running: bool,
}

pub fn connection_form_ui(
    ui: &mut Ui,
    form: &mut FormState,
    cx: FormContext<'_>,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    header_ui(ui, form, &cx, &mut out);
    ui.separator();
    ScrollArea::vertical().id_salt("connection_form").auto_shrink([false, false]).show(ui, |ui| {
        paste_box_ui(ui, form, &mut out);
        ui.add_space(6.0);
        fields_ui(ui, form, &cx, &mut out);
    });
    out
}

fn header_ui(ui: &mut Ui, form: &FormState, cx: &FormContext<'_>, out: &mut Vec<UiCommand>) {
    let dirty = form.is_dirty();
    ui.horizontal(|ui| {
        let title = form.draft.display_name();
        if dirty {
            ui.heading(format!("● {title}")).on_hover_text("Unsaved changes (Ctrl+S saves)");
            ui.weak(if form.is_new() { "new, not saved yet" } else { "unsaved changes" });
        } else {
            ui.heading(title);
        }
    });
    ui.horizontal(|ui| {
        if ui
            .add_enabled(dirty, Button::new("Save"))
            .on_hover_text("Save the profile (Ctrl+S)")
            .clicked()
        {
            out.push(UiCommand::Form(FormCommand::Save));
        }
        if ui
            .add_enabled(dirty, Button::new("Revert"))
            .on_hover_text("Drop unsaved changes")
            .clicked()
        {
            out.push(UiCommand::Form(FormCommand::Revert));
        }
        ui.separator();
        let can_test = !cx.test_running && !form.draft.host.trim().is_empty();
        let why = if cx.test_running {
            "A test is running"
        } else if form.draft.host.trim().is_empty() {
            "Enter a host first"
        } else {
            "Connect step by step and report what happened (Ctrl+Enter)"
        };
        if ui
            .add_enabled(can_test, Button::new("Test connection"))
            .on_hover_text(why)
            .on_disabled_hover_text(why)
            .clicked()
        {
            out.push(UiCommand::Test(TestCommand::Connection));
        }
        let tunnel = form.draft.ssh.enabled;
        let can_tunnel = tunnel && !cx.test_running && !form.draft.host.trim().is_empty();
        let why = if !tunnel {
            "Choose SSH tunnel or SSH config alias below first"
        } else if cx.test_running {
            "A test is running"
        } else if form.draft.host.trim().is_empty() {
            "Enter a host first"
        } else {
            "Open every SSH hop and a channel to the database host, without logging in"
        };
        if ui
            .add_enabled(can_tunnel, Button::new("Test tunnel"))
            .on_hover_text(why)
            .on_disabled_hover_text(why)
            .clicked()
        {
            out.push(UiCommand::Test(TestCommand::Tunnel));
        }
    });
    if let Some(err) = &form.save_error {
        ui.colored_label(ui.visuals().error_fg_color, err);
    }
}

fn paste_box_ui(ui: &mut Ui, form: &mut FormState, out: &mut Vec<UiCommand>) {
    ui.horizontal(|ui| {
        let label = ui.label("Paste endpoint or URL");
        let response = ui
            .add(
                TextEdit::singleline(&mut form.paste_text)
                    .hint_text("cluster.abc.us-west-2.redshift.amazonaws.com:5439/dev, postgres://…, psql -h …")
                    .desired_width(FIELD_WIDTH),
            )
            .labelled_by(label.id);
        let pasted = response.changed() && ui.input(|i| i.events.iter().any(|e| matches!(e, egui::Event::Paste(_))));
        let entered = response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        let clicked = ui
            .add_enabled(!form.paste_text.trim().is_empty(), Button::new("Fill fields"))
            .on_hover_text("Fill the fields below from the pasted text")
            .clicked();
        if pasted || entered || clicked {
            out.push(UiCommand::Form(FormCommand::ApplyPaste));
        }
    });
    paste_result_ui(ui, form.paste_result.as_ref());
}

/// What a paste recognised and ignored (shared with the first-run screen).
pub fn paste_result_ui(ui: &mut Ui, result: Option<&PasteResult>) {
    match result {
        None => {}
        Some(PasteResult::Failed(message)) => {
            ui.colored_label(ui.visuals().error_fg_color, message);
        }
        Some(PasteResult::Applied { format, recognised, ignored }) => {
            ui.label(RichText::new(format!("Recognised ({format}):")).strong());
            for line in recognised {
                ui.label(format!("  • {line}"));
            }
            if !ignored.is_empty() {
                ui.label(RichText::new("Not used:").strong());
                for line in ignored {
                    ui.colored_label(ui.visuals().warn_fg_color, format!("  – {line}"));
                }
            }
        }
    }
}

fn fields_ui(ui: &mut Ui, form: &mut FormState, cx: &FormContext<'_>, out: &mut Vec<UiCommand>) {
    let issues = form.draft.validate();
    Grid::new("connection_fields").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
        text_row(ui, "Name", &mut form.draft.name, "shown in the profile list");
        issues_rows(ui, &issues, Field::Name);

        let label = ui.label("Engine");
        let mut engine = form.draft.engine;
        ComboBox::from_id_salt("engine")
            .selected_text(engine.label())
            .show_ui(ui, |ui| {
                for e in Engine::ALL {
                    ui.selectable_value(&mut engine, e, e.label());
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();
        if engine != form.draft.engine {
            form.draft.set_engine(engine);
            form.sync_texts_from_draft();
        }

        text_row(
            ui,
            "Host",
            &mut form.draft.host,
            "cluster.abc123.us-west-2.redshift.amazonaws.com",
        );
        issues_rows(ui, &issues, Field::Host);
        if text_row(ui, "Port", &mut form.port_text, "5439").changed() {
            form.port_text_changed();
        }
        issues_rows(ui, &issues, Field::Port);
        text_row(ui, "Database", &mut form.draft.database, "dev");
        issues_rows(ui, &issues, Field::Database);
        text_row(ui, "User", &mut form.draft.user, "awsuser");
        issues_rows(ui, &issues, Field::User);

        if form.draft.auth.is_iam() {
            ui.label("Password");
            ui.weak("None: a temporary password from AWS IAM at every connect (see Authentication below).");
            ui.end_row();
        } else {
            password_rows(ui, form, cx);
        }

        let label = ui.label("SSL mode");
        let mut mode = form.draft.sslmode;
        ComboBox::from_id_salt("sslmode")
            .selected_text(mode.as_str())
            .show_ui(ui, |ui| {
                for m in SslMode::ALL {
                    ui.selectable_value(&mut mode, m, m.as_str()).on_hover_text(m.explanation());
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();
        form.draft.sslmode = mode;
        ui.label("");
        let colour = if mode.requires_tls() {
            ui.visuals().weak_text_color()
        } else {
            ui.visuals().warn_fg_color
        };
        ui.colored_label(colour, mode.explanation());
        ui.end_row();
        issues_rows(ui, &issues, Field::SslMode);

        let label = ui.label("CA file");
        ui.horizontal(|ui| {
            let r = ui
                .add(
                    TextEdit::singleline(&mut form.ca_text)
                        .hint_text("optional; built-in web roots if empty")
                        .desired_width(FIELD_WIDTH - 80.0),
                )
                .labelled_by(label.id);
            if r.changed() {
                form.ca_text_changed();
            }
            if ui.button("Browse…").on_hover_text("Choose a CA certificate file").clicked() {
                out.push(UiCommand::Form(FormCommand::BrowseCaFile));
            }
        });
        ui.end_row();
        issues_rows(ui, &issues, Field::CaFile);

        let label = ui.label("Connect timeout (s)");
        let r = ui
            .add(TextEdit::singleline(&mut form.timeout_text).desired_width(60.0))
            .labelled_by(label.id);
        if r.changed() {
            form.timeout_text_changed();
        }
        ui.end_row();
        issues_rows(ui, &issues, Field::ConnectTimeout);

        let label = ui.label("Colour");
        ui.horizontal(|ui| {
            let mut rgb = form.draft.color.unwrap_or([0x80, 0x80, 0x80]);
            let r = egui::color_picker::color_edit_button_srgb(ui, &mut rgb).labelled_by(label.id);
            if r.changed() {
                form.draft.color = Some(rgb);
            }
            if form.draft.color.is_some() {
                if ui.small_button("No colour").clicked() {
                    form.draft.color = None;
                }
            } else {
                ui.weak("none");
            }
        });
        ui.end_row();

        if text_row(
            ui,
            "Application name",
            &mut form.app_name_text,
            "shown in pg_stat_activity; empty = not sent",
        )
        .changed()
        {
            form.app_name_text_changed();
        }
        issues_rows(ui, &issues, Field::ApplicationName);

        let label = ui.label("Notes");
        ui.add(
            TextEdit::multiline(&mut form.draft.notes).desired_rows(3).desired_width(FIELD_WIDTH),
        )
        .labelled_by(label.id);
        ui.end_row();
        issues_rows(ui, &issues, Field::Ssh);
    });
    ui.add_space(8.0);
    ui.separator();
    let view = SshView { issues: &issues, secret_store: cx.secret_store };
    out.extend(ssh_section_ui(ui, form, view));
    ui.add_space(8.0);
    ui.separator();
    crate::ui::auth_section::auth_section_ui(ui, form, &issues);
}

fn password_rows(ui: &mut Ui, form: &mut FormState, cx: &FormContext<'_>) {
    let label = ui.label("Password");
    ui.horizontal(|ui| {
        let hint = if form.password_saved && !form.password_edited {
            "saved — type to replace"
        } else if form.draft.password_mode == SecretMode::AskEveryTime {
            "asked when testing"
        } else {
            ""
        };
        let r = ui
            .add(
                TextEdit::singleline(&mut *form.password)
                    .password(!form.show_password)
                    .hint_text(hint)
                    .desired_width(FIELD_WIDTH - 130.0),
            )
            .labelled_by(label.id);
        if r.changed() {
            form.password_edited = true;
        }
        ui.checkbox(&mut form.show_password, "Show password");
    });
    ui.end_row();
    ui.label("");
    ui.horizontal(|ui| {
        ui.radio_value(&mut form.draft.password_mode, SecretMode::Keychain, "Save in keychain");
        ui.radio_value(&mut form.draft.password_mode, SecretMode::AskEveryTime, "Ask every time");
    });
    ui.end_row();
    ui.label("");
    let note = match form.draft.password_mode {
        SecretMode::Keychain if cx.secret_store_persistent => {
            format!("Stored on Save in {}; never written to the profiles file.", cx.secret_store)
        }
        SecretMode::Keychain => {
            format!(
                "No keychain is available ({}): the password is kept only until Shiftgate closes.",
                cx.secret_store
            )
        }
        SecretMode::AskEveryTime => {
            "Kept in memory only; asked for when a test needs it.".to_string()
        }
    };
    ui.weak(note);
    ui.end_row();
    let mut command = form.draft.password_command.clone().unwrap_or_default();
    let r = text_row(
        ui,
        "Password command",
        &mut command,
        "optional: its output is the password (e.g. a token helper); run before the keychain",
    );
    if r.changed() {
        form.draft.password_command = Some(command).filter(|c| !c.trim().is_empty());
    }
}

/// A labelled single-line text field as one grid row.
fn text_row(ui: &mut Ui, label: &str, text: &mut String, hint: &str) -> Response {
    let l = ui.label(label);
    let r = ui
        .add(TextEdit::singleline(text).hint_text(hint).desired_width(FIELD_WIDTH))
        .labelled_by(l.id);
    ui.end_row();
    r
}

/// Validation messages for `field`, each as a grid row under the field.
fn issues_rows(ui: &mut Ui, issues: &[ValidationIssue], field: Field) {
    for issue in issues.iter().filter(|i| i.field == field) {
        ui.label("");
        ui.label(RichText::new(&issue.message).color(error_colour(ui)));
        ui.end_row();
    }
}

fn error_colour(ui: &Ui) -> Color32 {
    ui.visuals().error_fg_color
}
