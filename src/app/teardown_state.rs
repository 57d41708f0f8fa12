//! The Teardown tab's state: the catalog-user teardown and the vendor cleanup, each a script pane,
//! plus the other databases setup granted in. As `shiftgate teardown --databases`: each other
//! database gets its own revoke script (read from its live catalogs), and this database's script
//! (its revokes, then the drops) runs only after every other database's revokes.

use super::provision_state::{ManualPlan, Pending, PlanSource, ScriptPane, split_list};
use crate::tasks::provision::TaskFailure;
use shiftgate_core::sql::{
    AppliedPlan, Dialect, ExistingState, SetupPlan, TeardownOptions, cleanup_vendor_script,
    find_applied, teardown_decide, teardown_live, teardown_script,
};

/// Which of the Teardown tab's two jobs is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TeardownMode {
    #[default]
    CatalogUser,
    VendorLeftovers,
}

/// What the vendor cleanup needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupForm {
    pub user: String,
    /// Comma-separated users that ran the vendor's script (empty = the admin).
    pub who_ran_it: String,
    /// Comma-separated schemas it was run for.
    pub schemas: String,
}

impl Default for CleanupForm {
    fn default() -> Self {
        CleanupForm { user: "metamapper".into(), who_ran_it: String::new(), schemas: String::new() }
    }
}

/// Inputs of the cleanup script (its cache key).
pub type CleanupKey = (Dialect, String, Vec<String>, Vec<String>, ExistingState);

/// The Teardown tab.
#[derive(Default)]
pub struct TeardownState {
    pub mode: TeardownMode,
    pub source: PlanSource,
    pub manual: ManualPlan,
    /// The catalog-user teardown script, its review and run.
    pub pane: ScriptPane<TeardownKey>,
    /// "Remove the catalog grants only": keep the user.
    pub keep_user: bool,
    /// What predates setup or is kept, and why (shown before the SQL).
    pub notes: Vec<String>,
    pub cleanup: CleanupForm,
    /// The vendor cleanup script, its review and run.
    pub cleanup_pane: ScriptPane<CleanupKey>,
    /// Other databases setup granted in, comma-separated (as `teardown --databases`).
    pub other_databases: String,
    /// One entry per other database, in the order typed.
    pub others: Vec<OtherDatabase>,
    /// The user and databases of the running teardown (their setup records go once it succeeds).
    pub launched: Option<(String, Vec<String>)>,
}

/// Inputs of another database's revoke script: the plan, this database's live state (it decides
/// what is dropped), this database's record, the other database's live state and record, and
/// "keep the user".
pub type OtherDatabaseKey =
    (SetupPlan, ExistingState, Option<AppliedPlan>, ExistingState, Option<AppliedPlan>, bool);

/// Another database setup granted in: its live state and its revoke script.
#[derive(Default)]
pub struct OtherDatabase {
    pub name: String,
    /// Reading its live privileges as the admin.
    pub discovering: Option<Pending>,
    /// What the read found (its live privileges), or why it failed.
    pub live: Option<Result<ExistingState, TaskFailure>>,
    /// Its revoke script (no drops: those run once, in this database, after every revoke).
    pub pane: ScriptPane<OtherDatabaseKey>,
}

impl OtherDatabase {
    /// Its revokes are done: the script ran to the end, or there is nothing left to revoke.
    pub fn done(&self) -> bool {
        self.pane.run.as_ref().is_some_and(|r| r.succeeded())
            || self.pane.reviewed_script().is_some_and(|s| s.statement_count() == 0)
    }
}

/// Inputs of the teardown script (its cache key): the plan, the live state discovery read (None
/// before discovery), the setup record, and "keep the user".
pub type TeardownKey = (SetupPlan, Option<ExistingState>, Option<AppliedPlan>, bool);

impl TeardownState {
    /// Regenerate the teardown script for `plan` (None: nothing to tear down yet). With the live
    /// state it removes only what is left and what setup added; without, it mirrors the plan.
    pub fn refresh_teardown(
        &mut self,
        plan: Option<SetupPlan>,
        live: Option<ExistingState>,
        applied: Option<AppliedPlan>,
    ) {
        let Some(plan) = plan else {
            self.pane.clear();
            self.notes.clear();
            return;
        };
        let options = TeardownOptions { keep_user: self.keep_user };
        // Live teardown needs the privileges; without them (old server, denied) mirror the plan.
        let live = live.filter(|l| l.acl.read);
        let key = (plan, live, applied, self.keep_user);
        if self.pane.script.key() == Some(&key) {
            return;
        }
        let (plan, live, applied, _) = &key;
        self.notes = match live {
            Some(live) => teardown_decide(plan, applied.as_ref(), live, options).notes,
            None => vec![
                "Without the live privileges (Discover on the Setup tab reads them) the script mirrors the plan and can't tell what predates setup.".into(),
            ],
        };
        self.pane.refresh(key, |(plan, live, applied, keep_user)| match live {
            Some(live) => {
                let options = TeardownOptions { keep_user: *keep_user };
                let decision = teardown_decide(plan, applied.as_ref(), live, options);
                teardown_live(plan, applied.as_ref(), live, &decision).map(|t| t.combined())
            }
            None => teardown_script(plan),
        });
    }

    /// Regenerate the cleanup script; `admin_user` stands in for an empty "who ran it".
    pub fn refresh_cleanup(&mut self, dialect: Dialect, admin_user: &str, existing: ExistingState) {
        let mut who = split_list(&self.cleanup.who_ran_it);
        if who.is_empty() && !admin_user.trim().is_empty() {
            who.push(admin_user.trim().to_string());
        }
        let key = (
            dialect,
            self.cleanup.user.trim().to_string(),
            who,
            split_list(&self.cleanup.schemas),
            existing,
        );
        self.cleanup_pane.refresh(key, |(d, user, who, schemas, existing)| {
            cleanup_vendor_script(*d, user, who, schemas, existing)
        });
    }

    /// Follow the "other databases" field: one entry per name (this database `home` left out),
    /// keeping what was read for names already listed.
    pub fn sync_other_databases(&mut self, home: &str) {
        let mut names = split_list(&self.other_databases);
        names.retain(|n| n != home);
        names.dedup();
        if names.iter().eq(self.others.iter().map(|o| &o.name)) {
            return;
        }
        let mut old = std::mem::take(&mut self.others);
        self.others = names
            .into_iter()
            .map(|name| match old.iter().position(|o| o.name == name) {
                Some(i) => old.swap_remove(i),
                None => OtherDatabase { name, ..OtherDatabase::default() },
            })
            .collect();
    }

    /// Regenerate the other databases' revoke scripts. They need this database's live state
    /// (`home_live`, which decides what setup added) and each database's own.
    pub fn refresh_others(
        &mut self,
        plan: Option<&SetupPlan>,
        home_live: Option<&ExistingState>,
        home_applied: Option<&AppliedPlan>,
        records: &[AppliedPlan],
    ) {
        let keep_user = self.keep_user;
        for other in &mut self.others {
            let (Some(plan), Some(home_live), Some(Ok(live))) =
                (plan, home_live.filter(|l| l.acl.read), other.live.as_ref())
            else {
                other.pane.clear();
                continue;
            };
            let rec = find_applied(records, &plan.user, &other.name).cloned();
            let key = (
                plan.clone(),
                home_live.clone(),
                home_applied.cloned(),
                live.clone(),
                rec,
                keep_user,
            );
            other.pane.refresh(key, |(plan, home_live, home_applied, live, rec, keep_user)| {
                let options = TeardownOptions { keep_user: *keep_user };
                let decision = teardown_decide(plan, home_applied.as_ref(), home_live, options);
                teardown_live(plan, rec.as_ref(), live, &decision).map(|t| t.revoke)
            });
        }
    }

    /// Why this database's teardown (revokes, then drops) may not run yet: another database's
    /// revokes come first.
    pub fn others_pending(&self) -> Option<String> {
        let waiting: Vec<&str> =
            self.others.iter().filter(|o| !o.done()).map(|o| o.name.as_str()).collect();
        (!waiting.is_empty()).then(|| {
            format!("Run the revoke scripts of the other databases first ({})", waiting.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_databases_follow_the_field_and_keep_what_was_read() {
        let mut td =
            TeardownState { other_databases: "dev, prod, dev".into(), ..Default::default() };
        td.sync_other_databases("prod");
        let names: Vec<&str> = td.others.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["dev"], "this database and repeats are left out");
        td.others[0].live = Some(Ok(ExistingState::default()));
        td.other_databases = "qa, dev".into();
        td.sync_other_databases("prod");
        let names: Vec<&str> = td.others.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["qa", "dev"]);
        assert!(td.others[1].live.is_some(), "dev keeps its live state");
        assert!(td.others_pending().is_some_and(|w| w.contains("qa") && w.contains("dev")));
    }
}
