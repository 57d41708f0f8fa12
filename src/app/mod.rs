//! The eframe application, laid out as rerun's `re_viewer` app:
//! - this file: the [`App`] struct, its construction and the eframe glue;
//! - `logic`: the per-frame work that draws nothing (task events, background jobs, store sync);
//! - `ui`: the layout, calling the per-panel files in `crate::ui`;
//! - `command_handling`: the exhaustive match over the [`UiCommand`]s the panels return.
//!
//! Only the app touches the store, the secret store, the file picker and the backend; the UI
//! thread never waits on the network, the keychain or slow file I/O (those run as tasks or
//! background jobs).

mod audit;
pub mod audit_state;
pub mod auth_form;
pub mod background;
pub mod command;
mod command_handling;
pub mod dialogs;
pub mod file_picker;
pub mod form;
pub mod import_state;
mod logic;
pub mod profile_list;
pub mod profile_search;
mod provision;
pub mod provision_state;
mod secret_commands;
pub mod setup_state;
pub mod ssh_form;
pub mod state;
pub mod store_sync;
pub mod teardown_state;
pub mod test_run;
mod transfer;
mod ui;
pub mod ui_state;
pub mod verify_state;

pub use command::UiCommand;
pub use file_picker::{FilePicker, NativeFilePicker};
pub use state::{AppState, Dialog, FormState, ResultsTab, UiState};

use crate::store::profiles::ProfileStore;
use crate::store::secrets::SecretStore;
use crate::tasks::{Backend, Event, EventSink, TokioBackend};
use state::LogLevel;
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
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.run_logic(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.draw(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.state.ui.save(storage);
    }
}
