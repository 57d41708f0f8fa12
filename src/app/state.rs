//! The GUI's state, split in two: [`UiState`] survives a restart (eframe storage: panel sizes, the
//! last profile, the open results tab) and [`AppState`] lives only while the window is open (the
//! form being edited, the running test, the catalog-user tabs, the log, open dialogs).
//!
//! Everything here is plain data plus pure updates: no egui drawing, no store or network I/O. Task
//! events enter through [`AppState::apply`], which routes each to the tab whose current task it
//! belongs to and drops events of tasks that are no longer current anywhere.

use super::import_state::ImportLocation;
use super::provision_state::{AdminSession, AnyScriptPane, ScriptRunState, ScriptSlot, TaskOwner};
use super::setup_state::SetupState;
use super::teardown_state::TeardownState;
use super::verify_state::VerifyState;
use crate::net::connect::Password;
use crate::tasks::{Event, Outcome, TaskId};
use shiftgate_core::profile::ProfileId;
use shiftgate_core::report::StepStatus;

pub use super::dialogs::{ConfirmDialog, Dialog, PendingHostKey, SecretQuestion};
pub use super::form::{FormState, PasteResult, connection_settings_differ};
pub use super::profile_list::ProfileList;
pub use super::test_run::{TestRun, status_word};
pub use super::ui_state::{ResultsTab, UiState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Wall-clock time, `HH:MM:SS` UTC.
    pub time: String,
    pub level: LogLevel,
    pub text: String,
}

/// A one-line message in the status bar about the last action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    pub level: LogLevel,
    pub text: String,
}

/// Runtime state of the window.
#[derive(Default)]
pub struct AppState {
    pub ui: UiState,
    pub list: ProfileList,
    /// Incremented whenever the store changes (invalidates the list view).
    pub store_revision: u64,
    pub form: Option<FormState>,
    pub run: Option<TestRun>,
    pub log: Vec<LogLine>,
    pub dialog: Option<Dialog>,
    pub status: Option<StatusMessage>,
    /// Text of the paste box on the first-run screen.
    pub first_run_paste: String,
    /// The admin connection of the catalog-user tabs (set by Discover or the first admin run).
    pub admin: Option<AdminSession>,
    pub setup: SetupState,
    pub verify: VerifyState,
    pub teardown: TeardownState,
    pub audit: super::audit_state::AuditState,
    /// Unknown SSH host keys waiting for the user's answer (the first is shown).
    pub host_keys: Vec<PendingHostKey>,
    /// Secrets paused tasks wait for (the first is asked after any host key).
    pub secret_prompts: Vec<SecretQuestion>,
    /// Files in the default places (`~/.pgpass`, …) offered by "Import from".
    pub import_locations: Vec<ImportLocation>,
}

/// Upper bound on kept log lines; the oldest go first.
const MAX_LOG_LINES: usize = 5_000;

impl AppState {
    pub fn new(ui: UiState) -> AppState {
        AppState { ui, ..AppState::default() }
    }

    /// Id of the profile open in the form, if it has been saved.
    pub fn selected_id(&self) -> Option<&ProfileId> {
        self.form.as_ref().filter(|f| !f.is_new()).map(|f| &f.draft.id)
    }

    /// The last test result no longer matches the form: its connection settings were edited.
    pub fn run_is_stale(&self) -> bool {
        match (&self.run, &self.form) {
            (Some(run), Some(form)) if !run.running && run.tested.id == form.draft.id => {
                connection_settings_differ(&run.tested, &form.draft)
            }
            _ => false,
        }
    }

    pub fn test_running(&self) -> bool {
        self.run.as_ref().is_some_and(|r| r.running)
    }

    pub fn log(&mut self, level: LogLevel, text: impl Into<String>) {
        let time = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!("[hour]:[minute]:[second]"))
            .unwrap_or_default();
        self.log.push(LogLine { time, level, text: text.into() });
        if self.log.len() > MAX_LOG_LINES {
            let excess = self.log.len() - MAX_LOG_LINES;
            self.log.drain(..excess);
        }
    }

    /// Show `text` in the status bar and keep it in the log.
    pub fn tell(&mut self, level: LogLevel, text: impl Into<String>) {
        let text = text.into();
        self.log(level, text.clone());
        self.status = Some(StatusMessage { level, text });
    }

    /// Which tab's current task `task` is. Each tab tracks its own, so a verify run does not make
    /// the setup run's events stale.
    pub fn owner_of(&self, task: TaskId) -> Option<TaskOwner> {
        if self.run.as_ref().is_some_and(|r| r.task == task) {
            return Some(TaskOwner::Test);
        }
        if self.setup.discovering.as_ref().is_some_and(|p| p.task == task) {
            return Some(TaskOwner::Discover);
        }
        if self.verify.pending.as_ref().is_some_and(|p| p.task == task) {
            return Some(TaskOwner::Verify);
        }
        if let Some(i) = self
            .teardown
            .others
            .iter()
            .position(|o| o.discovering.as_ref().is_some_and(|p| p.task == task))
        {
            return Some(TaskOwner::OtherDatabase(i));
        }
        self.script_slots()
            .find(|&slot| self.script_run(slot).and_then(ScriptRunState::task) == Some(task))
            .map(TaskOwner::Script)
    }

    /// Every script slot there is now (one per other database on the Teardown tab).
    pub fn script_slots(&self) -> impl Iterator<Item = ScriptSlot> + use<> {
        [ScriptSlot::Setup, ScriptSlot::VerifyFix, ScriptSlot::Teardown, ScriptSlot::Cleanup]
            .into_iter()
            .chain((0..self.teardown.others.len()).map(ScriptSlot::OtherDatabase))
    }

    /// The script pane of a slot (None: an other database that is no longer listed).
    pub fn pane(&self, slot: ScriptSlot) -> Option<&dyn AnyScriptPane> {
        let pane: &dyn AnyScriptPane = match slot {
            ScriptSlot::Setup => &self.setup.pane,
            ScriptSlot::VerifyFix => &self.verify.fix,
            ScriptSlot::Teardown => &self.teardown.pane,
            ScriptSlot::Cleanup => &self.teardown.cleanup_pane,
            ScriptSlot::OtherDatabase(i) => &self.teardown.others.get(i)?.pane,
        };
        Some(pane)
    }

    pub fn pane_mut(&mut self, slot: ScriptSlot) -> Option<&mut dyn AnyScriptPane> {
        let pane: &mut dyn AnyScriptPane = match slot {
            ScriptSlot::Setup => &mut self.setup.pane,
            ScriptSlot::VerifyFix => &mut self.verify.fix,
            ScriptSlot::Teardown => &mut self.teardown.pane,
            ScriptSlot::Cleanup => &mut self.teardown.cleanup_pane,
            ScriptSlot::OtherDatabase(i) => &mut self.teardown.others.get_mut(i)?.pane,
        };
        Some(pane)
    }

    /// The last run of a script (running or finished).
    pub fn script_run(&self, slot: ScriptSlot) -> Option<&ScriptRunState> {
        self.pane(slot)?.run()
    }

    pub fn script_run_mut(&mut self, slot: ScriptSlot) -> Option<&mut Option<ScriptRunState>> {
        Some(self.pane_mut(slot)?.run_mut())
    }

    /// The running provisioning task of `owner` (None for the connection test, which has its own).
    pub fn pending_mut(
        &mut self,
        owner: TaskOwner,
    ) -> Option<&mut super::provision_state::Pending> {
        match owner {
            TaskOwner::Test => None,
            TaskOwner::Discover => self.setup.discovering.as_mut(),
            TaskOwner::Verify => self.verify.pending.as_mut(),
            TaskOwner::OtherDatabase(i) => self.teardown.others.get_mut(i)?.discovering.as_mut(),
            TaskOwner::Script(slot) => self.script_run_mut(slot)?.as_mut()?.pending.as_mut(),
        }
    }

    /// Fold one task event into the state. Events of a task that is not current in any tab are
    /// stale and dropped (a dropped host-key question counts as "refuse"); returns whether the
    /// event was used.
    pub fn apply(&mut self, event: Event) -> bool {
        let Some(owner) = self.owner_of(event.task()) else {
            tracing::debug!(task = ?event.task(), "dropping event of a stale task");
            return false;
        };
        match event {
            Event::Step { step, .. } => {
                if step.status.is_final() {
                    let detail = if step.detail.is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", step.detail)
                    };
                    let level = match step.status {
                        StepStatus::Failed => LogLevel::Error,
                        StepStatus::Warning => LogLevel::Warn,
                        _ => LogLevel::Info,
                    };
                    self.log(
                        level,
                        format!(
                            "  {}: {} in {} ms{detail}",
                            step.kind.label(),
                            status_word(step.status),
                            step.elapsed_ms
                        ),
                    );
                }
                match owner {
                    TaskOwner::Test => {
                        if let Some(run) = self.run.as_mut() {
                            run.report.upsert_step(step);
                        }
                    }
                    other => {
                        if let Some(pending) = self.pending_mut(other) {
                            pending.step = Some(step);
                        }
                    }
                }
            }
            Event::Log { line, .. } => self.log(LogLevel::Info, line),
            Event::Statement { progress, .. } => {
                let TaskOwner::Script(slot) = owner else { return false };
                if let Some(run) = self.script_run_mut(slot).and_then(Option::as_mut) {
                    run.on_statement(progress);
                }
            }
            Event::Finished { task, outcome } => {
                self.host_keys.retain(|q| q.task != task);
                self.secret_prompts.retain(|q| q.task != task);
                return self.finish(owner, outcome);
            }
            prompt @ (Event::HostKeyPrompt { .. } | Event::SecretPrompt { .. }) => {
                self.ask_user(prompt)
            }
        }
        true
    }

    /// Queue the question of an `Event::HostKeyPrompt` or `Event::SecretPrompt` (of any tab's
    /// task) for the user.
    pub fn ask_user(&mut self, event: Event) {
        match event {
            Event::HostKeyPrompt { task, question: q, reply } => {
                self.log(
                    LogLevel::Warn,
                    format!(
                        "SSH host {}:{} presented an unknown {} key {}; asking whether to trust it",
                        q.host, q.port, q.key_type, q.fingerprint_sha256
                    ),
                );
                self.host_keys.push(PendingHostKey { task, question: q, reply });
            }
            Event::SecretPrompt { task, request, reply } => {
                self.log(LogLevel::Info, format!("Asking: {}", request.label));
                let remember = request.offer_remember;
                self.secret_prompts.push(SecretQuestion {
                    task,
                    request,
                    typed: Password::new(String::new()),
                    remember,
                    reply,
                });
            }
            _ => {}
        }
    }

    /// A task of `owner` finished with `outcome`.
    fn finish(&mut self, owner: TaskOwner, outcome: Outcome) -> bool {
        match (owner, outcome) {
            (TaskOwner::Test, Outcome::Test(report)) => {
                let summary = match &report.diagnosis {
                    Some(d) => format!("Test of {} failed: {}", report.target, d.summary),
                    None if report.succeeded() => {
                        format!("Test of {} succeeded in {} ms", report.target, report.total_ms)
                    }
                    None => format!("Test of {} ended without success", report.target),
                };
                let level = if report.succeeded() { LogLevel::Info } else { LogLevel::Warn };
                if let Some(run) = self.run.as_mut() {
                    run.report = *report;
                    run.running = false;
                }
                self.log(level, summary);
            }
            (TaskOwner::Discover, Outcome::Discovery(result)) => {
                let (level, line) = match &result {
                    Ok(found) => (
                        LogLevel::Info,
                        format!(
                            "Discovered {} schemas on {} as {}",
                            found.discovery.schemas.len(),
                            found.server.product_line(),
                            self.setup.admin_name
                        ),
                    ),
                    Err(failure) => (
                        LogLevel::Warn,
                        format!(
                            "Discovery as {} failed: {}",
                            self.setup.admin_name,
                            failure.summary()
                        ),
                    ),
                };
                // A refused login must not be replayed by the next "Run as admin".
                if matches!(result, Err(crate::tasks::provision::TaskFailure::Connect(_))) {
                    self.admin = None;
                }
                self.setup.discovered(result);
                self.log(level, line);
            }
            (TaskOwner::Verify, Outcome::Verify(result)) => {
                self.verify.finish(result);
                let user =
                    self.verify.checked_plan.as_ref().map(|p| p.user.clone()).unwrap_or_default();
                let level = match &self.verify.result {
                    Some(Ok(report)) if report.passed() => LogLevel::Info,
                    _ => LogLevel::Warn,
                };
                let line = self.verify.summary(&user);
                self.log(level, line);
            }
            (TaskOwner::OtherDatabase(i), Outcome::Discovery(result)) => {
                let Some(other) = self.teardown.others.get_mut(i) else { return false };
                other.discovering = None;
                let (level, line) = match &result {
                    Ok(_) => {
                        (LogLevel::Info, format!("Read the live privileges in {}", other.name))
                    }
                    Err(f) => {
                        (LogLevel::Warn, format!("Reading {} failed: {}", other.name, f.summary()))
                    }
                };
                other.live = Some(result.map(|found| found.discovery.existing_state()));
                self.log(level, line);
            }
            (TaskOwner::Script(slot), Outcome::Script(result)) => {
                let Some(run) = self.script_run_mut(slot).and_then(Option::as_mut) else {
                    return false;
                };
                run.finish(result);
                let level = if run.succeeded() { LogLevel::Info } else { LogLevel::Warn };
                let line = run.summary();
                self.log(level, line);
            }
            (owner, outcome) => {
                tracing::warn!(?owner, ?outcome, "outcome does not match the task that owns it");
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftgate_core::profile::{Engine, Profile};
    use shiftgate_core::report::{Report, Step, StepKind};

    fn step(status: StepStatus) -> Step {
        Step { kind: StepKind::Tcp, status, elapsed_ms: 1, detail: String::new() }
    }

    #[test]
    fn stale_task_events_are_dropped() {
        let mut s = AppState::default();
        let old = TaskId(1);
        let new = TaskId(2);
        s.run = Some(TestRun::start(new, Profile::new(Engine::Postgres)));
        assert!(!s.apply(Event::Step { task: old, step: step(StepStatus::Running) }));
        assert!(s.apply(Event::Step { task: new, step: step(StepStatus::Ok) }));
        let run = s.run.as_ref().unwrap();
        assert_eq!(run.report.steps.len(), 1);
        assert_eq!(run.report.steps[0].status, StepStatus::Ok);
    }

    #[test]
    fn finished_stops_running_and_logs() {
        let mut s = AppState {
            run: Some(TestRun::start(TaskId(7), Profile::new(Engine::Postgres))),
            ..AppState::default()
        };
        let report = Report { steps: vec![step(StepStatus::Ok)], total_ms: 3, ..Report::default() };
        s.apply(Event::Finished { task: TaskId(7), outcome: Outcome::Test(Box::new(report)) });
        assert!(!s.test_running());
        assert!(s.log.last().unwrap().text.contains("succeeded"));
    }

    #[test]
    fn events_go_to_the_tab_that_owns_the_task() {
        use crate::app::provision_state::Pending;
        use crate::tasks::events::HostKeyReply;
        use crate::tasks::provision::{ScriptRun, StatementProgress, TaskFailure};
        let mut s = AppState::default();
        s.setup.pane.run = Some(ScriptRunState::start(
            TaskId(10),
            &shiftgate_core::sql::Script::default(),
            "admin".into(),
        ));
        s.verify.pending = Some(Pending::new(TaskId(11)));
        let progress = StatementProgress {
            index: 0,
            total: 1,
            shown_sql: "GRANT …".into(),
            status: StepStatus::Ok,
            elapsed_ms: 1,
            error: None,
        };
        assert!(s.apply(Event::Statement { task: TaskId(10), progress: progress.clone() }));
        assert!(
            !s.apply(Event::Statement { task: TaskId(9), progress }),
            "a task no tab owns is stale"
        );
        // Verify finishing leaves the setup run alone.
        assert!(s.apply(Event::Finished {
            task: TaskId(11),
            outcome: Outcome::Verify(Err(TaskFailure::Cancelled))
        }));
        assert!(s.verify.pending.is_none());
        assert!(s.setup.pane.run.as_ref().is_some_and(ScriptRunState::running));

        let question = |task, reply| Event::HostKeyPrompt {
            task,
            question: crate::net::ssh::HostKeyQuestion {
                hop: 0,
                host: "bastion".into(),
                port: 22,
                key_type: "ssh-ed25519".into(),
                fingerprint_sha256: "SHA256:abc".into(),
                other_types: Vec::new(),
                problems: Vec::new(),
            },
            reply,
        };
        let (reply, _rx) = HostKeyReply::new();
        assert!(s.apply(question(TaskId(10), reply)));
        assert_eq!(s.host_keys.len(), 1);
        let (stale, mut stale_rx) = HostKeyReply::new();
        assert!(!s.apply(question(TaskId(3), stale)));
        assert!(stale_rx.try_recv().is_err(), "a dropped question is a refusal, never an accept");

        let run = ScriptRun {
            executed: 1,
            total: 1,
            failed: None,
            rolled_back: false,
            cancelled: false,
            elapsed_ms: 5,
        };
        assert!(s.apply(Event::Finished { task: TaskId(10), outcome: Outcome::Script(Ok(run)) }));
        assert!(s.setup.pane.run.as_ref().is_some_and(ScriptRunState::succeeded));
        assert!(s.host_keys.is_empty(), "a finished task's question is gone");
    }
}
