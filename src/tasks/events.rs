//! The messages between the UI (or CLI) and the task runner: [`Command`] in, [`Event`] out.

use crate::net::connect::Password;
use shiftgate_core::profile::Profile;
use shiftgate_core::report::{Report, Step};
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// Staged connection test of a profile.
    TestConnection { task: TaskId, profile: Box<Profile>, password: Option<Password> },
    /// Stop a running task (client side at once; server side via the cancel protocol).
    Cancel(TaskId),
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never prints a password.
        match self {
            Command::TestConnection { task, profile, password } => f
                .debug_struct("TestConnection")
                .field("task", task)
                .field("profile", &profile.name)
                .field("password", &password.as_ref().map(|_| "<redacted>"))
                .finish(),
            Command::Cancel(t) => f.debug_tuple("Cancel").field(t).finish(),
        }
    }
}

impl Command {
    pub fn task(&self) -> TaskId {
        match self {
            Command::TestConnection { task, .. } => *task,
            Command::Cancel(t) => *t,
        }
    }
}

/// What a task reports.
#[derive(Debug, Clone)]
pub enum Event {
    Step { task: TaskId, step: Step },
    Log { task: TaskId, line: String },
    Finished { task: TaskId, outcome: Outcome },
}

impl Event {
    pub fn task(&self) -> TaskId {
        match self {
            Event::Step { task, .. } | Event::Log { task, .. } | Event::Finished { task, .. } => *task,
        }
    }
}

/// The final result of a task.
#[derive(Debug, Clone)]
pub enum Outcome {
    Test(Box<Report>),
}
