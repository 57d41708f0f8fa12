//! Command handling for the catalog-user tabs (Setup, Verify, Teardown) and the host-key dialog:
//! resolve the admin's or the catalog user's password, start discovery / script runs / verify as
//! tasks, copy and save scripts exactly as shown, save the new user as a profile, answer host keys.
//!
//! The UI thread never waits here: tasks go to the backend and report back as events.

use super::App;
use super::command::{CatalogCommand, TestCommand, UiCommand};
use super::provision_state::{
    AdminSession, Pending, ReviewedScript, ScriptPane, ScriptRunState, ScriptSlot, TaskOwner,
    VerifyTarget, dialect_of,
};
use super::state::{LogLevel, ResultsTab};
use crate::net::connect::Password;
use crate::store::secrets::SecretKey;
use crate::tasks::{Command, TaskId};
use crate::ui::setup_panel::{SetupView, setup_panel_ui};
use crate::ui::teardown_panel::{TeardownView, teardown_panel_ui};
use crate::ui::verify_panel::{VerifyView, verify_panel_ui};
use shiftgate_core::profile::{Profile, ProfileId, SecretMode};
use shiftgate_core::sql::Dialect;

impl App {
    /// Perform a catalog-user command.
    pub(super) fn apply_catalog_command(&mut self, ctx: &egui::Context, cmd: CatalogCommand) {
        match cmd {
            CatalogCommand::Discover => {
                if self.state.setup.discovering.is_some()
                    || self.state.form.as_ref().is_none_or(|f| f.draft.host.trim().is_empty())
                {
                    return;
                }
                self.launch_discover(ctx, self.typed_password());
            }
            CatalogCommand::CancelTask(TaskOwner::Test) => {
                self.apply_test_command(ctx, TestCommand::Cancel)
            }
            CatalogCommand::CancelTask(owner) => {
                if let Some(pending) = self.state.pending_mut(owner).filter(|p| !p.cancel_requested)
                {
                    pending.cancel_requested = true;
                    let task = pending.task;
                    self.backend.submit(Command::Cancel(task));
                    self.state.log(LogLevel::Info, "Cancelling…");
                }
            }
            CatalogCommand::CopyScript(slot) => {
                let Some((script, reveal)) = self.slot_script(slot) else { return };
                ctx.copy_text(script.text(reveal).to_string());
                let note = match (script.has_secrets(), reveal) {
                    (false, _) => "",
                    (true, false) => " (password masked)",
                    (true, true) => " (with the password)",
                };
                let text = format!("{}{note} copied to the clipboard", capitalised(slot.noun()));
                self.state.tell(LogLevel::Info, text);
            }
            CatalogCommand::SaveScript(slot) => self.save_script(slot),
            CatalogCommand::RunScript(slot) => self.run_script(ctx, slot),
            CatalogCommand::PrefillVerify => self.prefill_verify(),
            CatalogCommand::SaveCatalogProfile => self.save_catalog_profile(),
            CatalogCommand::Verify => self.verify(ctx),
            CatalogCommand::ReadOtherDatabases => self.read_other_databases(ctx),
        }
    }

    fn launch_discover(&mut self, ctx: &egui::Context, password: Option<Password>) {
        let Some(form) = self.state.form.as_ref() else { return };
        let profile = form.draft.clone();
        let task = TaskId::next();
        self.state.setup.begin_discovery(task, profile.display_name());
        self.state.admin =
            Some(AdminSession { profile: profile.clone(), password: password.clone() });
        self.state.log(
            LogLevel::Info,
            format!(
                "Discovering as \"{}\" ({}@{}:{})",
                profile.display_name(),
                profile.user,
                profile.host,
                profile.port
            ),
        );
        self.state.ui.results_tab = ResultsTab::Setup;
        let credentials = self.typed_credentials(&profile.id, password);
        self.backend.submit(Command::Discover { task, profile: Box::new(profile), credentials });
        ctx.request_repaint();
    }

    /// The script of `slot` and whether its password is revealed.
    fn slot_script(&self, slot: ScriptSlot) -> Option<(&ReviewedScript, bool)> {
        let pane = self.state.pane(slot)?;
        pane.reviewed_script().map(|x| (x, pane.review().reveal))
    }

    fn slot_reviewed(&self, slot: ScriptSlot) -> bool {
        self.state.pane(slot).is_some_and(|p| p.review().reviewed)
    }

    fn any_script_running(&self) -> bool {
        self.state
            .script_slots()
            .any(|slot| self.state.script_run(slot).is_some_and(ScriptRunState::running))
    }

    /// The database the admin's session is in (discovered, else the profile's).
    fn home_database(&self) -> String {
        match (&self.state.setup.found, &self.state.admin, &self.state.form) {
            (Some(found), _, _) => found.server.current_database.clone(),
            (None, Some(admin), _) => admin.profile.database.clone(),
            (None, None, Some(form)) => form.draft.database.clone(),
            (None, None, None) => String::new(),
        }
    }

    /// Read the live privileges of every other database on the Teardown tab not read yet, as the
    /// admin (the Discover session, else the profile open in the form).
    fn read_other_databases(&mut self, ctx: &egui::Context) {
        if self.state.admin.is_none() {
            let password = self.typed_password();
            let Some(form) = self.state.form.as_ref().filter(|f| !f.draft.host.trim().is_empty())
            else {
                return;
            };
            self.state.admin = Some(AdminSession { profile: form.draft.clone(), password });
        }
        let Some(admin) = self.state.admin.as_ref() else { return };
        let (admin_profile, password) = (admin.profile.clone(), admin.password.clone());
        let mut launches = Vec::new();
        for other in self.state.teardown.others.iter_mut() {
            if other.discovering.is_some() {
                continue;
            }
            let task = TaskId::next();
            other.discovering = Some(Pending::new(task));
            other.live = None;
            let mut profile = admin_profile.clone();
            profile.database = other.name.clone();
            launches.push((task, profile));
        }
        for (task, profile) in launches {
            self.state.log(
                LogLevel::Info,
                format!(
                    "Reading the live privileges in {} as \"{}\"",
                    profile.database,
                    admin_profile.display_name()
                ),
            );
            let credentials = self.typed_credentials(&profile.id, password.clone());
            self.backend.submit(Command::Discover {
                task,
                profile: Box::new(profile),
                credentials,
            });
        }
        ctx.request_repaint();
    }

    /// Why no script may start now, if so.
    fn run_blocked(&self) -> Option<String> {
        if self.any_script_running() {
            Some("Another script is running".into())
        } else if self.state.admin.is_none()
            && self.state.form.as_ref().is_none_or(|f| f.draft.host.trim().is_empty())
        {
            Some("No admin: select the admin's profile on the left".into())
        } else {
            None
        }
    }

    fn save_script(&mut self, slot: ScriptSlot) {
        let Some(text) = self
            .slot_script(slot)
            .map(|(script, reveal)| Password::new(script.text(reveal).to_string()))
        else {
            return;
        };
        let Some(path) = self.file_picker.save_file(slot.file_name()) else { return };
        let noun = slot.noun();
        // Written in the background: a slow or network disk must not freeze the window.
        self.background.spawn("save-sql", move |send| {
            let (level, text) = match std::fs::write(&path, text.as_bytes()) {
                Ok(()) => (LogLevel::Info, format!("Saved the {noun} to {}", path.display())),
                Err(e) => (
                    LogLevel::Error,
                    format!("Could not save the {noun} to {}: {e}", path.display()),
                ),
            };
            send(super::background::Done::Tell { level, text });
        });
    }

    fn run_script(&mut self, ctx: &egui::Context, slot: ScriptSlot) {
        if self.run_blocked().is_some()
            || !self.slot_reviewed(slot)
            || self.slot_script(slot).is_none()
            || (slot == ScriptSlot::Teardown && self.state.teardown.others_pending().is_some())
        {
            return;
        }
        if self.state.admin.is_some() {
            self.launch_script(ctx, slot);
            return;
        }
        // No discovery yet: the profile open in the form is the admin (the task asks for its
        // password if none was typed and none is saved).
        let password = self.typed_password();
        if let Some(form) = &self.state.form {
            self.state.admin = Some(AdminSession { profile: form.draft.clone(), password });
            self.launch_script(ctx, slot);
        }
    }

    fn launch_script(&mut self, ctx: &egui::Context, slot: ScriptSlot) {
        let Some(admin) = self.state.admin.as_ref() else { return };
        let Some((reviewed, _)) = self.slot_script(slot) else { return };
        let script = reviewed.script.clone();
        let (mut profile, password) = (admin.profile.clone(), admin.password.clone());
        if let ScriptSlot::OtherDatabase(i) = slot {
            // The same admin connection, in the other database.
            let Some(other) = self.state.teardown.others.get(i) else { return };
            profile.database = other.name.clone();
        }
        let task = TaskId::next();
        let total = reviewed.statement_count();
        let run = ScriptRunState::start(task, &script, profile.display_name());
        // Another database's revokes leave this database's live state as discovery read it.
        if !matches!(slot, ScriptSlot::OtherDatabase(_)) {
            self.state.setup.found_stale = true;
        }
        if slot == ScriptSlot::Setup {
            self.state.setup.launched_plan =
                self.state.setup.pane.script.key().map(|(plan, _, _)| plan.clone());
            self.state.setup.launched_record =
                self.state.setup.pane.script.key().map(|(plan, existing, options)| {
                    let db =
                        self.state.setup.found.as_ref().map(|f| f.server.current_database.clone());
                    crate::tasks::provision::applied_record(
                        plan,
                        &db.unwrap_or_else(|| profile.database.clone()),
                        existing,
                        *options,
                    )
                });
            self.state.setup.saved_profile = None;
        }
        if slot == ScriptSlot::Teardown
            && let Some((plan, ..)) = self.state.teardown.pane.script.key()
        {
            let databases = std::iter::once(self.home_database())
                .chain(self.state.teardown.others.iter().map(|o| o.name.clone()))
                .collect();
            self.state.teardown.launched = Some((plan.user.clone(), databases));
        }
        let Some(slot_run) = self.state.script_run_mut(slot) else { return };
        *slot_run = Some(run);
        self.state.log(
            LogLevel::Info,
            format!(
                "Running the {} as \"{}\" ({total} statements)",
                slot.noun(),
                profile.display_name()
            ),
        );
        let credentials = self.typed_credentials(&profile.id, password);
        self.backend.submit(Command::RunScript {
            task,
            profile: Box::new(profile),
            credentials,
            script: Box::new(script),
        });
        ctx.request_repaint();
    }

    /// A copy of the admin's connection that logs in as `user` (no password command: the admin's
    /// would answer with the admin's password).
    fn admin_as(&self, user: &str) -> Option<Profile> {
        let admin = self.state.admin.as_ref()?;
        let mut p = admin.profile.clone();
        p.id = ProfileId::new_random();
        p.user = user.to_string();
        p.password_command = None;
        p.password_mode = SecretMode::Keychain;
        p.name = format!("{} as {user}", admin.profile.display_name());
        Some(p)
    }

    fn prefill_verify(&mut self) {
        let Some(plan) = self.state.setup.launched_plan.clone() else { return };
        let Some(adhoc) = self.admin_as(&plan.user) else { return };
        let verify = &mut self.state.verify;
        verify.adhoc = Some(adhoc);
        verify.target = Some(match &self.state.setup.saved_profile {
            Some(id) => VerifyTarget::Saved(id.clone()),
            None => VerifyTarget::Adhoc,
        });
        verify.password = Password::new(plan.password.clone());
        verify.source = super::provision_state::PlanSource::Setup;
        self.state.ui.results_tab = ResultsTab::Verify;
    }

    /// After a successful setup run: save what it applied (and what existed before) with the admin
    /// profile, through the store's upsert on a fresh copy. Teardown reads it to remove only
    /// what setup added.
    pub(super) fn save_setup_record(&mut self) {
        if !self.state.setup.pane.run.as_ref().is_some_and(|r| r.succeeded()) {
            return;
        }
        let Some(record) = self.state.setup.launched_record.take() else { return };
        let Some(admin) = self.state.admin.as_ref() else { return };
        let Some(mut fresh) = self.store.get(&admin.profile.id).cloned() else {
            self.state.log(
                LogLevel::Warn,
                "The setup record was not saved: the admin profile is not a saved profile.",
            );
            return;
        };
        let name = fresh.display_name();
        shiftgate_core::sql::record_applied(&mut fresh.applied_plans, record);
        match self.store.upsert(fresh) {
            Ok(()) => {
                self.state.store_revision += 1;
                self.state.log(LogLevel::Info, format!("Saved the setup record with \"{name}\""));
            }
            Err(e) => {
                self.state.tell(LogLevel::Error, format!("Could not save the setup record: {e}"))
            }
        }
    }

    /// After a successful teardown run: drop the setup records of that user in this database and
    /// the other databases from the admin profile (as `teardown --apply` does).
    pub(super) fn forget_torn_down_records(&mut self) {
        if !self.state.teardown.pane.run.as_ref().is_some_and(|r| r.succeeded()) {
            return;
        }
        let Some((user, databases)) = self.state.teardown.launched.take() else { return };
        let Some(admin) = self.state.admin.as_ref() else { return };
        let Some(mut fresh) = self.store.get(&admin.profile.id).cloned() else { return };
        let before = fresh.applied_plans.len();
        fresh.applied_plans.retain(|r| !(r.plan.user == user && databases.contains(&r.database)));
        if fresh.applied_plans.len() == before {
            return;
        }
        let name = fresh.display_name();
        match self.store.upsert(fresh) {
            Ok(()) => {
                self.state.store_revision += 1;
                self.state.log(
                    LogLevel::Info,
                    format!("Removed the setup record of \"{user}\" from \"{name}\""),
                );
            }
            Err(e) => {
                self.state.tell(LogLevel::Error, format!("Could not remove the setup record: {e}"))
            }
        }
    }

    fn save_catalog_profile(&mut self) {
        let Some(plan) = self.state.setup.launched_plan.clone() else { return };
        let Some(mut profile) = self.admin_as(&plan.user) else { return };
        let base = profile.name.clone();
        let mut n = 2;
        while self
            .store
            .profiles()
            .iter()
            .any(|p| p.name.trim().eq_ignore_ascii_case(profile.name.trim()))
        {
            profile.name = format!("{base} {n}");
            n += 1;
        }
        profile.notes = format!(
            "Read-only catalog user ({} {}) created by Shiftgate setup.",
            plan.access.kind_word(),
            plan.access.name()
        );
        // An IAM-only user logs in with temporary credentials for itself, on the policy's cluster.
        let iam_login = self.state.setup.iam_login;
        if iam_login {
            let admin = self.state.admin.as_ref().map(|a| &a.profile);
            let target = self.state.setup.iam_policy_target(admin);
            profile.auth = shiftgate_core::profile::AuthSettings {
                method: shiftgate_core::profile::AuthMethod::Iam,
                cluster_id: target.cluster_id,
                region: target.region,
                db_user: plan.user.clone(),
                aws_profile: profile.auth.aws_profile.clone(),
                ..Default::default()
            };
        }
        if let Err(e) = self.store.upsert(profile.clone()) {
            self.state.tell(LogLevel::Error, format!("Could not save the profile: {e}"));
            return;
        }
        self.state.store_revision += 1;
        self.state.setup.saved_profile = Some(profile.id.clone());
        self.state.verify.target = Some(VerifyTarget::Saved(profile.id.clone()));
        self.state.tell(LogLevel::Info, format!("Saved \"{}\"", profile.name));
        if iam_login {
            return;
        }
        self.store_secret(
            SecretKey::db_password(&profile.id),
            Password::new(plan.password.clone()),
            format!("The password of \"{}\" is in {}", profile.name, self.secrets_name),
        );
    }

    /// The profile Verify logs in with.
    fn verify_login(&self) -> Option<Profile> {
        match &self.state.verify.target {
            Some(VerifyTarget::Adhoc) => self.state.verify.adhoc.clone(),
            Some(VerifyTarget::Saved(id)) => self.store.get(id).cloned(),
            None => None,
        }
    }

    /// Before the Verify tab has a target: the new user's connection, else the selected profile.
    fn default_verify_target(&mut self) {
        if self.state.verify.target.is_some() {
            return;
        }
        self.state.verify.target = if self.state.verify.adhoc.is_some() {
            Some(VerifyTarget::Adhoc)
        } else {
            self.state.selected_id().cloned().map(VerifyTarget::Saved)
        };
    }

    fn verify(&mut self, ctx: &egui::Context) {
        let Some(login) = self.verify_login() else { return };
        if self.state.verify.pending.is_some() {
            return;
        }
        // Typed in the Verify tab, else typed in the form for the same profile, else the task
        // resolves it (password command, keychain, or asks).
        let password = if !self.state.verify.password.is_empty() {
            Some(self.state.verify.password.clone())
        } else {
            self.state
                .form
                .as_ref()
                .filter(|f| f.draft.id == login.id && !f.password.is_empty())
                .map(|f| f.password.clone())
        };
        self.launch_verify(ctx, password);
    }

    fn launch_verify(&mut self, ctx: &egui::Context, password: Option<Password>) {
        let Some(mut login) = self.verify_login() else { return };
        // The drift baseline: the setup recorded (with the admin's profile) for this user.
        login.applied_plans = shiftgate_core::sql::baselines_for(self.store.profiles(), &login);
        let setup_plan = self.state.setup.plan_for_followup();
        let plan = self.state.verify.plan(setup_plan.as_ref(), login.engine);
        let task = TaskId::next();
        let verify = &mut self.state.verify;
        verify.pending = Some(Pending::new(task));
        verify.checked_plan = Some(plan.clone());
        verify.result = None;
        verify.fix = ScriptPane::default();
        self.state.log(
            LogLevel::Info,
            format!(
                "Verifying as {} ({}:{}/{})",
                login.user, login.host, login.port, login.database
            ),
        );
        let credentials = self.typed_credentials(&login.id, password);
        self.backend.submit(Command::Verify {
            task,
            profile: Box::new(login),
            credentials,
            plan: Box::new(plan),
        });
        ctx.request_repaint();
    }

    pub(super) fn answer_host_key(&mut self, accept: bool) {
        if self.state.host_keys.is_empty() {
            return;
        }
        let q = self.state.host_keys.remove(0);
        let delivered = q.reply.answer(accept);
        let k = &q.question;
        let what = format!("{} key {} of {}:{}", k.key_type, k.fingerprint_sha256, k.host, k.port);
        let (level, text) = match (accept, delivered) {
            (true, true) => (
                LogLevel::Info,
                format!("Trusted the {what}; it is remembered in Shiftgate's known-hosts file"),
            ),
            (false, true) => (LogLevel::Warn, format!("Refused the {what}; the connection stops")),
            (_, false) => {
                (LogLevel::Warn, format!("The task waiting for the {what} has already stopped"))
            }
        };
        self.state.tell(level, text);
    }

    /// Draw a catalog-user tab.
    pub(super) fn workflow_ui(&mut self, ui: &mut egui::Ui, tab: ResultsTab) -> Vec<UiCommand> {
        let selected = self
            .state
            .form
            .as_ref()
            .filter(|f| !f.draft.host.trim().is_empty())
            .map(|f| f.draft.display_name());
        let admin_name = self.state.admin.as_ref().map(|a| a.profile.display_name());
        let run_blocked = self.run_blocked();
        match tab {
            ResultsTab::Setup => {
                let view = SetupView {
                    selected,
                    admin: admin_name.as_deref(),
                    run_blocked,
                    catalog_profile_saved: self.state.setup.saved_profile.is_some(),
                    admin_profile: self.state.admin.as_ref().map(|a| &a.profile),
                };
                setup_panel_ui(ui, &mut self.state.setup, view)
            }
            ResultsTab::Verify => {
                self.default_verify_target();
                let setup_plan = self.state.setup.plan_for_followup();
                let login = self.verify_login();
                let plan = self.state.verify.plan(
                    setup_plan.as_ref(),
                    login.as_ref().map(|p| p.engine).unwrap_or_default(),
                );
                let view = VerifyView {
                    profiles: self.store.profiles(),
                    setup_plan: setup_plan.as_ref(),
                    login: login.as_ref(),
                    plan: &plan,
                    admin: admin_name.as_deref(),
                    fix_blocked: run_blocked,
                };
                verify_panel_ui(ui, &mut self.state.verify, view)
            }
            ResultsTab::Teardown => {
                let setup_plan = self.state.setup.plan_for_followup();
                let admin = self.state.admin.as_ref().map(|a| &a.profile).or(self
                    .state
                    .form
                    .as_ref()
                    .map(|f| &f.draft));
                let dialect = self
                    .state
                    .setup
                    .dialect()
                    .or(admin.map(|p| dialect_of(p.engine)))
                    .unwrap_or(Dialect::Redshift);
                let admin_user = admin.map(|p| p.user.clone()).unwrap_or_default();
                let admin_label = match (&admin_name, &selected) {
                    (Some(name), _) => Some(name.clone()),
                    (None, Some(name)) => Some(format!("{name} (the profile open in the form)")),
                    (None, None) => None,
                };
                let applied = admin
                    .and_then(|p| self.store.get(&p.id))
                    .map(|p| p.applied_plans.clone())
                    .unwrap_or_default();
                let database = self
                    .state
                    .setup
                    .found
                    .as_ref()
                    .map(|f| f.server.current_database.clone())
                    .unwrap_or_default();
                let home_database = self.home_database();
                let view = TeardownView {
                    home_database: &home_database,
                    setup_plan: setup_plan.as_ref(),
                    admin: admin_label,
                    admin_user: &admin_user,
                    dialect,
                    existing: self.state.setup.found.as_ref().map(|f| f.discovery.existing_state()),
                    live_stale: self.state.setup.found_stale,
                    applied: &applied,
                    database: &database,
                    run_blocked,
                };
                teardown_panel_ui(ui, &mut self.state.teardown, view)
            }
            ResultsTab::TestReport | ResultsTab::Log => Vec::new(),
        }
    }

    /// Whether a catalog-user tab has a task running (its title is drawn in italics).
    pub(super) fn workflow_busy(&self, tab: ResultsTab) -> bool {
        let s = &self.state;
        let running = |slot| s.script_run(slot).is_some_and(ScriptRunState::running);
        match tab {
            ResultsTab::Setup => s.setup.discovering.is_some() || running(ScriptSlot::Setup),
            ResultsTab::Verify => s.verify.pending.is_some() || running(ScriptSlot::VerifyFix),
            ResultsTab::Teardown => {
                running(ScriptSlot::Teardown)
                    || running(ScriptSlot::Cleanup)
                    || s.teardown.others.iter().any(|o| o.discovering.is_some() || o.pane.running())
            }
            ResultsTab::TestReport => s.test_running(),
            ResultsTab::Log => false,
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
