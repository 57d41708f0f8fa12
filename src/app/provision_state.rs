//! Runtime state shared by the catalog-user tabs: the admin session, running tasks, and the
//! [`ScriptPane`] every script slot is (generated script, review, run with its statement
//! progress). Each tab's own state is in `setup_state`, `verify_state` and `teardown_state`.
//!
//! Plain data plus pure updates, like [`super::state`]: no drawing, no store or network I/O, never
//! serialised (it holds passwords in memory only).

use crate::net::connect::Password;
use crate::tasks::TaskId;
use crate::tasks::provision::{ScriptRun, StatementProgress, TaskFailure};
use shiftgate_core::profile::{Engine, Profile};
use shiftgate_core::report::{Step, StepStatus};
use shiftgate_core::sql::{Access, Dialect, PlanError, SchemaGrant, SchemaKind, Script, SetupPlan};

pub use super::teardown_state::{
    CleanupForm, CleanupKey, OtherDatabase, TeardownKey, TeardownMode, TeardownState,
};
pub use super::verify_state::{VerifyState, VerifyTarget};

/// Which generated script a review, a copy or a run is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScriptSlot {
    Setup,
    VerifyFix,
    Teardown,
    Cleanup,
    /// The revoke script of the Teardown tab's other database `i`.
    OtherDatabase(usize),
}

impl ScriptSlot {
    /// What the script is, for messages ("setup script copied").
    pub fn noun(self) -> &'static str {
        match self {
            ScriptSlot::Setup => "setup script",
            ScriptSlot::VerifyFix => "fix script",
            ScriptSlot::Teardown => "teardown script",
            ScriptSlot::Cleanup => "cleanup script",
            ScriptSlot::OtherDatabase(_) => "revoke script",
        }
    }

    /// Suggested file name for "Save as .sql…".
    pub fn file_name(self) -> &'static str {
        match self {
            ScriptSlot::Setup => "shiftgate-setup.sql",
            ScriptSlot::VerifyFix => "shiftgate-fix.sql",
            ScriptSlot::Teardown => "shiftgate-teardown.sql",
            ScriptSlot::Cleanup => "shiftgate-cleanup-vendor.sql",
            ScriptSlot::OtherDatabase(_) => "shiftgate-teardown-revoke.sql",
        }
    }
}

/// Which part of the state a running task reports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskOwner {
    Test,
    Discover,
    Verify,
    /// Reading the live state of the Teardown tab's other database `i`.
    OtherDatabase(usize),
    Script(ScriptSlot),
}

/// The admin connection used for discovery and for running scripts, with the password it was
/// opened with (memory only, so an "ask every time" profile is asked once per session).
pub struct AdminSession {
    pub profile: Profile,
    pub password: Option<Password>,
}

/// A task that has been started and not finished.
#[derive(Debug, Clone)]
pub struct Pending {
    pub task: TaskId,
    pub cancel_requested: bool,
    /// The latest connection step (shown while no other progress exists).
    pub step: Option<Step>,
}

impl Pending {
    pub fn new(task: TaskId) -> Pending {
        Pending { task, cancel_requested: false, step: None }
    }

    /// "TLS handshake: running" — what the connection is doing now.
    pub fn step_text(&self) -> Option<String> {
        let step = self.step.as_ref()?;
        let word = super::state::status_word(step.status);
        Some(if step.detail.is_empty() {
            format!("{}: {word}", step.kind.label())
        } else {
            format!("{}: {word} — {}", step.kind.label(), step.detail)
        })
    }
}

/// A generated script with its text rendered once: masked, and revealed when it has a secret.
pub struct ReviewedScript {
    pub script: Script,
    masked: String,
    revealed: Option<Password>,
}

impl ReviewedScript {
    pub fn new(script: Script) -> ReviewedScript {
        let masked = script.render(false);
        let revealed = script.has_secrets().then(|| Password::new(script.render(true)));
        ReviewedScript { script, masked, revealed }
    }

    /// The text as shown: passwords masked unless `reveal`.
    pub fn text(&self, reveal: bool) -> &str {
        match (&self.revealed, reveal) {
            (Some(text), true) => text.as_str(),
            _ => &self.masked,
        }
    }

    pub fn has_secrets(&self) -> bool {
        self.revealed.is_some()
    }

    pub fn statement_count(&self) -> usize {
        self.script.statements().count()
    }
}

/// The reviewer's choices for one script. `reviewed` is cleared whenever the script changes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReviewState {
    pub reveal: bool,
    pub reviewed: bool,
}

/// A script regenerated only when its inputs (`K`) change.
pub struct ScriptCache<K> {
    key: Option<K>,
    pub result: Option<Result<ReviewedScript, Vec<PlanError>>>,
}

impl<K> Default for ScriptCache<K> {
    fn default() -> Self {
        ScriptCache { key: None, result: None }
    }
}

impl<K: PartialEq> ScriptCache<K> {
    /// Regenerate with `make` if `key` differs from last time; returns whether it did.
    pub fn refresh(
        &mut self,
        key: K,
        make: impl FnOnce(&K) -> Result<Script, Vec<PlanError>>,
    ) -> bool {
        if self.key.as_ref() == Some(&key) {
            return false;
        }
        self.result = Some(make(&key).map(ReviewedScript::new));
        self.key = Some(key);
        true
    }
}

impl<K> ScriptCache<K> {
    /// Forget the script (no inputs).
    pub fn clear(&mut self) {
        self.key = None;
        self.result = None;
    }

    /// Hold `script` as it is (a script that is given, not generated from inputs).
    pub fn set(&mut self, script: Option<Script>) {
        self.key = None;
        self.result = script.map(|s| Ok(ReviewedScript::new(s)));
    }

    pub fn script(&self) -> Option<&ReviewedScript> {
        self.result.as_ref().and_then(|r| r.as_ref().ok())
    }

    /// The inputs the current script was generated from.
    pub fn key(&self) -> Option<&K> {
        self.key.as_ref()
    }

    pub fn errors(&self) -> &[PlanError] {
        match &self.result {
            Some(Err(errors)) => errors,
            _ => &[],
        }
    }
}

/// One script slot of a tab (setup, verify fix, teardown, vendor cleanup, converge): the script
/// (regenerated only when its inputs `K` change), the reviewer's choices, and its last run.
pub struct ScriptPane<K = ()> {
    pub script: ScriptCache<K>,
    /// Cleared whenever the script changes: a new script must be reviewed again.
    pub review: ReviewState,
    pub run: Option<ScriptRunState>,
}

impl<K> Default for ScriptPane<K> {
    fn default() -> Self {
        ScriptPane { script: ScriptCache::default(), review: ReviewState::default(), run: None }
    }
}

impl<K: PartialEq> ScriptPane<K> {
    /// Regenerate the script if `key` changed (then it needs a new review); returns whether it did.
    pub fn refresh(
        &mut self,
        key: K,
        make: impl FnOnce(&K) -> Result<Script, Vec<PlanError>>,
    ) -> bool {
        let changed = self.script.refresh(key, make);
        if changed {
            self.review.reviewed = false;
        }
        changed
    }
}

impl<K> ScriptPane<K> {
    /// A pane holding `script` as given, unreviewed and not run.
    pub fn with_script(script: Option<Script>) -> ScriptPane<K> {
        let mut pane = ScriptPane::default();
        pane.script.set(script);
        pane
    }

    /// No script (no inputs): nothing to review.
    pub fn clear(&mut self) {
        self.script.clear();
        self.review.reviewed = false;
    }

    /// The script as it can be shown, copied or run (None while the inputs have errors).
    pub fn reviewed_script(&self) -> Option<&ReviewedScript> {
        self.script.script()
    }

    pub fn running(&self) -> bool {
        self.run.as_ref().is_some_and(ScriptRunState::running)
    }
}

/// A [`ScriptPane`] whatever its inputs: what copying, saving and running a slot's script needs.
pub trait AnyScriptPane {
    fn reviewed_script(&self) -> Option<&ReviewedScript>;
    fn review(&self) -> ReviewState;
    fn run(&self) -> Option<&ScriptRunState>;
    fn run_mut(&mut self) -> &mut Option<ScriptRunState>;
}

impl<K> AnyScriptPane for ScriptPane<K> {
    fn reviewed_script(&self) -> Option<&ReviewedScript> {
        self.script.script()
    }

    fn review(&self) -> ReviewState {
        self.review
    }

    fn run(&self) -> Option<&ScriptRunState> {
        self.run.as_ref()
    }

    fn run_mut(&mut self) -> &mut Option<ScriptRunState> {
        &mut self.run
    }
}

/// One run of a script as the admin: per-statement progress, then the outcome.
pub struct ScriptRunState {
    pub pending: Option<Pending>,
    /// Script title, for the header.
    pub title: String,
    /// Display name of the admin profile it runs as.
    pub admin: String,
    pub total: usize,
    /// Progress per statement, in index order (the latest status of each).
    pub rows: Vec<StatementProgress>,
    /// Per statement: may it run inside a transaction block (to tell which rows a rollback undid).
    transactional: Vec<bool>,
    /// Indices of statements that succeeded but were undone by the rollback.
    pub undone: Vec<usize>,
    pub outcome: Option<Result<ScriptRun, TaskFailure>>,
}

impl ScriptRunState {
    pub fn start(task: TaskId, script: &Script, admin: String) -> ScriptRunState {
        let transactional: Vec<bool> = script.statements().map(|s| s.transactional()).collect();
        ScriptRunState {
            pending: Some(Pending::new(task)),
            title: script.title.clone(),
            admin,
            total: transactional.len(),
            rows: Vec::new(),
            transactional,
            undone: Vec::new(),
            outcome: None,
        }
    }

    pub fn running(&self) -> bool {
        self.pending.is_some()
    }

    pub fn task(&self) -> Option<TaskId> {
        self.pending.as_ref().map(|p| p.task)
    }

    /// Record a statement's latest status (rows arrive Running, then Ok / Failed / Cancelled).
    pub fn on_statement(&mut self, progress: StatementProgress) {
        self.total = self.total.max(progress.total);
        match self.rows.iter_mut().find(|r| r.index == progress.index) {
            Some(row) => *row = progress,
            None => {
                self.rows.push(progress);
                self.rows.sort_by_key(|r| r.index);
            }
        }
    }

    pub fn finish(&mut self, outcome: Result<ScriptRun, TaskFailure>) {
        self.pending = None;
        // A statement still shown as running did not finish: the run stopped under it.
        for row in self.rows.iter_mut().filter(|r| r.status == StepStatus::Running) {
            row.status = StepStatus::Cancelled;
        }
        // A rollback undoes the transaction block the run stopped in: the statements before the
        // stopping one, back to the last that had to run outside a block.
        if let Ok(run) = &outcome
            && run.rolled_back
        {
            let stop = match &run.failed {
                Some((index, _)) => *index,
                None => self
                    .rows
                    .iter()
                    .find(|r| r.status == StepStatus::Cancelled)
                    .map_or(self.rows.len(), |r| r.index),
            };
            for i in (0..stop).rev() {
                if !self.transactional.get(i).copied().unwrap_or(false) {
                    break;
                }
                if self.rows.iter().any(|r| r.index == i && r.status == StepStatus::Ok) {
                    self.undone.push(i);
                }
            }
        }
        self.outcome = Some(outcome);
    }

    /// Whether statement `index` ran but was undone by the rollback.
    pub fn is_undone(&self, index: usize) -> bool {
        self.undone.contains(&index)
    }

    pub fn succeeded(&self) -> bool {
        matches!(&self.outcome, Some(Ok(run)) if run.succeeded())
    }

    pub fn done_count(&self) -> usize {
        self.rows.iter().filter(|r| r.status == StepStatus::Ok && !self.is_undone(r.index)).count()
    }

    /// One line for the log.
    pub fn summary(&self) -> String {
        match &self.outcome {
            None => format!("{}: running", self.title),
            Some(Ok(run)) if run.succeeded() => {
                format!(
                    "{}: {} statements ran in {} ms as {}",
                    self.title, run.executed, run.elapsed_ms, self.admin
                )
            }
            Some(Ok(run)) if run.cancelled => {
                format!("{}: cancelled{}", self.title, rolled_back_words(run.rolled_back))
            }
            Some(Ok(run)) => match &run.failed {
                Some((index, d)) => {
                    format!(
                        "{}: statement {} failed: {}{}",
                        self.title,
                        index + 1,
                        d.summary,
                        rolled_back_words(run.rolled_back)
                    )
                }
                None => format!(
                    "{}: stopped after {} of {} statements",
                    self.title, run.executed, run.total
                ),
            },
            Some(Err(failure)) => format!("{}: {}", self.title, failure.summary()),
        }
    }
}

fn rolled_back_words(rolled_back: bool) -> &'static str {
    if rolled_back { " (rolled back)" } else { "" }
}

/// Where Verify and Teardown take the user, group/role and schemas from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlanSource {
    /// The plan on the Setup tab (the one that ran, else the one being edited).
    #[default]
    Setup,
    /// Typed in by hand (no discovery needed).
    Manual,
}

/// A plan typed in by hand: enough for verify and teardown (no password, local schemas only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualPlan {
    pub user: String,
    pub use_role: bool,
    pub access_name: String,
    /// Comma-separated schema names.
    pub schemas: String,
    /// Comma-separated creators of objects in those schemas (teardown revokes their defaults).
    pub owners: String,
}

impl Default for ManualPlan {
    fn default() -> Self {
        ManualPlan {
            user: "catalog_reader".into(),
            use_role: false,
            access_name: "catalog_reader_ro".into(),
            schemas: String::new(),
            owners: String::new(),
        }
    }
}

impl ManualPlan {
    pub fn to_plan(&self, dialect: Dialect) -> SetupPlan {
        let name = self.access_name.trim().to_string();
        let owners = split_list(&self.owners);
        SetupPlan {
            dialect,
            user: self.user.trim().to_string(),
            access: if self.use_role { Access::Role { name } } else { Access::Group { name } },
            schemas: split_list(&self.schemas)
                .into_iter()
                .map(|name| SchemaGrant { name, kind: SchemaKind::Local, owners: owners.clone() })
                .collect(),
            ..SetupPlan::default()
        }
    }
}

/// Names from a comma-separated list, trimmed, empty entries dropped.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// The SQL dialect of a profile's engine.
pub fn dialect_of(engine: Engine) -> Dialect {
    match engine {
        Engine::Redshift => Dialect::Redshift,
        Engine::Postgres => Dialect::Postgres,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftgate_core::sql::{ExistingState, setup_script, teardown_script};

    fn plan() -> SetupPlan {
        SetupPlan {
            dialect: Dialect::Postgres,
            user: "catalog_reader".into(),
            password: "Secret-Pass-42".into(),
            access: Access::Group { name: "catalog_reader_ro".into() },
            schemas: vec![SchemaGrant {
                name: "sales".into(),
                kind: SchemaKind::Local,
                owners: vec!["etl".into()],
            }],
            ..SetupPlan::default()
        }
    }

    #[test]
    fn reviewed_script_masks_unless_revealed() {
        let script = setup_script(&plan(), &ExistingState::default()).expect("valid plan");
        let reviewed = ReviewedScript::new(script);
        assert!(reviewed.has_secrets());
        assert!(!reviewed.text(false).contains("Secret-Pass-42"));
        assert!(reviewed.text(true).contains("Secret-Pass-42"));
    }

    #[test]
    fn cache_regenerates_only_on_change() {
        let mut cache: ScriptCache<SetupPlan> = ScriptCache::default();
        assert!(cache.refresh(plan(), teardown_script));
        assert!(!cache.refresh(plan(), teardown_script));
        let mut other = plan();
        other.user = "other".into();
        assert!(cache.refresh(other, teardown_script));
        assert!(cache.script().is_some());
    }

    #[test]
    fn manual_plan_splits_lists() {
        let manual = ManualPlan {
            schemas: " sales, ,HR Data".into(),
            owners: "etl".into(),
            ..ManualPlan::default()
        };
        let p = manual.to_plan(Dialect::Postgres);
        let names: Vec<&str> = p.schemas.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["sales", "HR Data"]);
        assert_eq!(p.schemas[1].owners, ["etl"]);
    }

    #[test]
    fn rollback_marks_the_rows_it_undid() {
        let script = setup_script(&plan(), &ExistingState::default()).expect("valid plan");
        let total = script.statements().count();
        let mut run = ScriptRunState::start(TaskId(1), &script, "admin".into());
        let row = |index, status| StatementProgress {
            index,
            total,
            shown_sql: "x".into(),
            status,
            elapsed_ms: 1,
            error: None,
        };
        for i in 0..3 {
            run.on_statement(row(i, StepStatus::Ok));
        }
        run.on_statement(row(3, StepStatus::Failed));
        let diagnosis = shiftgate_core::diagnose::Diagnosis {
            cause: shiftgate_core::diagnose::Cause::Other,
            summary: "s".into(),
            hint: "h".into(),
            server_text: None,
        };
        let result = ScriptRun {
            executed: 0,
            total,
            failed: Some((3, diagnosis)),
            rolled_back: true,
            cancelled: false,
            elapsed_ms: 1,
        };
        run.finish(Ok(result));
        assert_eq!(run.undone, [2, 1, 0]);
        assert_eq!(run.done_count(), 0);
    }

    #[test]
    fn statement_rows_upsert_by_index() {
        let script = setup_script(&plan(), &ExistingState::default()).expect("valid plan");
        let mut run = ScriptRunState::start(TaskId(1), &script, "admin".into());
        let row = |index, status| StatementProgress {
            index,
            total: 9,
            shown_sql: "x".into(),
            status,
            elapsed_ms: 1,
            error: None,
        };
        run.on_statement(row(0, StepStatus::Running));
        run.on_statement(row(0, StepStatus::Ok));
        run.on_statement(row(1, StepStatus::Running));
        assert_eq!(run.rows.len(), 2);
        assert_eq!(run.done_count(), 1);
        run.finish(Err(TaskFailure::Cancelled));
        assert_eq!(run.rows[1].status, StepStatus::Cancelled);
        assert!(!run.running());
    }
}
