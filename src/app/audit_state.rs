//! State of the Audit results tab: the running audit, its matrix and drift, the cell the user
//! opened, the filter, and one converge script (review + run) per applied plan that drifted.
//!
//! Plain data with an `apply(Event)` for the audit's own tasks; the app starts the tasks and
//! records a converged plan in the profile store (see `app/audit.rs`).

use super::provision_state::{Pending, ScriptPane, ScriptRunState};
use crate::net::connect::Password;
use crate::tasks::audit::AuditOutcome;
use crate::tasks::provision::TaskFailure;
use crate::tasks::{Event, Outcome, TaskId};
use shiftgate_core::profile::Profile;

/// What the Audit tab asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditCommand {
    /// Show the Audit tab.
    Show,
    /// Run the audit as the admin (the Discover session, else the profile in the form).
    Run,
    /// Stop the running audit.
    Cancel,
    /// Copy the matrix as CSV.
    CopyCsv,
    /// Open a cell (grantee index, schema index in the matrix) to list its tables.
    Open { grantee: usize, schema: usize },
    /// Copy the converge script of drift report `i`, as shown.
    CopyConverge(usize),
    /// Run the reviewed converge script of drift report `i` as the admin.
    RunConverge(usize),
    /// Stop a running converge script.
    CancelConverge(usize),
}

/// One drift report's converge script under review and its run.
pub type ConvergePane = ScriptPane;

/// Who the audit ran as: converge scripts run as the same admin (password in memory only).
pub struct AuditAdmin {
    pub profile: Profile,
    pub password: Option<Password>,
}

/// What a finished event means for the app beyond this state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditEffect {
    None,
    /// Converge script `i` ran to the end: record its converged plan.
    Converged(usize),
}

#[derive(Default)]
pub struct AuditState {
    /// The Audit tab is the one shown (instead of the results tab in `UiState`).
    pub shown: bool,
    /// Grantee / schema filter.
    pub filter: String,
    /// Grant schemas no plan covers when converging.
    pub adopt_new_schemas: bool,
    /// Schemas to audit, comma-separated (empty: all but the system schemas), as the CLI's
    /// `audit --schemas`.
    pub schemas: String,
    pub pending: Option<Pending>,
    pub outcome: Option<Result<Box<AuditOutcome>, TaskFailure>>,
    /// Cell opened: (grantee index, schema index).
    pub open: Option<(usize, usize)>,
    pub converge: Vec<ConvergePane>,
    pub admin: Option<AuditAdmin>,
    /// Why the last Run did not start (no admin, password unknown).
    pub blocked: Option<String>,
    view_key: Option<(String, usize)>,
    view: MatrixView,
}

/// The rows and columns the filter leaves, computed when the filter or the result changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatrixView {
    pub grantees: Vec<usize>,
    pub schemas: Vec<usize>,
}

impl AuditState {
    /// The schema scope typed or picked, as a list (`audit --schemas` splits the same way).
    pub fn schema_scope(&self) -> Vec<String> {
        super::provision_state::split_list(&self.schemas)
    }

    /// Tick or untick `schema` in the scope (the picker), keeping the typed order.
    pub fn toggle_schema(&mut self, schema: &str) {
        let mut scope = self.schema_scope();
        match scope.iter().position(|s| s == schema) {
            Some(i) => {
                scope.remove(i);
            }
            None => scope.push(schema.to_string()),
        }
        self.schemas = scope.join(", ");
    }

    pub fn running(&self) -> bool {
        self.pending.is_some()
    }

    pub fn any_converge_running(&self) -> bool {
        self.converge.iter().any(|c| c.run.as_ref().is_some_and(ScriptRunState::running))
    }

    /// Whether `task` is the audit's or one of its converge runs.
    pub fn owns(&self, task: TaskId) -> bool {
        self.pending.as_ref().is_some_and(|p| p.task == task)
            || self
                .converge
                .iter()
                .any(|c| c.run.as_ref().and_then(ScriptRunState::task) == Some(task))
    }

    /// A new audit was started.
    pub fn start(&mut self, task: TaskId, admin: AuditAdmin) {
        self.pending = Some(Pending::new(task));
        self.admin = Some(admin);
        self.blocked = None;
    }

    pub fn matrix_outcome(&self) -> Option<&AuditOutcome> {
        self.outcome.as_ref().and_then(|o| o.as_ref().ok()).map(|b| b.as_ref())
    }

    /// Fold an event of one of this tab's tasks.
    pub fn apply(&mut self, event: Event) -> AuditEffect {
        let task = event.task();
        let audit_task = self.pending.as_ref().is_some_and(|p| p.task == task);
        let pane = self
            .converge
            .iter()
            .position(|c| c.run.as_ref().and_then(ScriptRunState::task) == Some(task));
        match event {
            Event::Step { step, .. } => {
                if audit_task && let Some(p) = self.pending.as_mut() {
                    p.step = Some(step);
                } else if let Some(i) = pane
                    && let Some(p) = self.converge[i].run.as_mut().and_then(|r| r.pending.as_mut())
                {
                    p.step = Some(step);
                }
            }
            Event::Statement { progress, .. } => {
                if let Some(run) = pane.and_then(|i| self.converge[i].run.as_mut()) {
                    run.on_statement(progress);
                }
            }
            Event::Finished { outcome: Outcome::Audit(result), .. } if audit_task => {
                self.pending = None;
                self.open = None;
                self.converge = match &result {
                    Ok(o) => o
                        .drift
                        .iter()
                        .filter(|d| !d.is_clean())
                        .map(|d| ConvergePane::with_script(Some(d.converge.clone())))
                        .collect(),
                    Err(_) => Vec::new(),
                };
                self.outcome = Some(result);
                self.view_key = None;
            }
            Event::Finished { outcome: Outcome::Script(result), .. } => {
                if let Some(i) = pane
                    && let Some(run) = self.converge[i].run.as_mut()
                {
                    run.finish(result);
                    if run.succeeded() {
                        return AuditEffect::Converged(i);
                    }
                }
            }
            Event::Finished { .. }
            | Event::Log { .. }
            | Event::HostKeyPrompt { .. }
            | Event::SecretPrompt { .. } => {}
        }
        AuditEffect::None
    }

    /// Drifted reports, in the order of [`AuditState::converge`].
    pub fn drifted(&self) -> Vec<&shiftgate_core::sql::drift::DriftReport> {
        self.matrix_outcome()
            .map(|o| o.drift.iter().filter(|d| !d.is_clean()).collect())
            .unwrap_or_default()
    }

    /// Rows and columns left by the filter: a grantee row shows when its name contains the
    /// filter, a schema column when its name does; a side with no match at all is not filtered.
    pub fn view(&mut self) -> &MatrixView {
        let n = self.matrix_outcome().map_or(0, |o| o.matrix.grantees.len());
        let key = (self.filter.clone(), n);
        if self.view_key.as_ref() != Some(&key) {
            self.view = compute_view(self.matrix_outcome(), &self.filter);
            self.view_key = Some(key);
        }
        &self.view
    }
}

fn compute_view(outcome: Option<&AuditOutcome>, filter: &str) -> MatrixView {
    let Some(o) = outcome else { return MatrixView::default() };
    let needle = filter.trim().to_lowercase();
    let pick = |names: Vec<&str>| -> Vec<usize> {
        let all: Vec<usize> = (0..names.len()).collect();
        if needle.is_empty() {
            return all;
        }
        let hits: Vec<usize> =
            all.iter().copied().filter(|&i| names[i].to_lowercase().contains(&needle)).collect();
        if hits.is_empty() { all } else { hits }
    };
    MatrixView {
        grantees: pick(o.matrix.grantees.iter().map(|g| g.principal.name.as_str()).collect()),
        schemas: pick(o.matrix.schemas.iter().map(|s| s.name.as_str()).collect()),
    }
}
