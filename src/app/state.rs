//! The GUI's state, split in two: [`UiState`] survives a restart (eframe storage: panel sizes, the
//! last profile, the open results tab) and [`AppState`] lives only while the window is open (the
//! form being edited, the running test, the catalog-user tabs, the log, open dialogs).
//!
//! Everything here is plain data plus pure updates: no egui drawing, no store or network I/O. Task
//! events enter through [`AppState::apply`], which routes each to the tab whose current task it
//! belongs to and drops events of tasks that are no longer current anywhere.

use super::import_state::{ImportLocation, ImportPreview};
use super::profile_search::SearchIndex;
use super::provision_state::{
    AdminSession, HostKeyQuestion, ScriptRunState, ScriptSlot, TaskOwner, TeardownState,
    VerifyState,
};
use super::setup_state::SetupState;
use super::ssh_form::SshForm;
use crate::net::connect::Password;
use crate::store::password_source::PromptRequest;
use crate::tasks::events::SecretReply;
use crate::tasks::{Event, Outcome, TaskId};
use serde::{Deserialize, Serialize};
use shiftgate_core::endpoint::parse_pasted;
use shiftgate_core::profile::{Profile, ProfileId};
use shiftgate_core::report::{Report, StepStatus};
use std::path::PathBuf;

use super::command::UiCommand;

/// Which tab the results area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ResultsTab {
    #[default]
    TestReport,
    Log,
    Setup,
    Verify,
    Teardown,
}

impl ResultsTab {
    pub const ALL: [ResultsTab; 5] = [
        ResultsTab::TestReport,
        ResultsTab::Log,
        ResultsTab::Setup,
        ResultsTab::Verify,
        ResultsTab::Teardown,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ResultsTab::TestReport => "Test report",
            ResultsTab::Log => "Log",
            ResultsTab::Setup => "Setup",
            ResultsTab::Verify => "Verify",
            ResultsTab::Teardown => "Teardown",
        }
    }

    /// The catalog-user tabs: they are forms, so they open taller (with their own remembered height).
    pub fn is_workflow(self) -> bool {
        matches!(self, ResultsTab::Setup | ResultsTab::Verify | ResultsTab::Teardown)
    }
}

/// What survives a restart. Profiles are NOT here (they live in the profile store); this is only
/// disposable layout state, so a decode failure just means defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UiState {
    /// Width of the profiles panel, in points.
    pub profiles_width: f32,
    /// Height of the results panel, in points.
    pub results_height: f32,
    /// Height of the results panel while a Setup / Verify / Teardown tab is open.
    pub workflow_height: f32,
    /// The profile open when the app last closed.
    pub last_profile: Option<ProfileId>,
    pub results_tab: ResultsTab,
}

impl Default for UiState {
    fn default() -> Self {
        UiState {
            profiles_width: 260.0,
            results_height: 260.0,
            workflow_height: 560.0,
            last_profile: None,
            results_tab: ResultsTab::TestReport,
        }
    }
}

impl UiState {
    /// Key under which the state is kept in eframe storage.
    pub const STORAGE_KEY: &'static str = eframe::APP_KEY;

    pub fn load(storage: Option<&dyn eframe::Storage>) -> UiState {
        let mut state: UiState =
            storage.and_then(|s| eframe::get_value(s, Self::STORAGE_KEY)).unwrap_or_default();
        // A hand-edited or corrupted size must not make a panel vanish or swallow the window.
        let defaults = UiState::default();
        if !(180.0..=640.0).contains(&state.profiles_width) {
            state.profiles_width = defaults.profiles_width;
        }
        if !(100.0..=900.0).contains(&state.results_height) {
            state.results_height = defaults.results_height;
        }
        if !(200.0..=1400.0).contains(&state.workflow_height) {
            state.workflow_height = defaults.workflow_height;
        }
        state
    }

    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, Self::STORAGE_KEY, self);
    }
}

/// Search text plus the filtered, sorted view of the store it produces. The view is recomputed only
/// when the search or the store changes, from a lowercase index built once per store revision
/// (narrowing the previous view while the search only grows), so 10,000 profiles stay instant.
#[derive(Debug, Default)]
pub struct ProfileList {
    pub search: String,
    index: SearchIndex,
    /// The needle [`Self::visible`] was filtered for (`None`: not yet filtered).
    filtered_for: Option<String>,
    /// Indices into the store's profile slice, sorted by display name (valid after `refresh`).
    pub visible: Vec<usize>,
    /// Row to bring into view on the next frame (set by keyboard navigation).
    pub scroll_to: Option<usize>,
    /// Scroll offset and viewport height of the list in the last frame.
    pub last_offset: f32,
    pub last_view_height: f32,
    /// A row had keyboard focus in the last frame.
    pub rows_focused: bool,
}

impl ProfileList {
    /// Recompute [`Self::visible`] if the search or the store (`revision`) changed. Matches name,
    /// host, database, user and engine, case-insensitively.
    pub fn refresh(&mut self, profiles: &[Profile], revision: u64) {
        let rebuilt = self.index.update(profiles, revision);
        let needle = self.search.trim().to_lowercase();
        let previous = if rebuilt { None } else { self.filtered_for.as_deref() };
        if previous == Some(needle.as_str()) {
            return;
        }
        // Every match of a longer needle matched the shorter one it contains.
        let narrow = previous.is_some_and(|p| needle.contains(p));
        self.visible = self.index.filter(&needle, narrow.then_some(self.visible.as_slice()));
        self.filtered_for = Some(needle);
    }
}

/// Outcome of the last paste into the paste box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasteResult {
    Applied { format: String, recognised: Vec<String>, ignored: Vec<String> },
    Failed(String),
}

/// The profile being edited: a draft, the saved version it started from, and text buffers for the
/// fields that are numbers or optional in the model (so half-typed input is not lost).
pub struct FormState {
    pub draft: Profile,
    /// The stored version; `None` for a profile that has never been saved.
    pub saved: Option<Profile>,
    pub port_text: String,
    pub timeout_text: String,
    pub ca_text: String,
    pub app_name_text: String,
    /// Typed or pasted password, not yet stored. Never written to the profile.
    pub password: Password,
    pub password_edited: bool,
    /// The secret store already holds a password for this profile.
    pub password_saved: bool,
    pub show_password: bool,
    pub paste_text: String,
    pub paste_result: Option<PasteResult>,
    pub save_error: Option<String>,
    /// The SSH section: method, hop buffers, typed SSH secrets, alias preview.
    pub ssh: SshForm,
    /// The authentication section's text buffers (IAM duration and groups).
    pub auth: super::auth_form::AuthForm,
}

impl FormState {
    pub fn new_draft(profile: Profile) -> FormState {
        let mut f = FormState::blank(profile);
        f.saved = None;
        f
    }

    pub fn for_saved(profile: Profile, password_saved: bool) -> FormState {
        let mut f = FormState::blank(profile.clone());
        f.saved = Some(profile);
        f.password_saved = password_saved;
        f
    }

    fn blank(draft: Profile) -> FormState {
        let mut f = FormState {
            draft,
            saved: None,
            port_text: String::new(),
            timeout_text: String::new(),
            ca_text: String::new(),
            app_name_text: String::new(),
            password: Password::new(String::new()),
            password_edited: false,
            password_saved: false,
            show_password: false,
            paste_text: String::new(),
            paste_result: None,
            save_error: None,
            ssh: SshForm::default(),
            auth: Default::default(),
        };
        f.sync_texts_from_draft();
        f
    }

    /// Unsaved changes: a new profile, an edited field, or a typed password.
    pub fn is_dirty(&self) -> bool {
        self.saved.as_ref() != Some(&self.draft)
            || self.password_edited
            || self.ssh.typed.values().any(|s| !s.is_empty())
    }

    pub fn is_new(&self) -> bool {
        self.saved.is_none()
    }

    /// Refresh the text buffers after the draft changed in code (engine switch, paste, revert).
    pub fn sync_texts_from_draft(&mut self) {
        self.port_text = self.draft.port.to_string();
        self.timeout_text = self.draft.connect_timeout_secs.to_string();
        self.ca_text =
            self.draft.ca_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
        self.app_name_text = self.draft.application_name.clone().unwrap_or_default();
        self.ssh.sync_from(&self.draft);
        self.auth.sync_from(&self.draft);
    }

    /// Port text → draft (0, which validation reports, when it is not a port number).
    pub fn port_text_changed(&mut self) {
        self.draft.port = self.port_text.trim().parse().unwrap_or(0);
    }

    pub fn timeout_text_changed(&mut self) {
        self.draft.connect_timeout_secs = self.timeout_text.trim().parse().unwrap_or(0);
    }

    pub fn ca_text_changed(&mut self) {
        self.draft.ca_file = if self.ca_text.trim().is_empty() {
            None
        } else {
            Some(PathBuf::from(self.ca_text.trim()))
        };
    }

    pub fn app_name_text_changed(&mut self) {
        self.draft.application_name =
            if self.app_name_text.is_empty() { None } else { Some(self.app_name_text.clone()) };
    }

    pub fn set_ca_file(&mut self, path: PathBuf) {
        self.draft.ca_file = Some(path);
        self.sync_texts_from_draft();
    }

    /// Parse the paste box and fill the fields it names. A pasted password goes to the password
    /// field (memory), never into the profile.
    pub fn apply_paste(&mut self) {
        self.paste_result = Some(match parse_pasted(&self.paste_text) {
            Ok(parsed) => {
                parsed.apply_to(&mut self.draft);
                if self.draft.name.trim().is_empty()
                    && let Some(name) = parsed.suggested_name()
                {
                    self.draft.name = name;
                }
                if let Some(pw) = &parsed.password {
                    self.password = Password::new(pw.clone());
                    self.password_edited = true;
                }
                self.sync_texts_from_draft();
                let mut recognised = parsed.recognised.clone();
                if parsed.password.is_some() {
                    recognised.push(
                        "password: kept in memory (saved to the secret store on Save)".into(),
                    );
                }
                PasteResult::Applied {
                    format: parsed.format.label().to_string(),
                    recognised,
                    ignored: parsed.ignored.clone(),
                }
            }
            Err(e) => PasteResult::Failed(e.to_string()),
        });
    }

    /// Back to the saved version (a new profile goes back to its defaults).
    pub fn revert(&mut self) {
        if let Some(saved) = &self.saved {
            self.draft = saved.clone();
        } else {
            let id = self.draft.id.clone();
            self.draft = Profile::new(self.draft.engine);
            self.draft.id = id;
        }
        self.password = Password::new(String::new());
        self.password_edited = false;
        self.ssh.typed.clear();
        self.save_error = None;
        self.sync_texts_from_draft();
    }
}

/// The settings that decide how a connection is made. A result is stale when any of them changed.
pub fn connection_settings_differ(a: &Profile, b: &Profile) -> bool {
    a.engine != b.engine
        || a.host != b.host
        || a.port != b.port
        || a.database != b.database
        || a.user != b.user
        || a.sslmode != b.sslmode
        || a.ca_file != b.ca_file
        || a.connect_timeout_secs != b.connect_timeout_secs
        || a.application_name != b.application_name
        || a.password_command != b.password_command
        || a.ssh != b.ssh
        || a.auth != b.auth
}

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

/// A question the user must answer before something happens.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmDialog {
    pub title: String,
    pub message: String,
    pub confirm_label: String,
    /// Run when the user confirms.
    pub on_confirm: UiCommand,
}

/// A paused task asks for a secret (see `Event::SecretPrompt`); the dialog shows the first one.
pub struct SecretQuestion {
    pub task: TaskId,
    pub request: PromptRequest,
    /// What the user typed so far.
    pub typed: Password,
    /// "Remember in the keychain" (offered only when the secret's mode is keychain).
    pub remember: bool,
    pub reply: SecretReply,
}

pub enum Dialog {
    Confirm(ConfirmDialog),
    /// What importing a file would do, with a tick per profile.
    Import(Box<ImportPreview>),
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
    pub host_keys: Vec<HostKeyQuestion>,
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
        [ScriptSlot::Setup, ScriptSlot::VerifyFix, ScriptSlot::Teardown, ScriptSlot::Cleanup]
            .into_iter()
            .find(|&slot| self.script_run(slot).and_then(ScriptRunState::task) == Some(task))
            .map(TaskOwner::Script)
    }

    /// The last run of a script (running or finished).
    pub fn script_run(&self, slot: ScriptSlot) -> Option<&ScriptRunState> {
        match slot {
            ScriptSlot::Setup => self.setup.run.as_ref(),
            ScriptSlot::VerifyFix => self.verify.fix_run.as_ref(),
            ScriptSlot::Teardown => self.teardown.run.as_ref(),
            ScriptSlot::Cleanup => self.teardown.cleanup_run.as_ref(),
        }
    }

    pub fn script_run_mut(&mut self, slot: ScriptSlot) -> &mut Option<ScriptRunState> {
        match slot {
            ScriptSlot::Setup => &mut self.setup.run,
            ScriptSlot::VerifyFix => &mut self.verify.fix_run,
            ScriptSlot::Teardown => &mut self.teardown.run,
            ScriptSlot::Cleanup => &mut self.teardown.cleanup_run,
        }
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
            TaskOwner::Script(slot) => {
                self.script_run_mut(slot).as_mut().and_then(|r| r.pending.as_mut())
            }
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
                if let Some(run) = self.script_run_mut(slot).as_mut() {
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
                self.host_keys.push(HostKeyQuestion { task, question: q, reply });
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
            (TaskOwner::Script(slot), Outcome::Script(result)) => {
                let Some(run) = self.script_run_mut(slot).as_mut() else { return false };
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
    use shiftgate_core::profile::Engine;
    use shiftgate_core::report::{Step, StepKind};

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
        s.setup.run = Some(ScriptRunState::start(
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
        assert!(s.setup.run.as_ref().is_some_and(ScriptRunState::running));

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
        assert!(s.setup.run.as_ref().is_some_and(ScriptRunState::succeeded));
        assert!(s.host_keys.is_empty(), "a finished task's question is gone");
    }

    #[test]
    fn form_text_buffers_follow_engine_switch() {
        let mut f = FormState::new_draft(Profile::new(Engine::Redshift));
        f.port_text = "6543".into();
        f.port_text_changed();
        f.draft.set_engine(Engine::Postgres);
        f.sync_texts_from_draft();
        assert_eq!(f.port_text, "6543");
        f.port_text = "nope".into();
        f.port_text_changed();
        assert_eq!(f.draft.port, 0);
    }

    #[test]
    fn search_filters_and_sorts() {
        let mut a = Profile::new(Engine::Redshift);
        a.name = "zeta".into();
        let mut b = Profile::new(Engine::Postgres);
        b.name = "Alpha".into();
        b.host = "db.example.com".into();
        let profiles = vec![a, b];
        let mut list = ProfileList::default();
        list.refresh(&profiles, 0);
        assert_eq!(list.visible, vec![1, 0]);
        list.search = "EXAMPLE".into();
        list.refresh(&profiles, 0);
        assert_eq!(list.visible, vec![1]);
    }

    #[test]
    fn ui_state_tolerates_missing_fields() {
        let s: UiState = serde_json::from_str(r#"{"profiles_width": 300.0}"#).unwrap();
        assert_eq!(s.profiles_width, 300.0);
        assert_eq!(s.results_tab, ResultsTab::TestReport);
    }
}
