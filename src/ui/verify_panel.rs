//! The Verify tab: log in as the catalog user (the profile made after setup, the admin's
//! connection with the new user's name, or any saved profile) and check every planned schema —
//! visible, USAGE, tables readable, read probe, late-binding columns — with a verdict per schema.
//! Gaps come with the fix script in the shared review, to copy or run as the admin.
//!
//! The plan comes from the Setup tab, or is typed in (user, group/role, schemas) when there is none;
//! "Future creators" adds users that will create tables later. The report also answers "will
//! tomorrow's table be readable?" per schema and creator, and shows what the catalog tool's own
//! definitions query returns per schema. Draws and returns commands; never connects itself.

use super::report_panel::{ok_colour, status_icon_ui};
use super::sql_review::{ReviewArgs, failure_ui, pending_ui, script_run_ui, sql_review_ui};
use crate::app::audit_state::AuditCommand;
use crate::app::command::{CatalogCommand, UiCommand};
use crate::app::provision_state::{PlanSource, ScriptSlot, TaskOwner, VerifyState, VerifyTarget};
use egui::{Button, ComboBox, Grid, RichText, ScrollArea, TextEdit, Ui};
use shiftgate_core::profile::Profile;
use shiftgate_core::report::StepStatus;
use shiftgate_core::sql::forecast::{Evidence, Outcome};
use shiftgate_core::sql::{SchemaKind, SetupPlan, Verdict, VerifyDrift, VerifyReport};

/// What the tab shows besides its own state.
pub struct VerifyView<'a> {
    /// Saved profiles, to log in with.
    pub profiles: &'a [Profile],
    /// The Setup tab's plan (the one that ran, else the one being edited), if any.
    pub setup_plan: Option<&'a SetupPlan>,
    /// The profile Verify logs in with, resolved from the target.
    pub login: Option<&'a Profile>,
    /// The plan Verify would check now.
    pub plan: &'a SetupPlan,
    /// Display name of the admin the fix runs as (None: the profile open in the form).
    pub admin: Option<&'a str>,
    /// Why the fix can't run now, if so.
    pub fix_blocked: Option<String>,
}

pub fn verify_panel_ui(
    ui: &mut Ui,
    verify: &mut VerifyState,
    view: VerifyView<'_>,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    ScrollArea::vertical().id_salt("verify_scroll").auto_shrink([false, false]).show(ui, |ui| {
        login_ui(ui, verify, &view);
        ui.add_space(4.0);
        plan_ui(ui, verify, &view);
        ui.add_space(4.0);
        run_ui(ui, verify, &view, &mut out);
        if let Some(pending) = &verify.pending {
            out.extend(pending_ui(
                ui,
                pending,
                &format!("Verifying as {}…", view.plan.user),
                TaskOwner::Verify,
            ));
        }
        match &verify.result {
            None => {}
            Some(Err(failure)) => failure_ui(ui, failure, "Verification failed: "),
            Some(Ok(report)) => {
                ui.separator();
                report_ui(ui, report);
                drift_ui(ui, &report.drift, &mut out);
            }
        }
        fix_ui(ui, verify, &view, &mut out);
    });
    out
}

fn login_ui(ui: &mut Ui, verify: &mut VerifyState, view: &VerifyView<'_>) {
    Grid::new("verify_login").num_columns(2).spacing([10.0, 6.0]).show(ui, |ui| {
        let label = ui.label("Log in as");
        let selected_text = match (&verify.target, view.login) {
            (Some(VerifyTarget::Adhoc), Some(p)) => adhoc_name(p),
            (_, Some(p)) => p.display_name(),
            _ => "choose a profile…".to_string(),
        };
        let mut target = verify.target.clone();
        ComboBox::from_id_salt("verify_target")
            .selected_text(selected_text)
            .width(320.0)
            .show_ui(ui, |ui| {
                if let Some(adhoc) = &verify.adhoc {
                    ui.selectable_value(&mut target, Some(VerifyTarget::Adhoc), adhoc_name(adhoc));
                }
                for p in view.profiles {
                    ui.selectable_value(
                        &mut target,
                        Some(VerifyTarget::Saved(p.id.clone())),
                        p.display_name(),
                    );
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();
        if target != verify.target {
            // A password carried over from setup belongs to the new user's connection only.
            if matches!(target, Some(VerifyTarget::Saved(_))) {
                verify.password = crate::net::connect::Password::new(String::new());
            }
            verify.target = target;
        }

        let label = ui.label("Catalog user password");
        ui.horizontal(|ui| {
            ui.add(
                TextEdit::singleline(&mut *verify.password)
                    .password(!verify.show_password)
                    .hint_text("empty = saved password, else asked")
                    .desired_width(220.0),
            )
            .labelled_by(label.id);
            ui.checkbox(&mut verify.show_password, "Show verify password");
        });
        ui.end_row();
    });
    if let Some(login) = view.login {
        ui.weak(format!(
            "{}:{}/{} as {} — kept in memory only",
            login.host, login.port, login.database, login.user
        ));
        if !view.plan.user.is_empty() && login.user != view.plan.user {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "This profile logs in as {}, but the plan is for {}: the result describes {}.",
                    login.user, view.plan.user, login.user
                ),
            );
        }
    }
}

fn adhoc_name(p: &Profile) -> String {
    format!("{}:{} as {} (not saved)", p.host, p.port, p.user)
}

fn plan_ui(ui: &mut Ui, verify: &mut VerifyState, view: &VerifyView<'_>) {
    ui.horizontal(|ui| {
        ui.label("Check against");
        let has_setup = view.setup_plan.is_some();
        let setup = ui.add_enabled(
            has_setup,
            egui::RadioButton::new(
                verify.source == PlanSource::Setup && has_setup,
                "the Setup tab's plan",
            ),
        );
        if setup
            .on_disabled_hover_text("No plan on the Setup tab yet: discover and tick schemas there")
            .clicked()
        {
            verify.source = PlanSource::Setup;
        }
        if ui
            .radio(verify.source == PlanSource::Manual || !has_setup, "a plan typed here")
            .clicked()
        {
            verify.source = PlanSource::Manual;
        }
    });
    if verify.source == PlanSource::Setup && view.setup_plan.is_some() {
        let plan = view.plan;
        let schemas: Vec<&str> = plan.schemas.iter().map(|s| s.name.as_str()).collect();
        ui.weak(format!(
            "User {}, {} {}, {} schema(s): {}",
            plan.user,
            plan.access.kind_word(),
            plan.access.name(),
            schemas.len(),
            schemas.join(", ")
        ));
    } else {
        manual_plan_ui(ui, &mut verify.manual, "verify");
    }
    ui.horizontal(|ui| {
        let label = ui.label("Future creators");
        ui.add(
            TextEdit::singleline(&mut verify.creators)
                .hint_text("etl, loader (users that will create tables later)")
                .desired_width(300.0),
        )
        .labelled_by(label.id);
    });
}

/// The small typed-in plan (shared with the Teardown tab); `salt` keeps the two apart.
pub fn manual_plan_ui(
    ui: &mut Ui,
    manual: &mut crate::app::provision_state::ManualPlan,
    salt: &str,
) {
    Grid::new(("manual_plan", salt)).num_columns(2).spacing([10.0, 6.0]).show(ui, |ui| {
        let label = ui.label("User name");
        ui.add(TextEdit::singleline(&mut manual.user).desired_width(200.0)).labelled_by(label.id);
        ui.end_row();
        ui.label("Access through");
        ui.horizontal(|ui| {
            ui.radio_value(&mut manual.use_role, false, "group");
            ui.radio_value(&mut manual.use_role, true, "role");
        });
        ui.end_row();
        let label = ui.label(if manual.use_role { "Role name" } else { "Group name" });
        ui.add(TextEdit::singleline(&mut manual.access_name).desired_width(200.0))
            .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Schemas");
        ui.add(
            TextEdit::singleline(&mut manual.schemas)
                .hint_text("sales, marketing")
                .desired_width(300.0),
        )
        .labelled_by(label.id);
        ui.end_row();
        if salt == "teardown" {
            let label = ui.label("Object owners");
            ui.add(
                TextEdit::singleline(&mut manual.owners)
                    .hint_text("etl, loader (their default privileges are revoked)")
                    .desired_width(300.0),
            )
            .labelled_by(label.id);
            ui.end_row();
        }
    });
    ui.weak("Schemas typed here are treated as local schemas; use Discover on the Setup tab for external ones.");
}

fn run_ui(ui: &mut Ui, verify: &VerifyState, view: &VerifyView<'_>, out: &mut Vec<UiCommand>) {
    let why = if verify.pending.is_some() {
        Some("Verification is running")
    } else if view.login.is_none() {
        Some("Choose the profile to log in with")
    } else if view.plan.schemas.is_empty() {
        Some("Name at least one schema to check")
    } else if view.plan.user.is_empty() {
        Some("Name the catalog user")
    } else {
        None
    };
    let hover = why.unwrap_or("Log in as the catalog user and check every schema of the plan");
    if ui
        .add_enabled(why.is_none(), Button::new("Run verification"))
        .on_hover_text(hover)
        .on_disabled_hover_text(hover)
        .clicked()
    {
        out.push(UiCommand::Catalog(CatalogCommand::Verify));
    }
}

fn report_ui(ui: &mut Ui, report: &VerifyReport) {
    let failing = report.schemas.iter().filter(|s| s.verdict != Verdict::Pass).count();
    if report.passed() {
        ui.colored_label(
            ok_colour(ui),
            format!(
                "All {} schemas pass: the catalog user can read everything planned.",
                report.schemas.len()
            ),
        );
    } else {
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!("{failing} of {} schemas have gaps.", report.schemas.len()),
        );
    }
    Grid::new("verify_verdicts").num_columns(9).spacing([12.0, 4.0]).striped(true).show(ui, |ui| {
        for heading in [
            "Schema",
            "Kind",
            "Visible",
            "USAGE",
            "Tables",
            "Unreadable",
            "Late-binding cols",
            "Catalog tool sees",
            "Verdict",
        ] {
            ui.label(RichText::new(heading).strong());
        }
        ui.end_row();
        for s in &report.schemas {
            ui.label(RichText::new(&s.name).monospace());
            ui.label(match s.kind {
                SchemaKind::Local => "local",
                SchemaKind::External => "external",
            });
            ui.label(yes_no(s.visible));
            ui.label(yes_no(s.usage));
            ui.label(s.tables_total.to_string());
            let unreadable = ui.label(s.tables_unreadable.len().to_string());
            if !s.unreadable.is_empty() {
                let list: Vec<String> = s
                    .unreadable
                    .iter()
                    .map(|u| format!("{} (owner {})", u.name, u.owner))
                    .collect();
                unreadable.on_hover_text(list.join(", "));
            }
            ui.label(s.late_binding_cols.to_string());
            match s.catalog_view {
                Some(c) => {
                    ui.label(format!("{}: {} tables, {} columns", s.name, c.tables, c.columns))
                }
                None => ui.label(format!("{}: query failed", s.name)),
            };
            ui.vertical(|ui| {
                ui.horizontal(|ui| match &s.verdict {
                    Verdict::Pass => {
                        status_icon_ui(ui, StepStatus::Ok);
                        ui.colored_label(ok_colour(ui), format!("{}: pass", s.name));
                    }
                    Verdict::Fail(_) => {
                        status_icon_ui(ui, StepStatus::Failed);
                        ui.colored_label(ui.visuals().error_fg_color, format!("{}: FAIL", s.name));
                    }
                });
                if let Verdict::Fail(gaps) = &s.verdict {
                    for gap in gaps {
                        ui.label(format!("• {gap}"));
                    }
                }
                if !s.uncovered_owners.is_empty() {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!(
                            "Uncovered creators (the fix adds their default privileges): {}",
                            s.uncovered_owners.join(", ")
                        ),
                    );
                }
            });
            ui.end_row();
        }
    });
    forecast_ui(ui, report);
    if let Some(e) = &report.catalog_view_error {
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!(
                "The catalog tool's definitions query fails as this user (its sync would too): {e}"
            ),
        );
    }
    for d in &report.datashares {
        let seen = if d.visible { "visible" } else { "NOT visible" };
        let text = match (&d.probed, d.readable, &d.error) {
            (Some(t), Some(true), _) => format!("Datashare database {}: {seen}, read {t}", d.name),
            (Some(t), _, Some(e)) => {
                format!("Datashare database {}: {seen}, reading {t} FAILED: {e}", d.name)
            }
            (None, _, Some(e)) => format!("Datashare database {}: {seen}; {e}", d.name),
            _ if d.visible => {
                format!("Datashare database {}: {seen}, no shared table listed", d.name)
            }
            _ => format!("Datashare database {}: {seen}", d.name),
        };
        if d.visible && d.readable != Some(false) {
            ui.label(text);
        } else {
            ui.colored_label(ui.visuals().error_fg_color, text);
        }
    }
    if let Some(ok) = report.svv_table_info {
        ui.label(format!("svv_table_info readable: {}", yes_no(ok)));
    }
    for (query, error) in &report.query_errors {
        ui.colored_label(ui.visuals().error_fg_color, format!("The {query} failed: {error}"));
    }
}

/// "Will tomorrow's table be readable?": one row per schema and creator.
fn forecast_ui(ui: &mut Ui, report: &VerifyReport) {
    if report.schemas.iter().all(|s| s.forecast.is_empty()) {
        return;
    }
    ui.add_space(6.0);
    ui.label(RichText::new("Will tomorrow's table be readable?").strong());
    if let Evidence::Partial(_) | Evidence::Unavailable(_) = &report.default_privileges {
        ui.weak("Default privileges are only partly visible to the catalog user: \"unknown\" is not \"no\"; an admin audit sees them all.");
    }
    Grid::new("verify_forecast").num_columns(4).spacing([12.0, 4.0]).striped(true).show(ui, |ui| {
        for heading in ["Schema", "Creator", "Readable", "Why"] {
            ui.label(RichText::new(heading).strong());
        }
        ui.end_row();
        for s in &report.schemas {
            for f in &s.forecast {
                ui.label(RichText::new(&s.name).monospace());
                let sources: Vec<&str> = f.sources.iter().map(|x| x.label()).collect();
                ui.label(&f.creator).on_hover_text(sources.join(", "));
                let answer = format!(
                    "{} by {}: {}",
                    s.name,
                    f.creator,
                    match f.outcome {
                        Outcome::Yes => "yes",
                        Outcome::No => "no",
                        Outcome::Unknown => "unknown",
                    }
                );
                match f.outcome {
                    Outcome::Yes => ui.colored_label(ok_colour(ui), answer),
                    Outcome::No => ui.colored_label(ui.visuals().error_fg_color, answer),
                    Outcome::Unknown => ui.colored_label(ui.visuals().warn_fg_color, answer),
                };
                ui.label(&f.why);
                ui.end_row();
            }
        }
    });
}

/// Drift against the recorded setup: what changed since, and the converge script (copy it here;
/// the Audit tab runs it as the admin and records the converged plan).
fn drift_ui(ui: &mut Ui, drift: &VerifyDrift, out: &mut Vec<UiCommand>) {
    ui.add_space(6.0);
    ui.label(RichText::new("Drift since setup").strong());
    let reports = match drift {
        VerifyDrift::NoBaseline => {
            ui.weak("No setup of this user in this database is recorded: nothing to compare with.");
            return;
        }
        VerifyDrift::Unavailable(why) => {
            ui.colored_label(ui.visuals().warn_fg_color, format!("Drift could not be read: {why}"));
            return;
        }
        VerifyDrift::Checked(reports) => reports,
    };
    for (i, d) in reports.iter().enumerate() {
        if d.is_clean() {
            ui.colored_label(
                ok_colour(ui),
                format!("No drift: the grants match the setup applied {}.", d.applied_at),
            );
            continue;
        }
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "Drift: {} difference(s) from the setup applied {} in {}:",
                d.items.len(),
                d.applied_at,
                d.database
            ),
        );
        for item in &d.items {
            ui.label(format!("• {}", item.describe()));
        }
        let sql = d.converge.render(false);
        ui.horizontal(|ui| {
            if ui
                .button("Copy converge SQL")
                .on_hover_text("The statements that make the live grants match the plan again")
                .clicked()
            {
                ui.ctx().copy_text(sql.clone());
            }
            if ui
                .button("Open the Audit tab")
                .on_hover_text("Review and run the converge script as the admin there; it also records the converged plan")
                .clicked()
            {
                out.push(UiCommand::Audit(AuditCommand::Show));
            }
        });
        egui::CollapsingHeader::new("Converge SQL").id_salt(("verify_converge", i)).show(
            ui,
            |ui| {
                let mut text = sql.as_str();
                ui.add(TextEdit::multiline(&mut text).code_editor().desired_width(f32::INFINITY));
            },
        );
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn fix_ui(ui: &mut Ui, verify: &mut VerifyState, view: &VerifyView<'_>, out: &mut Vec<UiCommand>) {
    let Some(fix) = verify.fix.script.script() else { return };
    ui.separator();
    let admin = view
        .admin
        .map(|a| format!(" as the admin ({a})"))
        .unwrap_or_else(|| " as the admin (the profile open in the form)".into());
    ui.label(
        RichText::new(format!(
            "These statements close the gaps; run them{admin}, then verify again."
        ))
        .strong(),
    );
    let running = verify.fix.run.as_ref().is_some_and(|r| r.running());
    let blocked =
        if running { Some("The fix is running".to_string()) } else { view.fix_blocked.clone() };
    out.extend(sql_review_ui(
        ui,
        ReviewArgs {
            slot: ScriptSlot::VerifyFix,
            script: fix,
            review: &mut verify.fix.review,
            run_label: "Run fix as admin",
            blocked,
        },
    ));
    if let Some(run) = &verify.fix.run {
        out.extend(script_run_ui(ui, ScriptSlot::VerifyFix, run));
        if run.succeeded() {
            ui.label("Fix applied: press Run verification to check again.");
        }
    }
}
