//! Applying the [`UiCommand`]s the panels return, one exhaustive match per command group: a new
//! variant does not compile until it is handled here. Profile and form commands are handled in
//! this file; the catalog-user tabs, transfers, the Audit tab and the store have their own files.

use super::App;
use super::command::{
    DialogCommand, FormCommand, ProfileCommand, TestCommand, UiCommand, ViewCommand,
};
use super::state::{ConfirmDialog, Dialog, FormState, LogLevel};
use crate::store::profiles::StoreError;
use crate::tasks::Command;
use crate::ui::log_panel::render_log;
use shiftgate_core::endpoint::{profile_url, psql_command};
use shiftgate_core::profile::{Engine, Profile, ProfileId, SecretMode};

impl App {
    /// Perform one command from the panels.
    pub fn apply_command(&mut self, ctx: &egui::Context, cmd: UiCommand) {
        match cmd {
            UiCommand::Profile(c) => self.apply_profile_command(ctx, c),
            UiCommand::Form(c) => self.apply_form_command(ctx, c),
            UiCommand::Test(c) => self.apply_test_command(ctx, c),
            UiCommand::Dialog(c) => self.apply_dialog_command(c),
            UiCommand::View(c) => self.apply_view_command(ctx, c),
            UiCommand::Catalog(c) => self.apply_catalog_command(ctx, c),
            UiCommand::Transfer(c) => self.apply_transfer_command(c),
            UiCommand::Audit(c) => self.apply_audit_command(ctx, c),
            UiCommand::Store(c) => self.apply_store_command(c),
        }
    }

    fn apply_profile_command(&mut self, ctx: &egui::Context, cmd: ProfileCommand) {
        let again = UiCommand::Profile(cmd.clone());
        match cmd {
            ProfileCommand::Select(id) => {
                if self.state.form.as_ref().is_some_and(|f| f.draft.id == id)
                    || self.ask_before_discarding(&again)
                {
                    return;
                }
                self.open_saved(&id);
            }
            ProfileCommand::NewProfile => {
                if !self.ask_before_discarding(&again) {
                    self.state.form = Some(FormState::new_draft(Profile::new(Engine::Redshift)));
                }
            }
            ProfileCommand::NewFromPaste => {
                if !self.ask_before_discarding(&again) {
                    let mut form = FormState::new_draft(Profile::new(Engine::Redshift));
                    form.paste_text = std::mem::take(&mut self.state.first_run_paste);
                    form.apply_paste();
                    self.state.form = Some(form);
                }
            }
            ProfileCommand::Duplicate(id) => {
                if !self.ask_before_discarding(&again) {
                    self.duplicate(&id);
                }
            }
            ProfileCommand::RequestDelete(id) => {
                let name = self
                    .store
                    .get(&id)
                    .map(Profile::display_name)
                    .unwrap_or_else(|| id.to_string());
                self.state.dialog = Some(Dialog::Confirm(ConfirmDialog {
                    title: "Delete profile?".into(),
                    message: format!(
                        "Delete \"{name}\" and its saved password? This cannot be undone."
                    ),
                    confirm_label: "Delete".into(),
                    on_confirm: UiCommand::Profile(ProfileCommand::Delete(id)),
                }));
            }
            ProfileCommand::Delete(id) => {
                self.state.dialog = None;
                self.delete(&id, false);
            }
            ProfileCommand::DiscardThen(next) => {
                self.state.dialog = None;
                self.state.form = None;
                self.apply_command(ctx, *next);
            }
        }
    }

    fn apply_form_command(&mut self, ctx: &egui::Context, cmd: FormCommand) {
        match cmd {
            FormCommand::Save => self.save_form(false),
            FormCommand::Revert => {
                if let Some(form) = self.state.form.as_mut() {
                    form.revert();
                }
            }
            FormCommand::ApplyPaste => {
                if let Some(form) = self.state.form.as_mut() {
                    form.apply_paste();
                }
            }
            FormCommand::BrowseCaFile => {
                let current = self.state.form.as_ref().and_then(|f| f.draft.ca_file.clone());
                if let Some(path) = self.file_picker.pick_ca_file(current.as_deref())
                    && let Some(form) = self.state.form.as_mut()
                {
                    form.set_ca_file(path);
                }
            }
            FormCommand::BrowseSshKey(slot) => self.browse_ssh_key(slot),
            FormCommand::CopyUrl => {
                if let Some(form) = &self.state.form {
                    ctx.copy_text(profile_url(&form.draft));
                    self.state.tell(LogLevel::Info, "URL copied (without the password)");
                }
            }
            FormCommand::CopyPsql => {
                if let Some(form) = &self.state.form {
                    ctx.copy_text(psql_command(&form.draft));
                    self.state.tell(LogLevel::Info, "psql command copied (without the password)");
                }
            }
        }
    }

    pub(super) fn apply_test_command(&mut self, ctx: &egui::Context, cmd: TestCommand) {
        match cmd {
            TestCommand::Connection => self.launch_test(ctx, false),
            TestCommand::Tunnel => self.launch_test(ctx, true),
            TestCommand::Cancel => {
                if let Some(run) = self.state.run.as_mut().filter(|r| r.running) {
                    run.cancel_requested = true;
                    let task = run.task;
                    self.backend.submit(Command::Cancel(task));
                    self.state.log(LogLevel::Info, "Cancelling the test…");
                }
            }
            TestCommand::CopyReport => {
                if let Some(run) = &self.state.run {
                    ctx.copy_text(run.report.render_text());
                    self.state.tell(LogLevel::Info, "Report copied to the clipboard");
                }
            }
        }
    }

    fn apply_dialog_command(&mut self, cmd: DialogCommand) {
        match cmd {
            DialogCommand::AnswerSecret(give) => self.answer_secret(give),
            DialogCommand::AnswerHostKey(accept) => self.answer_host_key(accept),
            DialogCommand::Close => self.state.dialog = None,
        }
    }

    fn apply_view_command(&mut self, ctx: &egui::Context, cmd: ViewCommand) {
        match cmd {
            ViewCommand::ShowTab(tab) => {
                self.state.ui.results_tab = tab;
                self.state.audit.shown = false;
            }
            ViewCommand::CopyLog => ctx.copy_text(render_log(&self.state.log)),
        }
    }

    /// Open a saved profile in the form.
    pub(super) fn open_saved(&mut self, id: &ProfileId) {
        let Some(profile) = self.store.get(id).cloned() else {
            self.state.tell(LogLevel::Error, format!("No profile with id {id}"));
            return;
        };
        // "Is a secret saved?" comes from the keychain in the background.
        self.look_up_saved_secrets(&profile);
        self.state.form = Some(FormState::for_saved(profile, false));
        self.state.ui.last_profile = Some(id.clone());
    }

    /// If the form has unsaved changes, ask before `cmd` replaces it; returns whether it asked.
    fn ask_before_discarding(&mut self, cmd: &UiCommand) -> bool {
        let Some(form) = self.state.form.as_ref().filter(|f| f.is_dirty()) else { return false };
        self.state.dialog = Some(Dialog::Confirm(ConfirmDialog {
            title: "Discard unsaved changes?".into(),
            message: format!(
                "\"{}\" has changes that are not saved. They will be lost.",
                form.draft.display_name()
            ),
            confirm_label: "Discard changes".into(),
            on_confirm: UiCommand::Profile(ProfileCommand::DiscardThen(Box::new(cmd.clone()))),
        }));
        true
    }

    fn duplicate(&mut self, id: &ProfileId) {
        let Some(original) = self.store.get(id).cloned() else { return };
        let mut copy = original.duplicate();
        let base = copy.name.clone();
        let mut n = 2;
        while self
            .store
            .profiles()
            .iter()
            .any(|p| p.name.trim().eq_ignore_ascii_case(copy.name.trim()))
        {
            copy.name = format!("{base} {n}");
            n += 1;
        }
        if let Err(e) = self.store.upsert(copy.clone()) {
            self.state.tell(LogLevel::Error, format!("Could not duplicate: {e}"));
            return;
        }
        self.state.store_revision += 1;
        if original.password_mode == SecretMode::Keychain {
            self.copy_saved_password(id, &copy.id);
        }
        self.state.tell(LogLevel::Info, format!("Created \"{}\"", copy.name));
        self.open_saved(&copy.id);
    }

    /// Delete; unless `force`, only the version the user saw (a change made elsewhere since opens
    /// the conflict dialog instead).
    pub(super) fn delete(&mut self, id: &ProfileId, force: bool) {
        match self.remove_checked(id, force) {
            Ok(removed) => {
                self.state.store_revision += 1;
                // The database password and every SSH secret of the profile go with it.
                self.forget_secrets(removed.clone());
                if self.state.form.as_ref().is_some_and(|f| &f.draft.id == id) {
                    self.state.form = None;
                }
                if self.state.ui.last_profile.as_ref() == Some(id) {
                    self.state.ui.last_profile = None;
                }
                self.state.tell(LogLevel::Info, format!("Deleted \"{}\"", removed.display_name()));
            }
            Err(StoreError::Conflict(_)) => {}
            Err(e) => self.state.tell(LogLevel::Error, format!("Could not delete: {e}")),
        }
    }

    /// Save the form; `keep_mine` overwrites a version changed elsewhere (after the conflict
    /// dialog), else such a save opens that dialog.
    pub(super) fn save_form(&mut self, keep_mine: bool) {
        let Some(form) = self.state.form.as_mut() else { return };
        if form.draft.name.trim().is_empty() {
            form.draft.name = form.draft.display_name();
        }
        let profile = form.draft.clone();
        let saved = if keep_mine {
            self.store.upsert_keep_mine(profile.clone())
        } else {
            self.store.upsert_expecting(profile.clone(), form.saved.as_ref())
        };
        if let Err(e) = saved {
            self.state.store_revision += 1;
            if let StoreError::Conflict(conflict) = e {
                form.save_error = Some(conflict.describe());
                self.state.tell(LogLevel::Warn, format!("Not saved yet: {}", conflict.describe()));
                self.sync.conflict = Some(*conflict);
                return;
            }
            let msg = format!("Not saved: {e}");
            form.save_error = Some(msg.clone());
            self.state.tell(LogLevel::Error, msg);
            return;
        }
        form.save_error = None;
        form.saved = Some(profile.clone());
        self.save_form_secrets(&profile);
        self.state.store_revision += 1;
        self.state.ui.last_profile = Some(profile.id.clone());
        self.state.tell(LogLevel::Info, format!("Saved \"{}\"", profile.display_name()));
    }
}
