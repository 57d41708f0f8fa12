//! The Setup tab's state: what discovery found, the admin's choices (schemas, owners, datashares,
//! user, password, group or role, limits) and the setup script generated from them, regenerated
//! only when an input changes. A changed script must be reviewed again before it can run.
//!
//! Plain data plus pure updates; the password stays in memory only.

use super::provision_state::{Pending, ScriptPane};
use crate::net::connect::Password;
use crate::tasks::TaskId;
use crate::tasks::provision::{DiscoveryOutcome, TaskFailure};
use shiftgate_core::profile::{Profile, ProfileId};
use shiftgate_core::sql::iam_policy::{IamPolicyError, IamPolicyTarget, policy_for_plan};
use shiftgate_core::sql::{
    Access, AppliedPlan, Dialect, ExistingState, PlanWarning, SchemaGrant, SchemaKind,
    SetupOptions, SetupPlan, generate_password, setup_script_with,
};

/// Inputs of the setup script (its cache key).
pub type SetupKey = (SetupPlan, ExistingState, SetupOptions);

/// Default name of the catalog user.
pub const DEFAULT_USER: &str = "catalog_reader";

/// Length of generated passwords (Redshift allows 8–64).
const GENERATED_PASSWORD_LEN: usize = 24;

/// One discovered schema as offered in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaChoice {
    pub name: String,
    pub kind: SchemaKind,
    /// The schema's own owner (shown for context).
    pub owner: String,
    pub selected: bool,
    /// Users whose future tables become readable (pre-filled with who created objects so far).
    pub owners: Vec<String>,
    /// Text of the "+ owner" field.
    pub new_owner: String,
}

impl SchemaChoice {
    /// Add the typed owner (trimmed, once); returns whether one was added.
    pub fn add_owner(&mut self) -> bool {
        let name = self.new_owner.trim().to_string();
        if name.is_empty() || self.owners.contains(&name) {
            return false;
        }
        self.owners.push(name);
        self.new_owner.clear();
        true
    }
}

/// The Setup tab.
pub struct SetupState {
    pub discovering: Option<Pending>,
    pub discover_error: Option<TaskFailure>,
    pub found: Option<DiscoveryOutcome>,
    /// Display name of the admin profile discovery ran as.
    pub admin_name: String,
    pub filter: String,
    pub schemas: Vec<SchemaChoice>,
    /// Datashare consumer databases and whether each is ticked (Redshift).
    pub datashares: Vec<(String, bool)>,
    pub user: String,
    pub password: Password,
    pub show_password: bool,
    pub password_error: Option<String>,
    pub use_role: bool,
    pub group_name: String,
    pub role_name: String,
    /// The group / role name still follows the user name (not edited by hand).
    pub group_auto: bool,
    pub role_auto: bool,
    pub limit_text: String,
    pub svv_table_info: bool,
    /// REVOKE CREATE ON SCHEMA public from the group/role.
    pub revoke_public_create: bool,
    /// The catalog tool logs in with IAM: PASSWORD DISABLE, and the IAM policy is shown.
    pub iam_login: bool,
    /// The policy's cluster, region and account; empty = the admin profile's (account: any).
    pub iam_cluster: String,
    pub iam_region: String,
    pub iam_account: String,
    /// The setup script, its review and run.
    pub pane: ScriptPane<SetupKey>,
    /// The plan of the last run (what Verify and Teardown use once it succeeded).
    pub launched_plan: Option<SetupPlan>,
    /// The profile saved for the new user after the last run ("Save as new profile").
    pub saved_profile: Option<ProfileId>,
    /// The record of the running setup, saved with the admin profile once it succeeds.
    pub launched_record: Option<AppliedPlan>,
    /// A script ran since discovery: its live state may be out of date (teardown asks again).
    pub found_stale: bool,
}

impl Default for SetupState {
    fn default() -> Self {
        SetupState {
            discovering: None,
            discover_error: None,
            found: None,
            admin_name: String::new(),
            filter: String::new(),
            schemas: Vec::new(),
            datashares: Vec::new(),
            user: DEFAULT_USER.into(),
            password: Password::new(String::new()),
            show_password: false,
            password_error: None,
            use_role: false,
            group_name: format!("{DEFAULT_USER}_ro"),
            role_name: format!("{DEFAULT_USER}_reader"),
            group_auto: true,
            role_auto: true,
            limit_text: String::new(),
            svv_table_info: false,
            revoke_public_create: false,
            iam_login: false,
            iam_cluster: String::new(),
            iam_region: String::new(),
            iam_account: String::new(),
            pane: ScriptPane::default(),
            launched_plan: None,
            saved_profile: None,
            launched_record: None,
            found_stale: false,
        }
    }
}

impl SetupState {
    pub fn begin_discovery(&mut self, task: TaskId, admin_name: String) {
        self.discovering = Some(Pending::new(task));
        self.discover_error = None;
        self.admin_name = admin_name;
    }

    /// Fold a discovery result in; ticks, owners and datashare choices of schemas seen before are kept.
    pub fn discovered(&mut self, result: Result<Box<DiscoveryOutcome>, TaskFailure>) {
        self.discovering = None;
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(failure) => {
                self.discover_error = Some(failure);
                return;
            }
        };
        let previous = std::mem::take(&mut self.schemas);
        self.schemas = outcome
            .discovery
            .schemas
            .iter()
            .map(|s| match previous.iter().find(|p| p.name == s.name && p.kind == s.kind) {
                Some(p) => SchemaChoice { owner: s.owner.clone(), ..p.clone() },
                None => SchemaChoice {
                    name: s.name.clone(),
                    kind: s.kind,
                    owner: s.owner.clone(),
                    selected: false,
                    owners: s.object_owners.clone(),
                    new_owner: String::new(),
                },
            })
            .collect();
        let previous_ds = std::mem::take(&mut self.datashares);
        self.datashares = outcome
            .discovery
            .datashare_databases
            .iter()
            .map(|db| (db.clone(), previous_ds.iter().any(|(name, ticked)| name == db && *ticked)))
            .collect();
        if !outcome.discovery.rbac_available || outcome.dialect != Dialect::Redshift {
            self.use_role = false;
        }
        if outcome.dialect != Dialect::Redshift {
            self.svv_table_info = false;
        }
        self.found = Some(*outcome);
        self.found_stale = false;
    }

    /// The user name changed: group and role names not edited by hand follow it.
    pub fn user_changed(&mut self) {
        let user = self.user.trim();
        if self.group_auto {
            self.group_name = format!("{user}_ro");
        }
        if self.role_auto {
            self.role_name = format!("{user}_reader");
        }
    }

    pub fn dialect(&self) -> Option<Dialect> {
        self.found.as_ref().map(|f| f.dialect)
    }

    /// Whether RBAC roles may be chosen: Redshift with RBAC, per discovery.
    pub fn rbac_allowed(&self) -> bool {
        self.found
            .as_ref()
            .is_some_and(|f| f.dialect == Dialect::Redshift && f.discovery.rbac_available)
    }

    /// The connection limit typed, or why it is not one.
    pub fn connection_limit(&self) -> Result<Option<u32>, String> {
        let text = self.limit_text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<u32>().map(Some).map_err(|_| {
            format!("Connection limit {text:?} is not a whole number; leave it empty for no limit.")
        })
    }

    /// What discovery says exists (empty before discovery).
    pub fn existing(&self) -> ExistingState {
        self.found.as_ref().map(|f| f.discovery.existing_state()).unwrap_or_default()
    }

    /// The plan the form describes (needs a discovery for the dialect and the schema list).
    pub fn plan(&self) -> Option<SetupPlan> {
        let found = self.found.as_ref()?;
        let name =
            if self.use_role { self.role_name.trim() } else { self.group_name.trim() }.to_string();
        let redshift = found.dialect == Dialect::Redshift;
        Some(SetupPlan {
            dialect: found.dialect,
            user: self.user.trim().to_string(),
            password: self.password.to_string(),
            access: if self.use_role { Access::Role { name } } else { Access::Group { name } },
            schemas: self
                .schemas
                .iter()
                .filter(|s| s.selected)
                .map(|s| SchemaGrant {
                    name: s.name.clone(),
                    kind: s.kind,
                    owners: if s.kind == SchemaKind::Local { s.owners.clone() } else { Vec::new() },
                })
                .collect(),
            datashare_databases: if redshift {
                self.datashares
                    .iter()
                    .filter(|(_, ticked)| *ticked)
                    .map(|(db, _)| db.clone())
                    .collect()
            } else {
                Vec::new()
            },
            connection_limit: self.connection_limit().ok().flatten(),
            grant_svv_table_info: redshift && self.svv_table_info,
        })
    }

    /// Regenerate the script when an input changed (a new script must be reviewed again).
    pub fn refresh_script(&mut self) {
        let plan = match (self.plan(), self.connection_limit()) {
            (Some(plan), Ok(_)) => plan,
            _ => {
                self.pane.clear();
                return;
            }
        };
        let options = SetupOptions {
            revoke_public_create: self.revoke_public_create,
            iam_login: self.iam_login,
        };
        self.pane.refresh((plan, self.existing(), options), |(plan, existing, options)| {
            setup_script_with(plan, existing, *options)
        });
    }

    /// Where the IAM policy points: the typed cluster / region / account, else the admin
    /// profile's cluster and region.
    pub fn iam_policy_target(&self, admin: Option<&Profile>) -> IamPolicyTarget {
        let database =
            self.found.as_ref().map(|f| f.server.current_database.clone()).unwrap_or_default();
        let mut target = match admin {
            Some(p) => IamPolicyTarget::from_profile(p, &database),
            None => IamPolicyTarget {
                region: String::new(),
                account: None,
                cluster_id: String::new(),
                database,
            },
        };
        if !self.iam_cluster.trim().is_empty() {
            target.cluster_id = self.iam_cluster.trim().to_string();
        }
        if !self.iam_region.trim().is_empty() {
            target.region = self.iam_region.trim().to_string();
        }
        if !self.iam_account.trim().is_empty() {
            target.account = Some(self.iam_account.trim().to_string());
        }
        target
    }

    /// The IAM policy for the catalog tool, when "logs in with IAM" is ticked and a plan exists.
    pub fn iam_policy(&self, admin: Option<&Profile>) -> Option<Result<String, IamPolicyError>> {
        if !self.iam_login {
            return None;
        }
        let plan = self.plan()?;
        Some(policy_for_plan(&self.iam_policy_target(admin), &plan))
    }

    pub fn warnings(&self) -> Vec<PlanWarning> {
        self.plan().map(|p| p.warnings(&self.existing())).unwrap_or_default()
    }

    pub fn selected_count(&self) -> usize {
        self.schemas.iter().filter(|s| s.selected).count()
    }

    /// Indices of the schemas matching the filter (case-insensitive substring).
    pub fn visible_schemas(&self) -> Vec<usize> {
        let needle = self.filter.trim().to_lowercase();
        (0..self.schemas.len())
            .filter(|&i| needle.is_empty() || self.schemas[i].name.to_lowercase().contains(&needle))
            .collect()
    }

    /// Tick or untick every schema the filter shows.
    pub fn select_visible(&mut self, selected: bool) {
        for i in self.visible_schemas() {
            self.schemas[i].selected = selected;
        }
    }

    pub fn generate_password(&mut self) {
        match generate_password(GENERATED_PASSWORD_LEN) {
            Ok(generated) => {
                self.password = Password::new(generated.expose().to_string());
                self.password_error = None;
            }
            Err(e) => self.password_error = Some(e.to_string()),
        }
    }

    /// The plan Verify and Teardown should use: the one that ran successfully, else the one being
    /// edited (if it names at least one schema).
    pub fn plan_for_followup(&self) -> Option<SetupPlan> {
        let ran = self.pane.run.as_ref().is_some_and(|r| r.succeeded());
        match (&self.launched_plan, ran) {
            (Some(plan), true) => Some(plan.clone()),
            _ => self.plan().filter(|p| !p.schemas.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftgate_core::report::ServerInfo;
    use shiftgate_core::sql::{DiscoveredSchema, Discovery, PlanError};

    fn outcome() -> Box<DiscoveryOutcome> {
        Box::new(DiscoveryOutcome {
            server: ServerInfo::default(),
            dialect: Dialect::Postgres,
            discovery: Discovery {
                schemas: vec![
                    DiscoveredSchema {
                        name: "sales".into(),
                        kind: SchemaKind::Local,
                        owner: "etl".into(),
                        object_owners: vec!["etl".into()],
                    },
                    DiscoveredSchema {
                        name: "hr".into(),
                        kind: SchemaKind::Local,
                        owner: "admin".into(),
                        object_owners: vec![],
                    },
                ],
                users: vec!["admin".into(), "etl".into()],
                ..Discovery::default()
            },
        })
    }

    #[test]
    fn script_needs_a_valid_plan_and_changes_reset_review() {
        let mut s = SetupState::default();
        s.discovered(Ok(outcome()));
        s.schemas[0].selected = true;
        s.password = Password::new("Catalog-Pass-42".into());
        s.refresh_script();
        assert!(s.pane.script.script().is_some(), "{:?}", s.pane.script.errors());
        s.pane.review.reviewed = true;
        s.refresh_script();
        assert!(s.pane.review.reviewed, "unchanged inputs keep the review");
        s.group_auto = false;
        s.group_name = s.user.clone();
        s.refresh_script();
        assert!(!s.pane.review.reviewed);
        assert!(
            s.pane
                .script
                .errors()
                .iter()
                .any(|e| matches!(e, PlanError::AccessNameEqualsUser { .. }))
        );
    }

    #[test]
    fn names_follow_the_user_until_edited() {
        let mut s = SetupState { user: "meta".into(), ..SetupState::default() };
        s.user_changed();
        assert_eq!((s.group_name.as_str(), s.role_name.as_str()), ("meta_ro", "meta_reader"));
        s.group_auto = false;
        s.group_name = "mine".into();
        s.user = "other".into();
        s.user_changed();
        assert_eq!(s.group_name, "mine");
    }

    #[test]
    fn rediscovery_keeps_choices_and_filter_selects_visible() {
        let mut s = SetupState::default();
        s.discovered(Ok(outcome()));
        s.filter = "SAL".into();
        s.select_visible(true);
        s.schemas[0].new_owner = " loader ".into();
        assert!(s.schemas[0].add_owner());
        s.discovered(Ok(outcome()));
        assert!(s.schemas[0].selected && !s.schemas[1].selected);
        assert_eq!(s.schemas[0].owners, ["etl", "loader"]);
        s.limit_text = "five".into();
        assert!(s.connection_limit().is_err());
    }
}
