//! The Test report tab's state: the last connection test, running or finished.

use crate::tasks::TaskId;
use shiftgate_core::profile::Profile;
use shiftgate_core::report::{Report, StepStatus};

/// A step status in words (logs and screen readers; the report draws icons).
pub fn status_word(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Running => "running",
        StepStatus::Ok => "OK",
        StepStatus::Warning => "warning",
        StepStatus::Failed => "failed",
        StepStatus::Skipped => "skipped",
        StepStatus::Cancelled => "cancelled",
    }
}

/// The last connection test (running or finished).
pub struct TestRun {
    pub task: TaskId,
    /// The profile as it was when the test started.
    pub tested: Profile,
    pub report: Report,
    pub running: bool,
    pub cancel_requested: bool,
}

impl TestRun {
    pub fn start(task: TaskId, tested: Profile) -> TestRun {
        let report = Report {
            target: format!("{}:{}/{}", tested.host, tested.port, tested.database),
            sslmode: tested.sslmode.to_string(),
            ..Report::default()
        };
        TestRun { task, tested, report, running: true, cancel_requested: false }
    }
}
