//! Form state of the connection form's authentication section: the text buffers behind the
//! IAM fields that are not plain strings (duration, database groups), and the switch between
//! password and IAM that pre-fills the cluster / workgroup and region from the host name.

use shiftgate_core::profile::{AuthMethod, Profile};

/// Text buffers of the IAM fields; everything else edits the draft directly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthForm {
    /// `DurationSeconds` as typed.
    pub duration_text: String,
    /// `DbGroups`, comma-separated as typed.
    pub groups_text: String,
}

impl AuthForm {
    /// Refresh the buffers from the draft (profile loaded, reverted, pasted).
    pub fn sync_from(&mut self, draft: &Profile) {
        self.duration_text = draft.auth.duration_secs.to_string();
        self.groups_text = draft.auth.db_groups.join(", ");
    }

    /// Duration text → draft (0, which validation reports, when it is not a number).
    pub fn duration_changed(&self, draft: &mut Profile) {
        draft.auth.duration_secs = self.duration_text.trim().parse().unwrap_or(0);
    }

    /// Groups text → draft.
    pub fn groups_changed(&self, draft: &mut Profile) {
        draft.auth.db_groups = self
            .groups_text
            .split(',')
            .map(|g| g.trim().to_string())
            .filter(|g| !g.is_empty())
            .collect();
    }

    /// Switch the method; switching to IAM fills the cluster / workgroup and region from an AWS
    /// host name where they are still empty.
    pub fn set_method(&mut self, draft: &mut Profile, method: AuthMethod) {
        if draft.auth.method == method {
            return;
        }
        draft.auth.method = method;
        if method != AuthMethod::Password {
            let host = draft.host.clone();
            draft.auth.fill_from_host(&host);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftgate_core::profile::Engine;

    #[test]
    fn buffers_follow_the_draft_and_iam_prefills_from_the_host() {
        let mut p = Profile::new(Engine::Redshift);
        p.host = "wg1.123456789012.eu-west-1.redshift-serverless.amazonaws.com".into();
        let mut f = AuthForm::default();
        f.sync_from(&p);
        assert_eq!(f.duration_text, "3600");
        f.set_method(&mut p, AuthMethod::IamServerless);
        assert_eq!((p.auth.workgroup.as_str(), p.auth.region.as_str()), ("wg1", "eu-west-1"));
        f.groups_text = "a, b,,c".into();
        f.groups_changed(&mut p);
        assert_eq!(p.auth.db_groups, vec!["a", "b", "c"]);
        f.duration_text = "x".into();
        f.duration_changed(&mut p);
        assert_eq!(p.auth.duration_secs, 0);
    }
}
