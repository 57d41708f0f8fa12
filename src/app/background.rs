//! Blocking work the window must not wait for — keychain reads and writes (a keychain may take a
//! minute to answer, or show an unlock dialog), `.sql` saves and exports, import previews,
//! `~/.ssh/config` lookups — each on its
//! own short-lived thread. The result comes back as a [`Done`] value that `logic()` folds into the
//! state on a later frame (rerun's `BackgroundTasks`, without the promise crate).

use super::ssh_form::AliasPreview;
use super::state::LogLevel;
use crate::net::credentials::SecretKind;
use shiftgate_core::profile::ProfileId;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, OnceLock};

/// A finished piece of background work.
pub enum Done {
    /// Which secrets the keychain holds for a profile ("is a password saved?").
    SavedSecrets { profile: ProfileId, kinds: Vec<SecretKind> },
    /// A line for the status bar and the log (a save finished or failed).
    Tell { level: LogLevel, text: String },
    /// What an `~/.ssh/config` alias resolves to.
    Alias(AliasPreview),
    /// A file read and planned for import (checking saved passwords in the keychain).
    ImportPreview(Box<super::import_state::ImportPreview>),
}

/// Spawns the jobs and collects what they return.
pub struct Background {
    tx: Sender<Done>,
    rx: Receiver<Done>,
    /// Set on the first frame; a finished job repaints the window through it.
    wake: Arc<OnceLock<egui::Context>>,
    running: Arc<std::sync::atomic::AtomicUsize>,
}

impl Default for Background {
    fn default() -> Self {
        let (tx, rx) = channel();
        Background { tx, rx, wake: Arc::default(), running: Arc::default() }
    }
}

impl Background {
    pub fn set_context(&self, ctx: &egui::Context) {
        let _ = self.wake.set(ctx.clone());
    }

    /// Run `job` on its own thread; its [`Done`] values arrive through [`Self::try_recv`].
    pub fn spawn(&self, name: &str, job: impl FnOnce(&dyn Fn(Done)) + Send + 'static) {
        use std::sync::atomic::Ordering;
        let (tx, wake, running) = (self.tx.clone(), self.wake.clone(), self.running.clone());
        running.fetch_add(1, Ordering::SeqCst);
        let spawned = std::thread::Builder::new().name(format!("bg-{name}")).spawn(move || {
            let send = |done: Done| {
                let _ = tx.send(done);
            };
            job(&send);
            running.fetch_sub(1, Ordering::SeqCst);
            if let Some(ctx) = wake.get() {
                ctx.request_repaint();
            }
        });
        if let Err(e) = spawned {
            self.running.fetch_sub(1, Ordering::SeqCst);
            let _ = self.tx.send(Done::Tell {
                level: LogLevel::Error,
                text: format!("Could not start background work ({name}): {e}"),
            });
        }
    }

    /// Run `job` right here: for work that cannot block (an in-memory secret store). Its
    /// results are drained like the others.
    pub fn run_inline(&self, job: impl FnOnce(&dyn Fn(Done))) {
        let send = |done: Done| {
            let _ = self.tx.send(done);
        };
        job(&send);
    }

    pub fn try_recv(&self) -> Option<Done> {
        self.rx.try_recv().ok()
    }

    /// Jobs still running (tests wait for zero).
    pub fn running(&self) -> usize {
        self.running.load(std::sync::atomic::Ordering::SeqCst)
    }
}
