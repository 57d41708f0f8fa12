//! The connection form's state: the profile being edited, its text buffers, the typed password and
//! the SSH section. Plain data plus pure updates: no drawing, no store or network I/O.

use super::ssh_form::SshForm;
use crate::net::connect::Password;
use shiftgate_core::endpoint::parse_pasted;
use shiftgate_core::profile::Profile;
use std::path::PathBuf;

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

#[cfg(test)]
mod tests {
    use super::*;
    use shiftgate_core::profile::Engine;
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
}
