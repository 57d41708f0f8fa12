//! The record of a setup that was applied: saved with the admin profile (never the password) so
//! that verify, audit and drift can compare the live server with what was intended, and teardown
//! can remove exactly what setup added.
//!
//! Pure data. Who fills it: the setup run (GUI and CLI) after a successful apply. Who reads it:
//! verify / audit / drift / teardown.

use super::live::Principal;
use super::plan::{ExistingState, SchemaKind, SetupPlan};
use super::setup::SetupOptions;
use serde::{Deserialize, Serialize};

/// One applied setup of one catalog user in one database.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AppliedPlan {
    /// Database the script ran in (`current_database()` of the admin session).
    pub database: String,
    /// When the run finished, RFC 3339 UTC.
    pub applied_at: String,
    /// The plan as applied. Its password is never serialised.
    pub plan: SetupPlan,
    /// What existed before setup ran; `None` in records written before Shiftgate kept it (then
    /// teardown reads the live state and treats every object as possibly older than setup).
    pub found: Option<FoundBefore>,
    /// Options the script was generated with.
    pub options: SetupOptions,
}

/// What setup found (and therefore did not create) when it ran.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FoundBefore {
    /// The catalog user existed (reused: never dropped by teardown).
    pub user_existed: bool,
    /// The group/role existed (reused: never dropped; its earlier grants and members stay).
    pub access_existed: bool,
    /// The user was already a member of the group/role.
    pub user_was_member: bool,
    /// The group/role's schema privileges before setup: (schema, privilege).
    pub schema_privileges: Vec<(String, String)>,
    /// The group/role's table privileges before setup in the planned schemas: (schema, table).
    pub table_grants: Vec<(String, String)>,
    /// The group/role's default-privilege entries before setup: (owner, schema or "").
    pub default_privileges: Vec<(String, String)>,
    /// Whether the live privileges could be read (else the lists above are unknown, not empty).
    pub privileges_read: bool,
}

impl FoundBefore {
    /// What `existing` (discovery just before setup) says about `plan`'s user and group/role.
    pub fn from_existing(plan: &SetupPlan, existing: &ExistingState) -> FoundBefore {
        let d = plan.dialect;
        let is_access = |p: &Principal| p.is_access(d, &plan.access);
        let planned =
            |s: &str| plan.schemas.iter().any(|g| g.kind == SchemaKind::Local && g.name == s);
        FoundBefore {
            user_existed: existing.has_user(&plan.user),
            access_existed: existing.has_access(d, &plan.access),
            user_was_member: existing.acl.members_of(is_access).iter().any(|m| m == &plan.user),
            schema_privileges: existing
                .acl
                .schema_privileges_of(is_access)
                .map(|p| (p.schema.clone(), p.privilege.clone()))
                .collect(),
            table_grants: existing
                .acl
                .table_privileges_of(is_access)
                .filter(|p| planned(&p.schema))
                .map(|p| (p.schema.clone(), p.table.clone()))
                .collect(),
            default_privileges: existing
                .acl
                .default_privileges_of(is_access)
                .map(|p| (p.owner.clone(), p.schema.clone().unwrap_or_default()))
                .collect(),
            privileges_read: existing.acl.read,
        }
    }
}

impl AppliedPlan {
    /// The record after a converge run (drift) re-applied `plan`: what setup found before it first
    /// ran, and its options, carry over from the earlier record of the same (user, database).
    pub fn after_converge(
        records: &[AppliedPlan],
        database: &str,
        applied_at: String,
        plan: SetupPlan,
    ) -> AppliedPlan {
        let earlier = records.iter().find(|r| r.is_for(&plan.user, database));
        AppliedPlan {
            database: database.to_string(),
            applied_at,
            found: earlier.and_then(|r| r.found.clone()),
            options: earlier.map(|r| r.options).unwrap_or_default(),
            plan,
        }
    }

    /// Whether this record is for `user` in `database` (the key of a profile's records).
    pub fn is_for(&self, user: &str, database: &str) -> bool {
        self.plan.user == user && self.database == database
    }
}

/// The record of `user` in `database` among `records`, if any.
pub fn find_applied<'a>(
    records: &'a [AppliedPlan],
    user: &str,
    database: &str,
) -> Option<&'a AppliedPlan> {
    records.iter().rev().find(|r| r.is_for(user, database))
}

/// The setup records, from every saved profile, of the user `login` connects as on its server
/// (same host, case-insensitive, and port): the baseline verify compares the live grants with.
/// Setup is recorded with the admin profile that ran it, not with the catalog user's profile.
pub fn baselines_for(
    profiles: &[crate::profile::Profile],
    login: &crate::profile::Profile,
) -> Vec<AppliedPlan> {
    let mut out: Vec<AppliedPlan> = Vec::new();
    let same_server = |p: &crate::profile::Profile| {
        p.host.trim().eq_ignore_ascii_case(login.host.trim()) && p.port == login.port
    };
    for p in profiles.iter().chain([login]).filter(|p| same_server(p)) {
        for r in p.applied_plans.iter().filter(|r| r.plan.user == login.user) {
            if !out.iter().any(|o| o.database == r.database && o.applied_at == r.applied_at) {
                out.push(r.clone());
            }
        }
    }
    out
}

/// Replace the record for the same (user, database) or add it.
pub fn record_applied(records: &mut Vec<AppliedPlan>, applied: AppliedPlan) {
    let (user, database) = (applied.plan.user.clone(), applied.database.clone());
    records.retain(|r| !r.is_for(&user, &database));
    records.push(applied);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_come_from_any_profile_on_the_same_server() {
        use crate::profile::{Engine, Profile};
        let record = |user: &str, db: &str| AppliedPlan {
            database: db.into(),
            applied_at: format!("{user}@{db}"),
            plan: SetupPlan { user: user.into(), ..SetupPlan::default() },
            ..AppliedPlan::default()
        };
        let mut admin = Profile::new(Engine::Postgres);
        admin.host = "DB.example.com".into();
        admin.applied_plans = vec![record("cat", "dev"), record("other", "dev")];
        let mut elsewhere = admin.clone();
        elsewhere.port = 6543;
        elsewhere.applied_plans = vec![record("cat", "far")];
        let mut login = Profile::new(Engine::Postgres);
        login.host = "db.example.com".into();
        login.user = "cat".into();
        let found = baselines_for(&[admin, elsewhere], &login);
        assert_eq!(found, vec![record("cat", "dev")]);
    }

    #[test]
    fn record_replaces_same_user_and_database_only() {
        let mk = |user: &str, db: &str, at: &str| AppliedPlan {
            database: db.into(),
            applied_at: at.into(),
            plan: SetupPlan { user: user.into(), password: "secret".into(), ..Default::default() },
            ..Default::default()
        };
        let mut records = vec![mk("catalog", "dev", "1"), mk("catalog", "other", "1")];
        record_applied(&mut records, mk("catalog", "dev", "2"));
        assert_eq!(records.len(), 2);
        assert!(records.iter().any(|r| r.database == "dev" && r.applied_at == "2"));
        assert!(records.iter().any(|r| r.database == "other" && r.applied_at == "1"));
        let text = serde_json::to_string(&records).unwrap();
        assert!(!text.contains("secret"), "the password must never be serialised: {text}");
    }
}
