//! The task runner behind a trait, so UI tests can swap in a fake that answers deterministically.

use super::events::{Command, Event, Outcome, TaskId};
use std::collections::HashMap;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// Where tasks deliver events: a channel plus a wake-up (egui's `request_repaint`).
#[derive(Clone)]
pub struct EventSink {
    tx: Sender<Event>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl EventSink {
    pub fn new(tx: Sender<Event>, wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        EventSink { tx, wake }
    }

    pub fn send(&self, event: Event) {
        // A closed receiver means the UI is gone; nothing left to tell.
        let _ = self.tx.send(event);
        (self.wake)();
    }
}

/// Accepts commands; never blocks the caller.
pub trait Backend: Send {
    fn submit(&mut self, cmd: Command);
}

/// The real backend: spawns each task on an injected tokio runtime.
pub struct TokioBackend {
    rt: tokio::runtime::Handle,
    sink: EventSink,
    running: Arc<Mutex<HashMap<TaskId, CancellationToken>>>,
}

impl TokioBackend {
    pub fn new(rt: tokio::runtime::Handle, sink: EventSink) -> Self {
        TokioBackend { rt, sink, running: Default::default() }
    }

    fn track(&self, task: TaskId) -> CancellationToken {
        let token = CancellationToken::new();
        if let Ok(mut map) = self.running.lock() {
            map.insert(task, token.clone());
        }
        token
    }
}

impl Backend for TokioBackend {
    fn submit(&mut self, cmd: Command) {
        tracing::debug!(?cmd, "submit");
        match cmd {
            Command::Cancel(task) => {
                if let Some(token) = self.running.lock().ok().and_then(|m| m.get(&task).cloned()) {
                    token.cancel();
                }
            }
            Command::TestConnection { task, profile, password } => {
                let cancel = self.track(task);
                let sink = self.sink.clone();
                let running = self.running.clone();
                self.rt.spawn(async move {
                    let step_sink = sink.clone();
                    let on_step = move |step| step_sink.send(Event::Step { task, step });
                    let report = super::test_connection::run(&profile, password.as_ref(), &on_step, &cancel).await;
                    if let Ok(mut m) = running.lock() {
                        m.remove(&task);
                    }
                    sink.send(Event::Finished { task, outcome: Outcome::Test(Box::new(report)) });
                });
            }
        }
    }
}
