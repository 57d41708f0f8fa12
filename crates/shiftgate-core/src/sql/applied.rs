//! The record of a setup that was applied: saved with the admin profile (never the password) so
//! that verify, audit and drift can compare the live server with what was intended, and teardown
//! can remove exactly what setup added.
//!
//! Pure data. Who fills it: the setup run (GUI and CLI) after a successful apply. Who reads it:
//! verify / audit / drift / teardown.

use super::plan::SetupPlan;
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
}

impl AppliedPlan {
    /// Whether this record is for `user` in `database` (the key of a profile's records).
    pub fn is_for(&self, user: &str, database: &str) -> bool {
        self.plan.user == user && self.database == database
    }
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
    fn record_replaces_same_user_and_database_only() {
        let mk = |user: &str, db: &str, at: &str| AppliedPlan {
            database: db.into(),
            applied_at: at.into(),
            plan: SetupPlan { user: user.into(), password: "secret".into(), ..Default::default() },
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
