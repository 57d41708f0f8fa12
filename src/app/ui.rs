//! The layout of one frame: status bar, profiles on the left, the results / workflow tabs at the
//! bottom, the connection form in the centre, then the dialog on top. Each panel is drawn by its own
//! file in `crate::ui` and returns [`UiCommand`]s, which are applied after the frame is drawn.

use super::App;
use super::command::{AuditCommand, FormCommand, TestCommand, UiCommand, ViewCommand};
use super::state::{AppState, Dialog, ResultsTab};
use crate::ui::confirm_dialog::confirm_dialog_ui;
use crate::ui::conflict_dialog::conflict_dialog_ui;
use crate::ui::connection_form::{FormContext, connection_form_ui};
use crate::ui::first_run::first_run_ui;
use crate::ui::host_key_dialog::host_key_dialog_ui;
use crate::ui::import_dialog::import_dialog_ui;
use crate::ui::log_panel::log_panel_ui;
use crate::ui::password_prompt::password_prompt_ui;
use crate::ui::profiles_panel::{ProfilesPanel, profiles_panel_ui};
use crate::ui::report_panel::{ReportView, report_panel_ui};
use crate::ui::status_bar::{StatusInfo, status_bar_ui};
use egui::{CentralPanel, Key, KeyboardShortcut, Modifiers, Panel, ViewportCommand};
use std::path::Path;

impl App {
    /// Draw the whole window, then apply what the panels asked for.
    pub(super) fn draw(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let mut commands = Vec::new();
        self.shortcuts(ui, &mut commands);

        if self.store.notice.as_ref().map(|n| n.describe()) != self.store_notice {
            self.store_notice = self.store.notice.as_ref().map(|n| n.describe());
        }
        let status = Panel::bottom("status_bar").show(ui, |ui| {
            status_bar_ui(
                ui,
                StatusInfo {
                    secret_store: &self.secrets_name,
                    profiles_path: self.store.path(),
                    store_notice: self.store_notice.as_deref(),
                    backup: self.store.notice.as_ref().and_then(|n| n.backup()),
                    message: self.state.status.as_ref(),
                },
            )
        });
        commands.extend(status.inner);

        let keyboard = self.state.dialog.is_none();
        let profiles = Panel::left("profiles_panel")
            .resizable(true)
            .default_size(self.state.ui.profiles_width)
            .size_range(180.0..=640.0)
            .show(ui, |ui| {
                ui.set_min_width(ui.available_width());
                let AppState { list, form, store_revision, import_locations, .. } = &mut self.state;
                let view = ProfilesPanel {
                    profiles: self.store.profiles(),
                    revision: *store_revision,
                    selected: form.as_ref().filter(|f| !f.is_new()).map(|f| &f.draft.id),
                    keyboard,
                    import_locations,
                };
                profiles_panel_ui(ui, list, view)
            });
        self.state.ui.profiles_width = profiles.response.rect.width();
        commands.extend(profiles.inner);

        // The catalog-user tabs are forms: they get their own, taller, remembered height.
        let workflow = self.state.ui.results_tab.is_workflow() || self.state.audit.shown;
        let (panel_id, height, range) = if workflow {
            ("workflow_panel", self.state.ui.workflow_height, 200.0..=1400.0)
        } else {
            ("results_panel", self.state.ui.results_height, 100.0..=900.0)
        };
        let results = Panel::bottom(panel_id)
            .resizable(true)
            .default_size(height)
            .size_range(range)
            .show(ui, |ui| self.results_ui(ui));
        let shown = results.response.rect.height();
        if workflow {
            self.state.ui.workflow_height = shown;
        } else {
            self.state.ui.results_height = shown;
        }
        commands.extend(results.inner);

        CentralPanel::default().show(ui, |ui| {
            let running = self.state.test_running();
            let has_profiles = !self.store.profiles().is_empty();
            match self.state.form.as_mut() {
                Some(form) => {
                    let cx = FormContext {
                        secret_store: &self.secrets_name,
                        secret_store_persistent: self.secrets.persistent(),
                        test_running: running,
                    };
                    commands.extend(connection_form_ui(ui, form, cx));
                }
                None => {
                    commands.extend(first_run_ui(ui, &mut self.state.first_run_paste, has_profiles))
                }
            }
        });

        // An SSH host key holds a task up: it comes before any other question.
        if let Some(question) = self.state.host_keys.first() {
            commands.extend(host_key_dialog_ui(&ctx, &question.question));
        } else if let Some(question) = self.state.secret_prompts.first_mut() {
            commands.extend(password_prompt_ui(&ctx, question));
        } else if let Some(conflict) = &self.sync.conflict {
            commands.extend(conflict_dialog_ui(&ctx, conflict));
        } else {
            match self.state.dialog.as_mut() {
                Some(Dialog::Confirm(dialog)) => commands.extend(confirm_dialog_ui(&ctx, dialog)),
                Some(Dialog::Import(preview)) => commands.extend(import_dialog_ui(&ctx, preview)),
                None => {}
            }
        }

        for command in commands {
            self.apply_command(&ctx, command);
        }
        // Work that finished at once (an in-memory secret store) shows in this frame.
        self.drain_background();
        self.update_title(&ctx);
        self.run_exit_plan(&ctx);
    }

    /// Ctrl+S and Ctrl+Enter, taken before any widget sees them.
    fn shortcuts(&mut self, ui: &mut egui::Ui, out: &mut Vec<UiCommand>) {
        if self.state.dialog.is_some()
            || !self.state.host_keys.is_empty()
            || !self.state.secret_prompts.is_empty()
        {
            return;
        }
        let (save, test) = ui.input_mut(|i| {
            (
                i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::S)),
                i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter)),
            )
        });
        if let Some(form) = &self.state.form {
            if save && form.is_dirty() {
                out.push(UiCommand::Form(FormCommand::Save));
            }
            if test && !self.state.test_running() && !form.draft.host.trim().is_empty() {
                out.push(UiCommand::Test(TestCommand::Connection));
            }
        }
    }

    fn results_ui(&mut self, ui: &mut egui::Ui) -> Vec<UiCommand> {
        // A panel is as big as its contents: fill the size the user chose, even when empty.
        ui.set_min_height(ui.available_height());
        let mut out = Vec::new();
        ui.horizontal(|ui| {
            for tab in ResultsTab::ALL {
                let mut text = egui::RichText::new(tab.label());
                if self.workflow_busy(tab) {
                    text = text.italics();
                }
                let selected = self.state.ui.results_tab == tab && !self.state.audit.shown;
                if ui.selectable_label(selected, text).clicked() {
                    out.push(UiCommand::View(ViewCommand::ShowTab(tab)));
                }
            }
            let mut text = egui::RichText::new("Audit");
            if self.state.audit.running() || self.state.audit.any_converge_running() {
                text = text.italics();
            }
            if ui.selectable_label(self.state.audit.shown, text).clicked() {
                out.push(UiCommand::Audit(AuditCommand::Show));
            }
        });
        ui.separator();
        if self.state.audit.shown {
            out.extend(self.audit_tab_ui(ui));
            return out;
        }
        match self.state.ui.results_tab {
            ResultsTab::TestReport => {
                let view = ReportView {
                    run: self.state.run.as_ref(),
                    stale: self.state.run_is_stale(),
                    has_profile: self.state.form.is_some(),
                };
                out.extend(report_panel_ui(ui, view));
            }
            ResultsTab::Log => out.extend(log_panel_ui(ui, &self.state.log)),
            tab => out.extend(self.workflow_ui(ui, tab)),
        }
        out
    }

    fn update_title(&mut self, ctx: &egui::Context) {
        let title = match &self.state.form {
            Some(form) => format!(
                "Shiftgate — {}{}",
                form.draft.display_name(),
                if form.is_dirty() { " ●" } else { "" }
            ),
            None => "Shiftgate".to_string(),
        };
        if title != self.title {
            ctx.send_viewport_cmd(ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    fn run_exit_plan(&mut self, ctx: &egui::Context) {
        let Some(after) = self.exit.after_frames else { return };
        self.exit.frames += 1;
        if !self.exit.done && self.exit.frames >= after {
            self.exit.done = true;
            match self.exit.screenshot.clone() {
                Some(path) => {
                    let ctx2 = ctx.clone();
                    ctx.request_screenshot(move |image| {
                        if let Err(e) = save_png(&path, &image) {
                            tracing::error!(path = %path.display(), "screenshot not saved: {e}");
                        }
                        ctx2.send_viewport_cmd(ViewportCommand::Close);
                        ctx2.request_repaint();
                    });
                }
                None => ctx.send_viewport_cmd(ViewportCommand::Close),
            }
        }
        ctx.request_repaint();
    }
}

fn save_png(path: &Path, image: &egui::ColorImage) -> Result<(), String> {
    let [w, h] = image.size;
    let (w, h) = (
        u32::try_from(w).map_err(|e| e.to_string())?,
        u32::try_from(h).map_err(|e| e.to_string())?,
    );
    let rgba: Vec<u8> = image.pixels.iter().flat_map(|p| p.to_srgba_unmultiplied()).collect();
    image::save_buffer(path, &rgba, w, h, image::ExtendedColorType::Rgba8)
        .map_err(|e| e.to_string())
}
