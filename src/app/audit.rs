//! Command handling for the Audit tab: start the audit as the admin (the Discover session, else
//! the profile open in the form with its typed or saved password), copy the matrix as CSV and
//! converge scripts as shown, run a reviewed converge script, and record the converged plan with
//! the admin profile when it ran to the end. Tasks go to the backend; the UI thread never waits.

use super::App;
use super::audit_state::{AuditAdmin, AuditCommand, AuditEffect};
use super::provision_state::ScriptRunState;
use super::state::LogLevel;
use crate::net::credentials::Credentials;
use crate::tasks::audit::AuditRequest;
use crate::tasks::{Command, Event, TaskId};
use crate::ui::audit_panel::{AuditView, audit_panel_ui};
use shiftgate_core::sql::audit::AuditScope;
use shiftgate_core::sql::drift::DriftOptions;
use shiftgate_core::sql::{AppliedPlan, record_applied};

impl App {
    /// An event of one of the Audit tab's tasks: log lines, host-key and secret questions go where the
    /// other tabs' go; the rest to the tab's state.
    pub(super) fn audit_event(&mut self, event: Event) {
        match event {
            Event::Log { line, .. } => self.state.log(LogLevel::Info, line),
            prompt @ (Event::HostKeyPrompt { .. } | Event::SecretPrompt { .. }) => {
                self.state.ask_user(prompt)
            }
            event => {
                if let Event::Finished { task, .. } = &event {
                    self.state.host_keys.retain(|q| q.task != *task);
                    self.state.secret_prompts.retain(|q| q.task != *task);
                }
                if let AuditEffect::Converged(i) = self.state.audit.apply(event) {
                    self.record_converged(i);
                }
            }
        }
    }

    pub(super) fn apply_audit_command(&mut self, ctx: &egui::Context, cmd: AuditCommand) {
        match cmd {
            AuditCommand::Show => self.state.audit.shown = true,
            AuditCommand::Run => self.run_audit(ctx),
            AuditCommand::Cancel => {
                if let Some(p) = self.state.audit.pending.as_mut() {
                    p.cancel_requested = true;
                    self.backend.submit(Command::Cancel(p.task));
                }
            }
            AuditCommand::CopyCsv => {
                if let Some(o) = self.state.audit.matrix_outcome() {
                    ctx.copy_text(o.matrix.to_csv());
                    self.state.tell(LogLevel::Info, "Copied the access matrix as CSV");
                }
            }
            AuditCommand::Open { grantee, schema } => {
                self.state.audit.open = Some((grantee, schema));
            }
            AuditCommand::CopyConverge(i) => {
                if let Some(pane) = self.state.audit.converge.get(i)
                    && let Some(script) = pane.reviewed_script()
                {
                    ctx.copy_text(script.text(pane.review.reveal).to_string());
                    self.state.tell(LogLevel::Info, "Copied the converge script");
                }
            }
            AuditCommand::RunConverge(i) => self.run_converge(ctx, i),
            AuditCommand::CancelConverge(i) => {
                if let Some(p) = self
                    .state
                    .audit
                    .converge
                    .get_mut(i)
                    .and_then(|c| c.run.as_mut())
                    .and_then(|r| r.pending.as_mut())
                {
                    p.cancel_requested = true;
                    self.backend.submit(Command::Cancel(p.task));
                }
            }
        }
    }

    /// The admin for the audit: the Discover session, else the form's profile with a password
    /// that is typed or saved (the audit does not open the password prompt).
    fn audit_admin(&mut self) -> Result<AuditAdmin, String> {
        if let Some(a) = &self.state.admin {
            return Ok(AuditAdmin { profile: a.profile.clone(), password: a.password.clone() });
        }
        let Some(profile) = self
            .state
            .form
            .as_ref()
            .filter(|f| !f.draft.host.trim().is_empty())
            .map(|f| f.draft.clone())
        else {
            return Err("No admin: select the admin's profile on the left.".into());
        };
        // Secrets not typed into the form are resolved by the task (password command →
        // keychain → ask), like every other tab's.
        Ok(AuditAdmin { profile, password: self.typed_password() })
    }

    fn run_audit(&mut self, ctx: &egui::Context) {
        if self.state.audit.running() {
            return;
        }
        let admin = match self.audit_admin() {
            Ok(a) => a,
            Err(why) => {
                self.state.audit.blocked = Some(why);
                return;
            }
        };
        // The saved profile carries the applied plans (the drift baseline).
        let profile = self.store.get(&admin.profile.id).cloned().unwrap_or(admin.profile.clone());
        let task = TaskId::next();
        let request = AuditRequest {
            scope: AuditScope { schemas: self.state.audit.schema_scope(), ..AuditScope::default() },
            drift: DriftOptions { adopt_new_schemas: self.state.audit.adopt_new_schemas },
        };
        self.state.log(LogLevel::Info, format!("Auditing as \"{}\"", profile.display_name()));
        let credentials = self.typed_credentials(&profile.id, admin.password.clone());
        self.state
            .audit
            .start(task, AuditAdmin { profile: profile.clone(), password: admin.password });
        self.backend.submit(Command::Audit {
            task,
            profile: Box::new(profile),
            credentials,
            request: Box::new(request),
        });
        ctx.request_repaint();
    }

    fn converge_blocked(&self) -> Option<String> {
        if self.state.audit.any_converge_running() {
            Some("Another converge script is running".into())
        } else if self.state.audit.admin.is_none() {
            Some("Run the audit first".into())
        } else {
            None
        }
    }

    fn run_converge(&mut self, ctx: &egui::Context, i: usize) {
        if self.converge_blocked().is_some() {
            return;
        }
        let audit = &mut self.state.audit;
        let (Some(admin), Some(pane)) = (audit.admin.as_ref(), audit.converge.get_mut(i)) else {
            return;
        };
        let Some(reviewed) = pane.script.script().filter(|_| pane.review.reviewed) else {
            return;
        };
        let script = reviewed.script.clone();
        let task = TaskId::next();
        pane.run = Some(ScriptRunState::start(task, &script, admin.profile.display_name()));
        let (profile, password) = (admin.profile.clone(), admin.password.clone());
        self.state.log(
            LogLevel::Info,
            format!("Running the converge script as \"{}\"", profile.display_name()),
        );
        self.backend.submit(Command::RunScript {
            task,
            profile: Box::new(profile),
            credentials: Credentials::db_only(password),
            script: Box::new(script),
        });
        ctx.request_repaint();
    }

    /// Converge script `i` ran to the end: its converged plan replaces the profile's record.
    fn record_converged(&mut self, i: usize) {
        let Some(report) = self.state.audit.drifted().get(i).map(|d| (*d).clone()) else { return };
        let Some(id) = self.state.audit.admin.as_ref().map(|a| a.profile.id.clone()) else {
            return;
        };
        let Some(mut profile) = self.store.get(&id).cloned() else {
            self.state.tell(
                LogLevel::Warn,
                "Converged; the admin profile is not saved, so the plan was not recorded",
            );
            return;
        };
        let converged = AppliedPlan::after_converge(
            &profile.applied_plans,
            &report.database,
            crate::tasks::audit::now_rfc3339(),
            report.converged_plan.clone(),
        );
        record_applied(&mut profile.applied_plans, converged);
        match self.store.upsert(profile) {
            Ok(()) => {
                self.state.store_revision += 1;
                self.state.tell(
                    LogLevel::Info,
                    format!("Converged \"{}\" and recorded the plan", report.user),
                );
            }
            Err(e) => self.state.tell(LogLevel::Error, format!("Converged, but not recorded: {e}")),
        }
    }

    /// The Audit tab's contents.
    pub(super) fn audit_tab_ui(&mut self, ui: &mut egui::Ui) -> Vec<super::UiCommand> {
        let admin = self.state.admin.as_ref().map(|a| a.profile.display_name()).or_else(|| {
            self.state
                .form
                .as_ref()
                .filter(|f| !f.draft.host.trim().is_empty())
                .map(|f| f.draft.display_name())
        });
        // The picker offers the schemas discovery or an earlier audit found.
        let mut known_schemas: Vec<String> = self
            .state
            .setup
            .found
            .iter()
            .flat_map(|f| f.discovery.schemas.iter().map(|s| s.name.clone()))
            .chain(
                self.state
                    .audit
                    .matrix_outcome()
                    .into_iter()
                    .flat_map(|o| o.matrix.schemas.iter().map(|s| s.name.clone())),
            )
            .collect();
        known_schemas.sort();
        known_schemas.dedup();
        let view = AuditView { admin, run_blocked: self.converge_blocked(), known_schemas };
        egui::ScrollArea::vertical()
            .id_salt("audit_tab")
            .auto_shrink([false, false])
            .show(ui, |ui| audit_panel_ui(ui, &mut self.state.audit, view))
            .inner
    }
}
