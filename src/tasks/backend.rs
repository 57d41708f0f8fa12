//! The task runner behind a trait, so UI tests can swap in a fake that answers deterministically.

use super::events::{Command, Event, HostKeyReply, Outcome, SecretReply, TaskId};
use super::provision::{self, Target, TaskFailure};
use super::secrets;
use crate::net::credentials::Credentials;
use crate::net::ssh::{HostKeyPolicy, HostKeyQuestion, TunnelOptions};
use crate::store::password_source::PromptRequest;
use crate::store::secrets::{MemorySecretStore, SecretStore};
use shiftgate_core::diagnose::{Cause, Diagnosis};
use shiftgate_core::profile::Profile;
use shiftgate_core::report::Report;
use shiftgate_core::sql::{Script, SetupPlan};
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
    /// Files and agent for SSH tunnels; unknown host keys are always asked about through
    /// [`Event::HostKeyPrompt`].
    tunnel: TunnelOptions,
    /// Where a task looks for secrets its command did not carry (see [`super::secrets`]).
    secrets: Arc<dyn SecretStore>,
}

impl TokioBackend {
    /// Tunnels use the standard files (`~/.ssh/known_hosts`, `<config dir>/known_hosts`, …).
    pub fn new(rt: tokio::runtime::Handle, sink: EventSink) -> Self {
        TokioBackend {
            rt,
            sink,
            running: Default::default(),
            tunnel: TunnelOptions::default(),
            secrets: Arc::new(MemorySecretStore::default()),
        }
    }

    /// Resolve missing secrets from `secrets` (the app's keychain); default: memory only.
    pub fn with_secrets(mut self, secrets: Arc<dyn SecretStore>) -> Self {
        self.secrets = secrets;
        self
    }

    /// Use other known-hosts / ssh config / agent locations (tests, `--config-dir`). The host-key
    /// policy given is replaced by asking through events.
    pub fn with_tunnel_options(mut self, tunnel: TunnelOptions) -> Self {
        self.tunnel = tunnel;
        self
    }

    /// Tunnel options for one task: unknown host keys become `Event::HostKeyPrompt`s.
    fn tunnel_for(&self, task: TaskId) -> TunnelOptions {
        let sink = self.sink.clone();
        let ask = move |q: HostKeyQuestion| {
            let (reply, rx) = HostKeyReply::new();
            sink.send(Event::HostKeyPrompt { task, question: q, reply });
            rx
        };
        TunnelOptions { host_keys: HostKeyPolicy::Ask(Arc::new(ask)), ..self.tunnel.clone() }
    }

    /// Run a task and finish with its outcome. Secrets the command did not carry are resolved
    /// first, inside the task (password command → keychain → ask the user through an event).
    fn spawn_job(&self, task: TaskId, profile: Profile, credentials: Credentials, job: Job) {
        let cancel = self.track(task);
        let tunnel = self.tunnel_for(task);
        let sink = self.sink.clone();
        let running = self.running.clone();
        let store = self.secrets.clone();
        self.rt.spawn(async move {
            let tunnel_only = matches!(job, Job::Test { tunnel_only: true });
            let resolved = tokio::select! {
                r = resolve_secrets(task, &profile, credentials, store, &sink, tunnel_only) => Some(r),
                _ = cancel.cancelled() => None,
            };
            let outcome = match resolved {
                Some(Ok(credentials)) => {
                    run_job(task, &profile, &credentials, &tunnel, job, &sink, &cancel).await
                }
                Some(Err(diagnosis)) => job.failed(&profile, diagnosis),
                None => job.failed(&profile, cancelled()),
            };
            if let Ok(mut m) = running.lock() {
                m.remove(&task);
            }
            sink.send(Event::Finished { task, outcome });
        });
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
            Command::TestConnection { task, profile, credentials } => {
                self.spawn_job(task, *profile, credentials, Job::Test { tunnel_only: false })
            }
            Command::TestTunnel { task, profile, credentials } => {
                self.spawn_job(task, *profile, credentials, Job::Test { tunnel_only: true })
            }
            Command::Discover { task, profile, credentials } => {
                self.spawn_job(task, *profile, credentials, Job::Discover)
            }
            Command::RunScript { task, profile, credentials, script } => {
                self.spawn_job(task, *profile, credentials, Job::Run(script))
            }
            Command::Verify { task, profile, credentials, plan } => {
                self.spawn_job(task, *profile, credentials, Job::Verify(plan))
            }
            Command::Audit { task, profile, credentials, request } => {
                self.spawn_job(task, *profile, credentials, Job::Audit(request))
            }
        }
    }
}

/// What a task does.
enum Job {
    Test { tunnel_only: bool },
    Discover,
    Run(Box<Script>),
    Verify(Box<SetupPlan>),
    Audit(Box<super::audit::AuditRequest>),
}

impl Job {
    /// The outcome of this job when it could not start (no secret, cancelled while asking).
    fn failed(&self, profile: &Profile, diagnosis: Diagnosis) -> Outcome {
        match self {
            Job::Test { .. } => Outcome::Test(Box::new(Report {
                target: format!("{}:{}/{}", profile.host, profile.port, profile.database),
                sslmode: profile.sslmode.to_string(),
                diagnosis: Some(diagnosis),
                ..Report::default()
            })),
            Job::Discover => Outcome::Discovery(Err(TaskFailure::Failed(diagnosis))),
            Job::Run(_) => Outcome::Script(Err(TaskFailure::Failed(diagnosis))),
            Job::Verify(_) => Outcome::Verify(Err(TaskFailure::Failed(diagnosis))),
            Job::Audit(_) => Outcome::Audit(Err(TaskFailure::Failed(diagnosis))),
        }
    }
}

fn cancelled() -> Diagnosis {
    Diagnosis {
        cause: Cause::Cancelled,
        summary: "Cancelled before connecting.".into(),
        hint: "Start it again when ready.".into(),
        server_text: None,
    }
}

/// Complete `given` on a blocking thread; a secret nobody gave pauses the task with an
/// [`Event::SecretPrompt`] until the user answers (or the question is dropped).
async fn resolve_secrets(
    task: TaskId,
    profile: &Profile,
    given: Credentials,
    store: Arc<dyn SecretStore>,
    sink: &EventSink,
    tunnel_only: bool,
) -> Result<Credentials, Diagnosis> {
    let (profile, sink) = (profile.clone(), sink.clone());
    let work = tokio::task::spawn_blocking(move || {
        let ask_sink = sink.clone();
        let mut prompt = |request: &PromptRequest| {
            let (reply, rx) = SecretReply::new();
            ask_sink.send(Event::SecretPrompt { task, request: request.clone(), reply });
            rx.blocking_recv().ok().flatten()
        };
        let result = secrets::complete_credentials(
            &profile,
            given,
            store.as_ref(),
            &mut prompt,
            tunnel_only,
        );
        match result {
            Ok((credentials, notices)) => {
                for line in notices {
                    sink.send(Event::Log { task, line });
                }
                Ok(credentials)
            }
            Err(e) => Err(secrets::command_failure(&e)),
        }
    });
    work.await.unwrap_or_else(|e| {
        Err(Diagnosis {
            cause: Cause::Other,
            summary: "Looking up the secrets stopped unexpectedly.".into(),
            hint: "Try again; if it repeats, see the log.".into(),
            server_text: Some(e.to_string()),
        })
    })
}

/// The job itself, with every secret known.
async fn run_job(
    task: TaskId,
    profile: &Profile,
    credentials: &Credentials,
    tunnel: &TunnelOptions,
    job: Job,
    sink: &EventSink,
    cancel: &CancellationToken,
) -> Outcome {
    let step_sink = sink.clone();
    let on_step = move |step| step_sink.send(Event::Step { task, step });
    let progress_sink = sink.clone();
    let on_progress = move |progress| progress_sink.send(Event::Statement { task, progress });
    let target = Target { profile, credentials, tunnel };
    match job {
        Job::Test { tunnel_only } => Outcome::Test(Box::new(
            super::test_connection::run(
                profile,
                credentials,
                tunnel,
                tunnel_only,
                &on_step,
                cancel,
            )
            .await,
        )),
        Job::Discover => {
            Outcome::Discovery(provision::discover(target, &on_step, cancel).await.map(Box::new))
        }
        Job::Run(script) => Outcome::Script(
            provision::run_script(target, &script, &on_step, &on_progress, cancel).await,
        ),
        Job::Verify(plan) => {
            Outcome::Verify(provision::verify(target, &plan, &on_step, cancel).await.map(Box::new))
        }
        Job::Audit(request) => Outcome::Audit(
            super::audit::audit(target, &request, &on_step, cancel).await.map(Box::new),
        ),
    }
}
