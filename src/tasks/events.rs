//! The messages between the UI (or CLI) and the task runner: [`Command`] in, [`Event`] out.

use super::audit::{AuditOutcome, AuditRequest};
use super::provision::{DiscoveryOutcome, ScriptRun, StatementProgress, TaskFailure};
use crate::net::credentials::Credentials;
use crate::net::ssh::HostKeyQuestion;
use crate::store::password_source::{PromptAnswer, PromptRequest};
use shiftgate_core::profile::Profile;
use shiftgate_core::report::{Report, Step};
use shiftgate_core::sql::{Script, SetupPlan, VerifyReport};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Identifies one run of a task; results carrying an older id are stale and dropped by the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub u64);

static NEXT_TASK: AtomicU64 = AtomicU64::new(1);

impl TaskId {
    pub fn next() -> TaskId {
        TaskId(NEXT_TASK.fetch_add(1, Ordering::Relaxed))
    }
}

/// Work the UI asks for.
pub enum Command {
    /// Staged connection test of a profile (through its SSH tunnel if enabled).
    TestConnection {
        task: TaskId,
        profile: Box<Profile>,
        credentials: Credentials,
    },
    /// Only the SSH tunnel: every hop, then a channel to the database host and port (closed at
    /// once; no TLS, no login). Finishes with `Outcome::Test`.
    TestTunnel {
        task: TaskId,
        profile: Box<Profile>,
        credentials: Credentials,
    },
    /// Stop a running task (client side at once; server side via the cancel protocol).
    /// Discovery as the admin profile (schemas, owners, users, groups, roles, RBAC).
    Discover {
        task: TaskId,
        profile: Box<Profile>,
        credentials: Credentials,
    },
    /// Run a reviewed script (setup, teardown, cleanup, verify fix) as the admin profile.
    RunScript {
        task: TaskId,
        profile: Box<Profile>,
        credentials: Credentials,
        script: Box<Script>,
    },
    /// Log in as the catalog user and check what it can see.
    Verify {
        task: TaskId,
        profile: Box<Profile>,
        credentials: Credentials,
        plan: Box<SetupPlan>,
    },
    /// As the admin profile: who can read and write what, and drift against applied plans.
    Audit {
        task: TaskId,
        profile: Box<Profile>,
        credentials: Credentials,
        request: Box<AuditRequest>,
    },
    Cancel(TaskId),
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never prints a password.
        match self {
            Command::TestConnection { task, profile, credentials } => f
                .debug_struct("TestConnection")
                .field("task", task)
                .field("profile", &profile.name)
                .field("credentials", credentials)
                .finish(),
            Command::TestTunnel { task, profile, credentials } => f
                .debug_struct("TestTunnel")
                .field("task", task)
                .field("profile", &profile.name)
                .field("credentials", credentials)
                .finish(),
            Command::Discover { task, profile, credentials } => f
                .debug_struct("Discover")
                .field("task", task)
                .field("profile", &profile.name)
                .field("credentials", credentials)
                .finish(),
            Command::RunScript { task, profile, credentials, script } => f
                .debug_struct("RunScript")
                .field("task", task)
                .field("profile", &profile.name)
                .field("credentials", credentials)
                .field("script", &script.title)
                .finish(),
            Command::Verify { task, profile, credentials, plan } => f
                .debug_struct("Verify")
                .field("task", task)
                .field("profile", &profile.name)
                .field("credentials", credentials)
                .field("user", &plan.user)
                .finish(),
            Command::Audit { task, profile, credentials, request } => f
                .debug_struct("Audit")
                .field("task", task)
                .field("profile", &profile.name)
                .field("credentials", credentials)
                .field("request", request)
                .finish(),
            Command::Cancel(t) => f.debug_tuple("Cancel").field(t).finish(),
        }
    }
}

impl Command {
    pub fn task(&self) -> TaskId {
        match self {
            Command::TestConnection { task, .. }
            | Command::TestTunnel { task, .. }
            | Command::Discover { task, .. }
            | Command::RunScript { task, .. }
            | Command::Verify { task, .. }
            | Command::Audit { task, .. } => *task,
            Command::Cancel(t) => *t,
        }
    }
}

/// What a task reports.
#[derive(Debug, Clone)]
pub enum Event {
    Step {
        task: TaskId,
        step: Step,
    },
    Log {
        task: TaskId,
        line: String,
    },
    /// Progress of one statement of a `RunScript` task.
    Statement {
        task: TaskId,
        progress: StatementProgress,
    },
    Finished {
        task: TaskId,
        outcome: Outcome,
    },
    /// The task is paused: an SSH hop presented a host key no known-hosts file holds (the
    /// question is the tunnel's own, with every field). Show type and fingerprint, then answer
    /// with `reply.answer(..)` (`true` = trust and remember in the app's known-hosts file).
    /// Dropping every copy of the event without answering counts as "no". The connect timeout
    /// is paused meanwhile.
    HostKeyPrompt {
        task: TaskId,
        question: HostKeyQuestion,
        reply: HostKeyReply,
    },
    /// The task is paused: it needs a secret (database password, SSH key passphrase or password)
    /// that no form field, password command or keychain item gave. Ask with `request.label`,
    /// then answer with `reply.answer(Some(..))`, or `None` to go on without it.
    SecretPrompt {
        task: TaskId,
        request: PromptRequest,
        reply: SecretReply,
    },
}

impl Event {
    pub fn task(&self) -> TaskId {
        match self {
            Event::Step { task, .. }
            | Event::Log { task, .. }
            | Event::Statement { task, .. }
            | Event::Finished { task, .. }
            | Event::HostKeyPrompt { task, .. }
            | Event::SecretPrompt { task, .. } => *task,
        }
    }
}

/// The answer slot of a question a paused task asks ([`Event::HostKeyPrompt`],
/// [`Event::SecretPrompt`]): cloneable (events are), answerable once. Dropping every copy
/// without answering counts as "no" / "nothing given".
pub struct Reply<T>(Arc<Mutex<Option<oneshot::Sender<T>>>>);

/// `true` = trust the host key and remember it.
pub type HostKeyReply = Reply<bool>;
/// The typed secret, or `None` when the user cancelled.
pub type SecretReply = Reply<Option<PromptAnswer>>;

impl<T> Clone for Reply<T> {
    fn clone(&self) -> Self {
        Reply(self.0.clone())
    }
}

impl<T> Reply<T> {
    /// A reply slot and the receiver the waiting task listens on.
    pub fn new() -> (Reply<T>, oneshot::Receiver<T>) {
        let (tx, rx) = oneshot::channel();
        (Reply(Arc::new(Mutex::new(Some(tx)))), rx)
    }

    /// Answer. Returns `false` if already answered or the task is gone.
    pub fn answer(&self, value: T) -> bool {
        let sender = self.0.lock().ok().and_then(|mut slot| slot.take());
        sender.is_some_and(|tx| tx.send(value).is_ok())
    }

    /// Whether an answer can still be given.
    pub fn is_pending(&self) -> bool {
        self.0.lock().map(|slot| slot.as_ref().is_some_and(|tx| !tx.is_closed())).unwrap_or(false)
    }
}

impl<T> std::fmt::Debug for Reply<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply").field("pending", &self.is_pending()).finish()
    }
}

/// The final result of a task.
#[derive(Debug, Clone)]
pub enum Outcome {
    Test(Box<Report>),
    Discovery(Result<Box<DiscoveryOutcome>, TaskFailure>),
    Script(Result<ScriptRun, TaskFailure>),
    Verify(Result<Box<VerifyReport>, TaskFailure>),
    Audit(Result<Box<AuditOutcome>, TaskFailure>),
}
