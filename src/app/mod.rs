//! The eframe application: `logic()` drains task events into [`AppState`], `ui()` lays out the
//! panels (profiles left, form centre, results bottom, status bar) and then applies the
//! [`UiCommand`]s the panels returned. Only here do the store, the secret store, the file picker and
//! the backend get called; the UI thread never waits on the network (tests run as tasks).

mod audit;
pub mod audit_state;
pub mod auth_form;
pub mod background;
pub mod command;
pub mod file_picker;
pub mod import_state;
pub mod profile_search;
mod provision;
pub mod provision_state;
mod secret_commands;
pub mod setup_state;
pub mod ssh_form;
pub mod state;
pub mod store_sync;
mod transfer;

pub use command::UiCommand;
pub use file_picker::{FilePicker, NativeFilePicker};
pub use state::{AppState, Dialog, FormState, ResultsTab, UiState};

use crate::store::profiles::{ProfileStore, StoreError};
use crate::store::secrets::SecretStore;
use crate::tasks::{Backend, Command, Event, EventSink, TokioBackend};
use crate::ui::confirm_dialog::confirm_dialog_ui;
use crate::ui::conflict_dialog::conflict_dialog_ui;
use crate::ui::connection_form::{FormContext, connection_form_ui};
use crate::ui::first_run::first_run_ui;
use crate::ui::host_key_dialog::host_key_dialog_ui;
use crate::ui::import_dialog::import_dialog_ui;
use crate::ui::log_panel::{log_panel_ui, render_log};
use crate::ui::password_prompt::password_prompt_ui;
use crate::ui::profiles_panel::{ProfilesPanel, profiles_panel_ui};
use crate::ui::report_panel::{ReportView, report_panel_ui};
use crate::ui::status_bar::{StatusInfo, status_bar_ui};
use egui::{CentralPanel, Key, KeyboardShortcut, Modifiers, Panel, ViewportCommand};
use shiftgate_core::endpoint::{profile_url, psql_command};
use shiftgate_core::profile::{Engine, Profile, ProfileId, SecretMode};
use state::{ConfirmDialog, LogLevel};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;

/// Everything the app talks to, injected so tests can pass fakes.
pub struct AppDeps {
    pub store: ProfileStore,
    pub secrets: Arc<dyn SecretStore>,
    pub backend: Box<dyn Backend>,
    /// Events from the backend (the receiving end of its [`EventSink`]).
    pub events: Receiver<Event>,
    pub file_picker: Box<dyn FilePicker>,
}

/// Optional self-exit for smoke tests and screenshots: close after N frames, saving a PNG first.
#[derive(Debug, Default)]
pub struct ExitPlan {
    pub after_frames: Option<u64>,
    pub screenshot: Option<PathBuf>,
    frames: u64,
    done: bool,
}

pub struct App {
    state: AppState,
    store: ProfileStore,
    /// The store's load notice in words, shown in the status bar for the whole session.
    store_notice: Option<String>,
    /// Follows changes other processes make to the profiles file; save conflicts.
    sync: store_sync::StoreSync,
    secrets: Arc<dyn SecretStore>,
    secrets_name: String,
    backend: Box<dyn Backend>,
    events: Receiver<Event>,
    file_picker: Box<dyn FilePicker>,
    exit: ExitPlan,
    /// Last title sent to the window.
    title: String,
    fonts_installed: bool,
    /// Keychain calls, file writes and SSH config lookups off the UI thread.
    background: background::Background,
    /// The SSH config the alias preview reads (`None`: `~/.ssh/config`).
    ssh_config: Option<PathBuf>,
}

/// egui's bundled proportional font lacks `●` and `⊘`; the bundled monospace one (Hack) has them,
/// so it becomes a fallback for proportional text.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    if fonts.font_data.contains_key("Hack")
        && let Some(family) = fonts.families.get_mut(&egui::FontFamily::Proportional)
        && !family.iter().any(|f| f == "Hack")
    {
        family.insert(family.len().min(1), "Hack".to_owned());
    }
    ctx.set_fonts(fonts);
}

impl App {
    /// Build the app from its dependencies; `storage` is eframe's (None in tests or first run).
    pub fn new(storage: Option<&dyn eframe::Storage>, deps: AppDeps) -> App {
        let AppDeps { store, secrets, backend, events, file_picker } = deps;
        let store_notice = store.notice.as_ref().map(|n| n.describe());
        let secrets_name = secrets.describe();
        let mut app = App {
            state: AppState::new(UiState::load(storage)),
            store,
            store_notice,
            sync: store_sync::StoreSync::default(),
            secrets,
            secrets_name,
            backend,
            events,
            file_picker,
            exit: ExitPlan::default(),
            title: String::new(),
            fonts_installed: false,
            background: background::Background::default(),
            ssh_config: None,
        };
        app.state.log(
            LogLevel::Info,
            format!("{} profiles in {}", app.store.profiles().len(), app.store.path().display()),
        );
        app.refresh_import_locations();
        if let Some(notice) = app.store_notice.clone() {
            app.state.log(LogLevel::Warn, notice);
        }
        if let Some(id) = app.state.ui.last_profile.clone() {
            if app.store.get(&id).is_some() {
                app.open_saved(&id);
            } else {
                app.state.ui.last_profile = None;
            }
        }
        app
    }

    /// The real thing: the store in `config_dir` (or the default one), tasks on `runtime`, the
    /// native file dialog, and a wake-up that repaints the window when a task reports.
    pub fn from_creation_context(
        cc: &eframe::CreationContext<'_>,
        runtime: tokio::runtime::Handle,
        config_dir: Option<&Path>,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<App, String> {
        let dir = match config_dir {
            Some(dir) => dir.to_path_buf(),
            None => crate::store::profiles::default_config_dir()
                .map_err(|e| format!("Could not find a config directory: {e}"))?,
        };
        let first_run = crate::store::config_dir::ensure_config_dir(&dir)
            .map_err(|e| format!("Could not create the config dir {}: {e}", dir.display()))?;
        let store = ProfileStore::open(&dir)
            .map_err(|e| format!("Could not open the profile store: {e}"))?;
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = cc.egui_ctx.clone();
        let sink = EventSink::new(tx, Arc::new(move || ctx.request_repaint()));
        let backend = Box::new(TokioBackend::new(runtime, sink).with_secrets(secrets.clone()));
        let deps = AppDeps {
            store,
            secrets,
            backend,
            events: rx,
            file_picker: Box::new(NativeFilePicker),
        };
        let mut app = App::new(cc.storage, deps);
        if let Some(line) = first_run.describe() {
            app.state.log(LogLevel::Info, line);
        }
        install_fonts(&cc.egui_ctx);
        app.fonts_installed = true;
        Ok(app)
    }

    /// Read `~/.ssh/config` aliases from `path` instead (tests; match the backend's tunnel options).
    pub fn with_ssh_config(mut self, path: PathBuf) -> App {
        self.ssh_config = Some(path);
        self
    }

    /// Background jobs still running (keychain calls, saves).
    pub fn background_jobs(&self) -> usize {
        self.background.running()
    }

    /// Close the window after `frames` frames, saving a screenshot first if `screenshot` is set.
    pub fn set_exit_plan(&mut self, after_frames: Option<u64>, screenshot: Option<PathBuf>) {
        self.exit = ExitPlan { after_frames, screenshot, frames: 0, done: false };
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn store(&self) -> &ProfileStore {
        &self.store
    }

    /// Fold every pending task event into the state (never blocks).
    pub fn drain_events(&mut self) {
        while let Ok(event) = self.events.try_recv() {
            if self.state.audit.owns(event.task()) {
                self.audit_event(event);
            } else {
                self.state.apply(event);
            }
        }
        self.save_setup_record();
    }

    /// Open a saved profile in the form.
    fn open_saved(&mut self, id: &ProfileId) {
        let Some(profile) = self.store.get(id).cloned() else {
            self.state.tell(LogLevel::Error, format!("No profile with id {id}"));
            return;
        };
        // "Is a secret saved?" comes from the keychain in the background.
        self.look_up_saved_secrets(&profile);
        self.state.form = Some(FormState::for_saved(profile, false));
        self.state.ui.last_profile = Some(id.clone());
    }

    /// If the form has unsaved changes, ask before `cmd` replaces it; returns whether it asked.
    fn ask_before_discarding(&mut self, cmd: &UiCommand) -> bool {
        let Some(form) = self.state.form.as_ref().filter(|f| f.is_dirty()) else { return false };
        self.state.dialog = Some(Dialog::Confirm(ConfirmDialog {
            title: "Discard unsaved changes?".into(),
            message: format!(
                "\"{}\" has changes that are not saved. They will be lost.",
                form.draft.display_name()
            ),
            confirm_label: "Discard changes".into(),
            on_confirm: UiCommand::DiscardThen(Box::new(cmd.clone())),
        }));
        true
    }

    /// Perform one command from the panels.
    pub fn apply_command(&mut self, ctx: &egui::Context, cmd: UiCommand) {
        match cmd {
            UiCommand::Select(ref id) => {
                if self.state.form.as_ref().is_some_and(|f| &f.draft.id == id)
                    || self.ask_before_discarding(&cmd)
                {
                    return;
                }
                self.open_saved(id);
            }
            UiCommand::NewProfile => {
                if !self.ask_before_discarding(&cmd) {
                    self.state.form = Some(FormState::new_draft(Profile::new(Engine::Redshift)));
                }
            }
            UiCommand::NewFromPaste => {
                if !self.ask_before_discarding(&cmd) {
                    let mut form = FormState::new_draft(Profile::new(Engine::Redshift));
                    form.paste_text = std::mem::take(&mut self.state.first_run_paste);
                    form.apply_paste();
                    self.state.form = Some(form);
                }
            }
            UiCommand::Duplicate(ref id) => {
                if !self.ask_before_discarding(&cmd) {
                    self.duplicate(id);
                }
            }
            UiCommand::RequestDelete(id) => {
                let name = self
                    .store
                    .get(&id)
                    .map(Profile::display_name)
                    .unwrap_or_else(|| id.to_string());
                self.state.dialog = Some(Dialog::Confirm(ConfirmDialog {
                    title: "Delete profile?".into(),
                    message: format!(
                        "Delete \"{name}\" and its saved password? This cannot be undone."
                    ),
                    confirm_label: "Delete".into(),
                    on_confirm: UiCommand::Delete(id),
                }));
            }
            UiCommand::Delete(id) => {
                self.state.dialog = None;
                self.delete(&id);
            }
            UiCommand::DiscardThen(next) => {
                self.state.dialog = None;
                self.state.form = None;
                self.apply_command(ctx, *next);
            }
            UiCommand::Save => self.save_form(false),
            UiCommand::Store(store) => self.apply_store_command(store),
            UiCommand::Revert => {
                if let Some(form) = self.state.form.as_mut() {
                    form.revert();
                }
            }
            UiCommand::ApplyPaste => {
                if let Some(form) = self.state.form.as_mut() {
                    form.apply_paste();
                }
            }
            UiCommand::BrowseCaFile => {
                let current = self.state.form.as_ref().and_then(|f| f.draft.ca_file.clone());
                if let Some(path) = self.file_picker.pick_ca_file(current.as_deref())
                    && let Some(form) = self.state.form.as_mut()
                {
                    form.set_ca_file(path);
                }
            }
            UiCommand::Test => self.launch_test(ctx, false),
            UiCommand::TestTunnel => self.launch_test(ctx, true),
            UiCommand::BrowseSshKey(slot) => self.browse_ssh_key(slot),
            UiCommand::AnswerSecret(give) => self.answer_secret(give),
            UiCommand::CancelTest => {
                if let Some(run) = self.state.run.as_mut().filter(|r| r.running) {
                    run.cancel_requested = true;
                    let task = run.task;
                    self.backend.submit(Command::Cancel(task));
                    self.state.log(LogLevel::Info, "Cancelling the test…");
                }
            }
            UiCommand::CloseDialog => self.state.dialog = None,
            UiCommand::CopyReport => {
                if let Some(run) = &self.state.run {
                    ctx.copy_text(run.report.render_text());
                    self.state.tell(LogLevel::Info, "Report copied to the clipboard");
                }
            }
            UiCommand::CopyUrl => {
                if let Some(form) = &self.state.form {
                    ctx.copy_text(profile_url(&form.draft));
                    self.state.tell(LogLevel::Info, "URL copied (without the password)");
                }
            }
            UiCommand::CopyPsql => {
                if let Some(form) = &self.state.form {
                    ctx.copy_text(psql_command(&form.draft));
                    self.state.tell(LogLevel::Info, "psql command copied (without the password)");
                }
            }
            UiCommand::CopyLog => ctx.copy_text(render_log(&self.state.log)),
            UiCommand::ShowTab(tab) => {
                self.state.ui.results_tab = tab;
                self.state.audit.shown = false;
            }
            UiCommand::Audit(c) => self.apply_audit_command(ctx, c),
            transfer @ (UiCommand::ImportFile
            | UiCommand::ImportPath(_)
            | UiCommand::ImportAs(_)
            | UiCommand::ApplyImport
            | UiCommand::Export(_)) => self.apply_transfer_command(transfer),
            other => self.apply_provision_command(ctx, other),
        }
    }

    fn duplicate(&mut self, id: &ProfileId) {
        let Some(original) = self.store.get(id).cloned() else { return };
        let mut copy = original.duplicate();
        let base = copy.name.clone();
        let mut n = 2;
        while self
            .store
            .profiles()
            .iter()
            .any(|p| p.name.trim().eq_ignore_ascii_case(copy.name.trim()))
        {
            copy.name = format!("{base} {n}");
            n += 1;
        }
        if let Err(e) = self.store.upsert(copy.clone()) {
            self.state.tell(LogLevel::Error, format!("Could not duplicate: {e}"));
            return;
        }
        self.state.store_revision += 1;
        if original.password_mode == SecretMode::Keychain {
            self.copy_saved_password(id, &copy.id);
        }
        self.state.tell(LogLevel::Info, format!("Created \"{}\"", copy.name));
        self.open_saved(&copy.id);
    }

    fn delete(&mut self, id: &ProfileId) {
        match self.store.remove(id) {
            Ok(removed) => {
                self.state.store_revision += 1;
                // The database password and every SSH secret of the profile go with it.
                self.forget_secrets(removed.clone());
                if self.state.form.as_ref().is_some_and(|f| &f.draft.id == id) {
                    self.state.form = None;
                }
                if self.state.ui.last_profile.as_ref() == Some(id) {
                    self.state.ui.last_profile = None;
                }
                self.state.tell(LogLevel::Info, format!("Deleted \"{}\"", removed.display_name()));
            }
            Err(e) => self.state.tell(LogLevel::Error, format!("Could not delete: {e}")),
        }
    }

    /// Save the form; `keep_mine` overwrites a version changed elsewhere (after the conflict
    /// dialog), else such a save opens that dialog.
    fn save_form(&mut self, keep_mine: bool) {
        let Some(form) = self.state.form.as_mut() else { return };
        if form.draft.name.trim().is_empty() {
            form.draft.name = form.draft.display_name();
        }
        let profile = form.draft.clone();
        let saved = if keep_mine {
            self.store.upsert_keep_mine(profile.clone())
        } else {
            self.store.upsert_expecting(profile.clone(), form.saved.as_ref())
        };
        if let Err(e) = saved {
            self.state.store_revision += 1;
            if let StoreError::Conflict(conflict) = e {
                form.save_error = Some(conflict.describe());
                self.state.tell(LogLevel::Warn, format!("Not saved yet: {}", conflict.describe()));
                self.sync.conflict = Some(*conflict);
                return;
            }
            let msg = format!("Not saved: {e}");
            form.save_error = Some(msg.clone());
            self.state.tell(LogLevel::Error, msg);
            return;
        }
        form.save_error = None;
        form.saved = Some(profile.clone());
        self.save_form_secrets(&profile);
        self.state.store_revision += 1;
        self.state.ui.last_profile = Some(profile.id.clone());
        self.state.tell(LogLevel::Info, format!("Saved \"{}\"", profile.display_name()));
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
                out.push(UiCommand::Save);
            }
            if test && !self.state.test_running() && !form.draft.host.trim().is_empty() {
                out.push(UiCommand::Test);
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
                    out.push(UiCommand::ShowTab(tab));
                }
            }
            let mut text = egui::RichText::new("Audit");
            if self.state.audit.running() || self.state.audit.any_converge_running() {
                text = text.italics();
            }
            if ui.selectable_label(self.state.audit.shown, text).clicked() {
                out.push(UiCommand::Audit(audit_state::AuditCommand::Show));
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

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if !self.fonts_installed {
            install_fonts(ctx);
            self.fonts_installed = true;
        }
        self.background.set_context(ctx);
        self.drain_events();
        self.drain_background();
        self.refresh_alias_preview();
        self.follow_store(ctx);
        // A task that stopped waiting (cancelled, timed out) no longer needs an answer.
        self.state.host_keys.retain(|q| q.reply.is_pending());
        self.state.secret_prompts.retain(|q| q.reply.is_pending());
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
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

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.state.ui.save(storage);
    }
}
