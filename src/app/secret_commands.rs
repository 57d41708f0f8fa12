//! The app's side of secrets and the SSH section, none of it waiting on the UI thread:
//! * "is a secret saved?" — looked up in the background when a profile opens (a cache in the form);
//! * saving, copying and forgetting secrets — background jobs that report a line when done;
//! * the secrets typed into the form go with a task; everything else the task resolves itself and
//!   asks for through `Event::SecretPrompt`, answered here from the dialog;
//! * the `~/.ssh/config` alias preview, the key-file picker and "Test tunnel".

use super::App;
use super::background::Done;
use super::provision_state::TaskOwner;
use super::ssh_form::AliasPreview;
use super::state::{LogLevel, ResultsTab, TestRun};
use crate::net::connect::Password;
use crate::net::credentials::{Credentials, SecretKind};
use crate::net::ssh_config;
use crate::store::password_source::{PromptAnswer, forget_profile_secrets, ssh_secret_kinds};
use crate::store::secrets::SecretKey;
use crate::tasks::{Command, TaskId};
use shiftgate_core::profile::{Profile, ProfileId, SecretMode};

/// The secrets of `profile` that may be saved under its modes.
fn keychain_kinds(profile: &Profile) -> Vec<SecretKind> {
    let mut kinds = Vec::new();
    if profile.password_mode == SecretMode::Keychain {
        kinds.push(SecretKind::DbPassword);
    }
    if profile.ssh.secret_mode == SecretMode::Keychain {
        kinds.extend(ssh_secret_kinds(profile));
    }
    kinds
}

impl App {
    /// Run a secret-store job in the background — or at once when the store never waits
    /// (memory only), so nothing is deferred for no reason.
    pub(super) fn secret_job(&self, name: &str, job: impl FnOnce(&dyn Fn(Done)) + Send + 'static) {
        if self.secrets.answers_immediately() {
            self.background.run_inline(job);
        } else {
            self.background.spawn(name, job);
        }
    }

    /// Find out in the background which secrets the keychain holds for `profile`.
    pub(super) fn look_up_saved_secrets(&self, profile: &Profile) {
        let kinds = keychain_kinds(profile);
        if kinds.is_empty() {
            return;
        }
        let (secrets, id) = (self.secrets.clone(), profile.id.clone());
        self.secret_job("saved-secrets", move |send| {
            let present = kinds
                .into_iter()
                .filter(|kind| {
                    let key = SecretKey { profile: id.clone(), kind: *kind };
                    matches!(secrets.get(&key), Ok(Some(_)))
                })
                .collect();
            send(Done::SavedSecrets { profile: id, kinds: present });
        });
    }

    /// Fold finished background work into the state.
    pub(super) fn drain_background(&mut self) {
        while let Some(done) = self.background.try_recv() {
            match done {
                Done::SavedSecrets { profile, kinds } => {
                    if let Some(form) = self.state.form.as_mut().filter(|f| f.draft.id == profile) {
                        form.password_saved = kinds.contains(&SecretKind::DbPassword);
                        form.ssh.saved =
                            kinds.into_iter().filter(|k| *k != SecretKind::DbPassword).collect();
                    }
                }
                Done::Tell { level, text } => self.state.tell(level, text),
                Done::Alias(preview) => {
                    if let Some(form) = self.state.form.as_mut() {
                        form.ssh.alias_resolved(preview);
                    }
                }
                Done::ImportPreview(preview) => {
                    if let Err(message) = &preview.outcome {
                        self.state.log(LogLevel::Warn, message.clone());
                    }
                    self.state.dialog = Some(super::state::Dialog::Import(preview));
                }
            }
        }
    }

    /// Start looking up the form's `~/.ssh/config` alias if it changed.
    pub(super) fn refresh_alias_preview(&mut self) {
        let Some(form) = self.state.form.as_mut() else { return };
        let Some(alias) = form.ssh.alias_to_resolve(&form.draft) else { return };
        form.ssh.alias_requested = Some(alias.clone());
        let path = self.ssh_config.clone().or_else(ssh_config::default_config_path);
        self.background.spawn("ssh-alias", move |send| {
            let result = match path {
                Some(path) => ssh_config::resolve(&path, &alias),
                None => Err("no home directory, so no ~/.ssh/config".to_string()),
            };
            send(Done::Alias(AliasPreview { alias, result }));
        });
    }

    /// Store the secrets typed into the form (keychain mode) or drop saved ones (ask-every-time),
    /// in the background. `profile` is the version just saved.
    pub(super) fn save_form_secrets(&mut self, profile: &Profile) {
        let Some(form) = self.state.form.as_mut() else { return };
        let mut writes: Vec<(SecretKind, Option<Password>)> = Vec::new();
        match profile.password_mode {
            SecretMode::Keychain if form.password_edited && form.password.is_empty() => {
                writes.push((SecretKind::DbPassword, None))
            }
            SecretMode::Keychain if form.password_edited => {
                writes.push((SecretKind::DbPassword, Some(form.password.clone())))
            }
            SecretMode::Keychain => {}
            // Switching to "ask every time" removes a password saved earlier.
            SecretMode::AskEveryTime if form.password_saved => {
                writes.push((SecretKind::DbPassword, None))
            }
            SecretMode::AskEveryTime => {}
        }
        let ssh_kinds = ssh_secret_kinds(profile);
        match profile.ssh.secret_mode {
            SecretMode::Keychain => {
                for kind in &ssh_kinds {
                    if let Some(typed) = form.ssh.typed.get(kind).filter(|t| !t.is_empty()) {
                        writes.push((*kind, Some(typed.clone())));
                    }
                }
            }
            SecretMode::AskEveryTime => {
                writes.extend(form.ssh.saved.iter().map(|k| (*k, None)));
            }
        }
        form.password_edited = false;
        if profile.password_mode == SecretMode::Keychain {
            form.password = Password::new(String::new());
        }
        if profile.ssh.secret_mode == SecretMode::Keychain {
            form.ssh.typed.clear();
        }
        // The cache follows what is being written; a failure is reported when it happens.
        for (kind, secret) in &writes {
            match (kind, secret) {
                (SecretKind::DbPassword, s) => form.password_saved = s.is_some(),
                (k, Some(_)) => {
                    form.ssh.saved.insert(*k);
                }
                (k, None) => {
                    form.ssh.saved.remove(k);
                }
            }
        }
        if writes.is_empty() {
            return;
        }
        let (secrets, id, name) =
            (self.secrets.clone(), profile.id.clone(), profile.display_name());
        self.secret_job("save-secrets", move |send| {
            for (kind, secret) in writes {
                let key = SecretKey { profile: id.clone(), kind };
                let result = match &secret {
                    Some(s) => secrets.set(&key, s),
                    None => secrets.delete(&key),
                };
                if let Err(e) = result {
                    let what = kind.noun().to_lowercase();
                    send(Done::Tell {
                        level: LogLevel::Warn,
                        text: format!("Saved \"{name}\", but its {what} was not stored: {e}"),
                    });
                }
            }
        });
    }

    /// Copy the saved database password of `from` to `to`, in the background.
    pub(super) fn copy_saved_password(&self, from: &ProfileId, to: &ProfileId) {
        let (secrets, from, to) = (self.secrets.clone(), from.clone(), to.clone());
        self.secret_job("copy-password", move |send| {
            if let Ok(Some(pw)) = secrets.get(&SecretKey::db_password(&from))
                && let Err(e) = secrets.set(&SecretKey::db_password(&to), &pw)
            {
                send(Done::Tell {
                    level: LogLevel::Warn,
                    text: format!("The copy has no saved password: {e}"),
                });
            }
        });
    }

    /// Forget every secret of a deleted profile, in the background.
    pub(super) fn forget_secrets(&self, removed: Profile) {
        let secrets = self.secrets.clone();
        self.secret_job("forget-secrets", move |send| {
            if let Err(e) = forget_profile_secrets(secrets.as_ref(), &removed) {
                send(Done::Tell {
                    level: LogLevel::Warn,
                    text: format!("The saved secrets could not be removed: {e}"),
                });
            }
        });
    }

    /// Save one secret (a new catalog user's password) in the background.
    pub(super) fn store_secret(&self, key: SecretKey, secret: Password, done_text: String) {
        let secrets = self.secrets.clone();
        self.secret_job("store-secret", move |send| {
            let (level, text) = match secrets.set(&key, &secret) {
                Ok(()) => (LogLevel::Info, done_text),
                Err(e) => (LogLevel::Warn, format!("The password was not stored: {e}")),
            };
            send(Done::Tell { level, text });
        });
    }

    /// The secrets typed into the form, for a task on `profile` (none if the form holds another).
    pub(super) fn typed_credentials(
        &self,
        profile: &ProfileId,
        db: Option<Password>,
    ) -> Credentials {
        let mut credentials = Credentials::db_only(db);
        if let Some(form) = self.state.form.as_ref().filter(|f| &f.draft.id == profile) {
            for (kind, secret) in form.ssh.typed.iter().filter(|(_, s)| !s.is_empty()) {
                credentials.set(*kind, secret.clone());
            }
        }
        credentials
    }

    /// The database password typed into the form, if any.
    pub(super) fn typed_password(&self) -> Option<Password> {
        self.state.form.as_ref().map(|f| f.password.clone()).filter(|p| !p.is_empty())
    }

    /// Test the form's profile (all of it, or only its tunnel). Secrets not typed into the form
    /// are resolved by the task, which asks for what it can't find.
    pub(super) fn launch_test(&mut self, ctx: &egui::Context, tunnel_only: bool) {
        let Some(form) = self.state.form.as_ref() else { return };
        if self.state.test_running() || form.draft.host.trim().is_empty() {
            return;
        }
        if tunnel_only && !form.draft.ssh.enabled {
            return;
        }
        let profile = form.draft.clone();
        let credentials = self.typed_credentials(&profile.id, self.typed_password());
        let task = TaskId::next();
        let run = TestRun::start(task, profile.clone());
        let what = if tunnel_only { "the SSH tunnel of " } else { "" };
        self.state.log(
            LogLevel::Info,
            format!(
                "Testing {what}\"{}\" ({}, sslmode={})",
                profile.display_name(),
                run.report.target,
                profile.sslmode
            ),
        );
        self.state.run = Some(run);
        self.state.ui.results_tab = ResultsTab::TestReport;
        let profile = Box::new(profile);
        self.backend.submit(if tunnel_only {
            Command::TestTunnel { task, profile, credentials }
        } else {
            Command::TestConnection { task, profile, credentials }
        });
        ctx.request_repaint();
    }

    pub(super) fn browse_ssh_key(&mut self, slot: usize) {
        let current = self
            .state
            .form
            .as_ref()
            .and_then(|f| f.ssh.key_texts.get(slot))
            .map(|t| std::path::PathBuf::from(t.trim()))
            .filter(|p| !p.as_os_str().is_empty());
        if let Some(path) = self.file_picker.pick_key_file(current.as_deref())
            && let Some(form) = self.state.form.as_mut()
        {
            form.ssh.set_key_file(&mut form.draft, slot, path);
        }
    }

    /// Answer the first secret question; a database password given to an admin task is kept for
    /// the admin's next task (like a password typed before).
    pub(super) fn answer_secret(&mut self, give: bool) {
        if self.state.secret_prompts.is_empty() {
            return;
        }
        let q = self.state.secret_prompts.remove(0);
        let answer = give.then(|| PromptAnswer { secret: q.typed.clone(), remember: q.remember });
        if give
            && q.request.key.kind == SecretKind::DbPassword
            && matches!(
                self.state.owner_of(q.task),
                Some(TaskOwner::Discover | TaskOwner::OtherDatabase(_) | TaskOwner::Script(_))
            )
            && let Some(admin) = self.state.admin.as_mut()
        {
            admin.password = Some(q.typed);
        }
        if !q.reply.answer(answer) {
            self.state.tell(LogLevel::Warn, "The task waiting for that answer has already stopped");
        }
    }
}
