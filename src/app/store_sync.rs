//! The window follows `profiles.toml`: a watcher thread (the `notify` crate) notices changes made
//! outside the app (the command line, another window), waits until they settle, and only sends a
//! message and asks for a repaint; the UI thread then reloads the store. The form keeps the user's
//! unsaved edits; a save that would overwrite a change made elsewhere opens a dialog where the user
//! keeps their version or takes the file's.
//!
//! Also here: "Open folder" for the status bar's backup notice (spawns the platform's opener and
//! does not wait for it).

use super::App;
use super::state::LogLevel;
use crate::store::profiles::{Conflict, FILE_NAME, Reloaded, StoreError};
use notify::Watcher;
use shiftgate_core::profile::{Profile, ProfileId};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError, channel};
use std::time::Duration;

/// Changes closer together than this are one reload (an editor's save is several events).
const SETTLE: Duration = Duration::from_millis(100);

/// What the conflict dialog and the status bar ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreCommand {
    /// Save the form's version over the one changed elsewhere.
    KeepMine,
    /// Drop the form's edits and show the file's version.
    TakeTheirs,
    /// Close the conflict dialog; the form keeps its edits.
    DismissConflict,
    /// Delete the profile although it was changed elsewhere since it was loaded.
    DeleteAnyway,
    /// Show the folder holding the backup of an unreadable profiles file.
    OpenBackupFolder(PathBuf),
}

/// The watcher and what it found, owned by the app.
#[derive(Default)]
pub struct StoreSync {
    watcher: Option<StoreWatcher>,
    started: bool,
    /// A save refused because the profile changed elsewhere: the dialog shows it.
    pub conflict: Option<Conflict>,
    /// Last reload error, not repeated in the log on every change.
    last_error: Option<String>,
}

/// Watches the config directory; `changed` yields one message per settled burst of changes.
pub struct StoreWatcher {
    _watcher: notify::RecommendedWatcher,
    changed: Receiver<()>,
}

impl StoreWatcher {
    /// Watch `dir` for changes to `profiles.toml`; `wake` is called (from the watcher's thread)
    /// after each settled burst.
    pub fn start(dir: &Path, wake: impl Fn() + Send + 'static) -> Result<StoreWatcher, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let (raw_tx, raw_rx) = channel::<()>();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let relevant = match &event {
                    Ok(e) => {
                        e.paths.is_empty()
                            || e.paths.iter().any(|p| p.file_name().is_some_and(|n| n == FILE_NAME))
                    }
                    Err(_) => true,
                };
                if relevant {
                    let _ = raw_tx.send(());
                }
            })
            .map_err(|e| e.to_string())?;
        watcher.watch(dir, notify::RecursiveMode::NonRecursive).map_err(|e| e.to_string())?;
        let (tx, changed) = channel();
        std::thread::Builder::new()
            .name("profiles-watch".into())
            .spawn(move || {
                while raw_rx.recv().is_ok() {
                    loop {
                        match raw_rx.recv_timeout(SETTLE) {
                            Ok(()) => {}
                            Err(RecvTimeoutError::Timeout) => break,
                            Err(RecvTimeoutError::Disconnected) => return,
                        }
                    }
                    if tx.send(()).is_err() {
                        return;
                    }
                    wake();
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(StoreWatcher { _watcher: watcher, changed })
    }

    /// Whether the file changed since the last call (never blocks).
    pub fn changed(&self) -> bool {
        let mut any = false;
        loop {
            match self.changed.try_recv() {
                Ok(()) => any = true,
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return any,
            }
        }
    }
}

/// Open `dir` in the file manager without waiting for it.
fn open_folder(dir: &Path) -> std::io::Result<()> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let mut child = std::process::Command::new(opener)
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    // Reap it off the UI thread.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

/// Fields of two versions of a profile that differ, in words.
pub fn differing_fields(
    a: &shiftgate_core::profile::Profile,
    b: &shiftgate_core::profile::Profile,
) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |label: &'static str, differs: bool| {
        if differs {
            out.push(label);
        }
    };
    check("name", a.name != b.name);
    check("engine", a.engine != b.engine);
    check("host", a.host != b.host);
    check("port", a.port != b.port);
    check("database", a.database != b.database);
    check("user", a.user != b.user);
    check("sslmode", a.sslmode != b.sslmode);
    check("CA file", a.ca_file != b.ca_file);
    check("connect timeout", a.connect_timeout_secs != b.connect_timeout_secs);
    check("application name", a.application_name != b.application_name);
    check("notes", a.notes != b.notes);
    check("colour", a.color != b.color);
    check("password mode", a.password_mode != b.password_mode);
    check("password command", a.password_command != b.password_command);
    check("SSH", a.ssh != b.ssh);
    check("applied setups", a.applied_plans != b.applied_plans);
    out
}

impl App {
    /// Once per frame: start watching on the first frame, reload when the file changed.
    pub(super) fn follow_store(&mut self, ctx: &egui::Context) {
        if !self.sync.started {
            self.sync.started = true;
            let dir = self.store.path().parent().map(Path::to_path_buf).unwrap_or_default();
            let ctx = ctx.clone();
            match StoreWatcher::start(&dir, move || ctx.request_repaint()) {
                Ok(w) => self.sync.watcher = Some(w),
                Err(e) => self.state.log(
                    LogLevel::Warn,
                    format!("Changes made to the profiles file outside Shiftgate will not show until a restart: {e}"),
                ),
            }
        }
        if self.sync.watcher.as_ref().is_some_and(StoreWatcher::changed) {
            self.reload_store();
        }
    }

    /// Read the file again; a form without edits shows the new version, one with edits keeps them.
    pub(super) fn reload_store(&mut self) {
        match self.store.reload() {
            Ok(Reloaded::Unchanged) => {}
            Ok(Reloaded::Changed) => {
                self.sync.last_error = None;
                self.state.store_revision += 1;
                self.state.log(
                    LogLevel::Info,
                    format!(
                        "The profiles file changed outside Shiftgate; {} profiles now",
                        self.store.profiles().len()
                    ),
                );
                self.refresh_form_after_reload();
            }
            Err(e) => {
                let text = format!("The profiles file changed but could not be read: {e}");
                if self.sync.last_error.as_ref() != Some(&text) {
                    self.state.tell(LogLevel::Warn, text.clone());
                    self.sync.last_error = Some(text);
                }
            }
        }
    }

    fn refresh_form_after_reload(&mut self) {
        let Some(form) = self.state.form.as_ref() else { return };
        let Some(saved) = form.saved.as_ref() else { return };
        let id = saved.id.clone();
        let fresh = self.store.get(&id).cloned();
        if fresh.as_ref() == Some(saved) {
            return;
        }
        let name = form.draft.display_name();
        match (form.is_dirty(), fresh) {
            (false, Some(_)) => self.open_saved(&id),
            (false, None) => {
                self.state.form = None;
                self.state.tell(LogLevel::Warn, format!("\"{name}\" was deleted elsewhere"));
            }
            (true, _) => self.state.tell(
                LogLevel::Warn,
                format!(
                    "\"{name}\" was changed elsewhere; the form keeps your unsaved edits (saving asks which version to keep)"
                ),
            ),
        }
    }

    /// Remove `id` if the file still holds the version the user saw (the form's saved version
    /// when the form shows it, else the list's); a change made elsewhere opens the conflict
    /// dialog (delete anyway / keep theirs) and returns the conflict. `force` skips the check.
    pub(super) fn remove_checked(
        &mut self,
        id: &ProfileId,
        force: bool,
    ) -> Result<Profile, StoreError> {
        let seen = self
            .state
            .form
            .as_ref()
            .filter(|f| &f.draft.id == id)
            .and_then(|f| f.saved.clone())
            .or_else(|| self.store.get(id).cloned());
        let result = match (&seen, force) {
            (Some(seen), false) => self.store.remove_expecting(id, seen),
            _ => self.store.remove(id),
        };
        match &result {
            Err(StoreError::Conflict(conflict)) => {
                self.state.store_revision += 1;
                self.state
                    .tell(LogLevel::Warn, format!("Not deleted yet: {}", conflict.describe()));
                self.sync.conflict = Some((**conflict).clone());
            }
            Err(StoreError::NotFound(_)) => {
                self.state.store_revision += 1;
                let _ = self.store.reload();
            }
            _ => {}
        }
        result
    }

    pub(super) fn apply_store_command(&mut self, cmd: StoreCommand) {
        match cmd {
            StoreCommand::DeleteAnyway => {
                let Some(conflict) = self.sync.conflict.take() else { return };
                self.delete(&conflict.id, true);
            }
            StoreCommand::TakeTheirs if self.sync.conflict.as_ref().is_some_and(|c| c.deleting) => {
                let Some(conflict) = self.sync.conflict.take() else { return };
                self.reload_store();
                // The form shows the kept version, unless it holds unsaved edits.
                let shown = self
                    .state
                    .form
                    .as_ref()
                    .is_some_and(|f| f.draft.id == conflict.id && !f.is_dirty());
                if shown && self.store.get(&conflict.id).is_some() {
                    self.open_saved(&conflict.id);
                }
                self.state.tell(
                    LogLevel::Info,
                    format!(
                        "Kept \"{}\" as changed elsewhere; nothing was deleted",
                        conflict.mine.display_name()
                    ),
                );
            }
            StoreCommand::KeepMine => {
                self.sync.conflict = None;
                self.save_form(true);
            }
            StoreCommand::TakeTheirs => {
                let Some(conflict) = self.sync.conflict.take() else { return };
                self.reload_store();
                match self.store.get(&conflict.id) {
                    Some(_) => self.open_saved(&conflict.id),
                    None => self.state.form = None,
                }
                self.state.tell(
                    LogLevel::Info,
                    format!("Showing \"{}\" as saved elsewhere", conflict.mine.display_name()),
                );
            }
            StoreCommand::DismissConflict => self.sync.conflict = None,
            StoreCommand::OpenBackupFolder(path) => {
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                if let Err(e) = open_folder(&dir) {
                    self.state
                        .tell(LogLevel::Error, format!("Could not open {}: {e}", dir.display()));
                }
            }
        }
    }
}
