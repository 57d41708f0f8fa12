//! The Verify tab's state: which login it uses, the plan it checks, the result and its fix script.

use super::provision_state::{ManualPlan, Pending, PlanSource, ScriptPane, dialect_of, split_list};
use crate::net::connect::Password;
use crate::tasks::provision::TaskFailure;
use shiftgate_core::profile::{Engine, Profile, ProfileId};
use shiftgate_core::sql::{SchemaKind, SetupPlan, VerifyReport};

/// Which connection Verify logs in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyTarget {
    /// The admin's connection with the new user's name, from a finished setup (not saved).
    Adhoc,
    Saved(ProfileId),
}

/// The Verify tab.
#[derive(Default)]
pub struct VerifyState {
    /// The admin's connection as the new catalog user (set by "Verify as …" after setup).
    pub adhoc: Option<Profile>,
    pub target: Option<VerifyTarget>,
    /// The catalog user's password: carried over from setup or typed (memory only).
    pub password: Password,
    pub show_password: bool,
    pub source: PlanSource,
    pub manual: ManualPlan,
    pub pending: Option<Pending>,
    /// The plan the last result was checked against.
    pub checked_plan: Option<SetupPlan>,
    pub result: Option<Result<Box<VerifyReport>, TaskFailure>>,
    /// The fix script of the last report (no script when it has no statements), its review and run.
    pub fix: ScriptPane,
    /// Users that will create tables later (comma-separated), added to every local schema's
    /// creators so verify forecasts their next table and fixes their default privileges.
    pub creators: String,
}

impl VerifyState {
    /// The plan to verify: the Setup tab's (when chosen and there is one) or the typed one, in the
    /// dialect of the profile it logs in with, plus the future creators typed on the tab.
    pub fn plan(&self, setup_plan: Option<&SetupPlan>, engine: Engine) -> SetupPlan {
        let mut plan = match (self.source, setup_plan) {
            (PlanSource::Setup, Some(plan)) => plan.clone(),
            _ => self.manual.to_plan(dialect_of(engine)),
        };
        let creators = split_list(&self.creators);
        for g in plan.schemas.iter_mut().filter(|g| g.kind == SchemaKind::Local) {
            for c in &creators {
                if !g.owners.contains(c) {
                    g.owners.push(c.clone());
                }
            }
        }
        plan
    }

    pub fn finish(&mut self, result: Result<Box<VerifyReport>, TaskFailure>) {
        self.pending = None;
        self.fix = ScriptPane::with_script(match &result {
            Ok(report) if report.fix_script.statements().next().is_some() => {
                Some(report.fix_script.clone())
            }
            _ => None,
        });
        self.result = Some(result);
    }

    /// One line for the log.
    pub fn summary(&self, user: &str) -> String {
        match &self.result {
            None => format!("Verify as {user}: running"),
            Some(Ok(report)) if report.passed() => {
                format!("Verify as {user}: all {} schemas pass", report.schemas.len())
            }
            Some(Ok(report)) => {
                let failing = report
                    .schemas
                    .iter()
                    .filter(|s| s.verdict != shiftgate_core::sql::Verdict::Pass)
                    .count();
                format!("Verify as {user}: {failing} of {} schemas have gaps", report.schemas.len())
            }
            Some(Err(failure)) => format!("Verify as {user} failed: {}", failure.summary()),
        }
    }
}
