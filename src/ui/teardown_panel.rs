//! The Teardown tab, two jobs: remove the catalog user (revokes in reverse order, then the group
//! or role, then the user) from the Setup tab's plan or a typed one; and clean up what the
//! vendor's original script left (default privileges, `pg_catalog` / `information_schema` grants,
//! a stray role). Both go through the shared review (Copy SQL / Save / Run as admin).
//!
//! Regenerates the scripts in [`TeardownState`] from the inputs; runs and copies are commands.

use super::sql_review::{
    ReviewArgs, failure_ui, pending_ui, plan_errors_ui, script_run_ui, sql_review_ui,
};
use super::verify_panel::manual_plan_ui;
use crate::app::command::{CatalogCommand, UiCommand};
use crate::app::provision_state::{
    PlanSource, ScriptPane, ScriptSlot, TaskOwner, TeardownMode, TeardownState,
};
use egui::{Grid, RichText, ScrollArea, TextEdit, Ui};
use shiftgate_core::sql::{AppliedPlan, Dialect, ExistingState, SetupPlan, find_applied};

/// What the tab shows besides its own state.
pub struct TeardownView<'a> {
    /// The Setup tab's plan (the one that ran, else the one being edited), if any.
    pub setup_plan: Option<&'a SetupPlan>,
    /// Display name of the admin the scripts run as (None: the profile open in the form, if any).
    pub admin: Option<String>,
    /// Login name of that admin (default for "who ran the vendor script").
    pub admin_user: &'a str,
    /// Dialect of the admin's server (discovered, else from the profile's engine).
    pub dialect: Dialect,
    /// What discovery found exists (users, groups, roles, live privileges); None before discovery.
    pub existing: Option<ExistingState>,
    /// A script ran since the last discovery, so its live state is not used.
    pub live_stale: bool,
    /// The admin profile's setup records (the one for the user and database is used).
    pub applied: &'a [AppliedPlan],
    /// The database discovery ran in (the key of a setup record).
    pub database: &'a str,
    /// The database the admin's session is in (discovered, else the admin profile's).
    pub home_database: &'a str,
    /// Why nothing may run now, if so.
    pub run_blocked: Option<String>,
}

pub fn teardown_panel_ui(
    ui: &mut Ui,
    td: &mut TeardownState,
    view: TeardownView<'_>,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    ScrollArea::vertical().id_salt("teardown_scroll").auto_shrink([false, false]).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut td.mode, TeardownMode::CatalogUser, "Remove the catalog user");
            ui.selectable_value(&mut td.mode, TeardownMode::VendorLeftovers, "Clean up vendor leftovers");
        });
        match &view.admin {
            Some(admin) => ui.weak(format!("Scripts run as the admin {admin} ({}).", view.dialect.label())),
            None => ui.colored_label(
                ui.visuals().warn_fg_color,
                "No admin yet: select the admin's profile on the left (or Discover on the Setup tab).",
            ),
        };
        ui.separator();
        match td.mode {
            TeardownMode::CatalogUser => catalog_user_ui(ui, td, &view, &mut out),
            TeardownMode::VendorLeftovers => vendor_ui(ui, td, &view, &mut out),
        }
    });
    out
}

fn catalog_user_ui(
    ui: &mut Ui,
    td: &mut TeardownState,
    view: &TeardownView<'_>,
    out: &mut Vec<UiCommand>,
) {
    let has_setup = view.setup_plan.is_some();
    ui.horizontal(|ui| {
        ui.label("Remove");
        let setup = ui.add_enabled(
            has_setup,
            egui::RadioButton::new(
                td.source == PlanSource::Setup && has_setup,
                "what the Setup tab's plan created",
            ),
        );
        if setup.on_disabled_hover_text("No plan on the Setup tab yet").clicked() {
            td.source = PlanSource::Setup;
        }
        if ui.radio(td.source == PlanSource::Manual || !has_setup, "a user typed here").clicked() {
            td.source = PlanSource::Manual;
        }
    });
    let plan = match (td.source, view.setup_plan) {
        (PlanSource::Setup, Some(plan)) => {
            let schemas: Vec<&str> = plan.schemas.iter().map(|s| s.name.as_str()).collect();
            ui.weak(format!(
                "User {}, {} {}, schemas: {}",
                plan.user,
                plan.access.kind_word(),
                plan.access.name(),
                schemas.join(", ")
            ));
            Some(plan.clone())
        }
        _ => {
            manual_plan_ui(ui, &mut td.manual, "teardown");
            let plan = td.manual.to_plan(view.dialect);
            (!plan.user.is_empty()).then_some(plan)
        }
    };
    ui.checkbox(&mut td.keep_user, "Keep the user: remove the catalog grants only")
        .on_hover_text("A user that existed before setup is always kept.");
    if view.existing.is_none() || view.live_stale {
        ui.horizontal(|ui| {
            if ui
                .button("Discover again")
                .on_hover_text("Read the live grants, default privileges and members as the admin")
                .clicked()
            {
                out.push(UiCommand::Catalog(CatalogCommand::Discover));
            }
            ui.weak(if view.live_stale {
                "A script ran since discovery: read the live state again before tearing down."
            } else {
                "Discovery reads the live state, so teardown removes exactly what is left."
            });
        });
    }
    let applied =
        plan.as_ref().and_then(|p| find_applied(view.applied, &p.user, view.database)).cloned();
    let live = view.existing.clone().filter(|_| !view.live_stale);
    td.sync_other_databases(view.home_database);
    td.refresh_others(plan.as_ref(), live.as_ref(), applied.as_ref(), view.applied);
    td.refresh_teardown(plan, live, applied);
    if !td.notes.is_empty() {
        ui.add_space(4.0);
        ui.label(RichText::new("Before any SQL:").strong());
        for n in &td.notes {
            ui.label(format!("• {n}"));
        }
    }
    let errors: Vec<String> = td.pane.script.errors().iter().map(ToString::to_string).collect();
    plan_errors_ui(ui, "Fix these before the script can be generated:", &errors);
    other_databases_ui(ui, td, view, out);
    if !td.others.is_empty() {
        ui.separator();
        ui.label(
            RichText::new(format!(
                "Then this database ({}): its revokes and the drops",
                view.home_database
            ))
            .strong(),
        );
    }
    let wait = td.others_pending();
    review_and_run(ui, ScriptSlot::Teardown, &mut td.pane, view, wait, out);
}

/// The other databases setup granted in (privileges are per database, users per cluster): read
/// each one's live privileges, then review and run its revoke script, before this database's.
fn other_databases_ui(
    ui: &mut Ui,
    td: &mut TeardownState,
    view: &TeardownView<'_>,
    out: &mut Vec<UiCommand>,
) {
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        let label = ui.label("Other databases setup granted in");
        ui.add(
            TextEdit::singleline(&mut td.other_databases)
                .hint_text("dev, analytics (comma-separated)")
                .desired_width(260.0),
        )
        .labelled_by(label.id)
        .on_hover_text("Each gets its own revoke script, run before this database's drops");
        let reading = td.others.iter().any(|o| o.discovering.is_some());
        let why = if td.others.is_empty() {
            Some("Type the other databases first")
        } else if reading {
            Some("Reading…")
        } else if view.admin.is_none() {
            Some("No admin: select the admin's profile on the left")
        } else {
            None
        };
        if ui
            .add_enabled(why.is_none(), egui::Button::new("Read other databases"))
            .on_hover_text("Read each database's live grants and default privileges as the admin")
            .on_disabled_hover_text(why.unwrap_or_default())
            .clicked()
        {
            out.push(UiCommand::Catalog(CatalogCommand::ReadOtherDatabases));
        }
    });
    if td.others.is_empty() {
        ui.weak(
            "Privileges are per database, users per cluster: list every database setup granted in.",
        );
    }
    for (i, other) in td.others.iter_mut().enumerate() {
        ui.add_space(4.0);
        ui.label(RichText::new(format!("Database {}: revokes", other.name)).strong());
        if let Some(p) = &other.discovering {
            out.extend(pending_ui(
                ui,
                p,
                &format!("Reading {}…", other.name),
                TaskOwner::OtherDatabase(i),
            ));
            continue;
        }
        match &other.live {
            None => {
                ui.weak("Not read yet: press Read other databases.");
                continue;
            }
            Some(Err(f)) => {
                failure_ui(ui, f, &format!("Reading {}: ", other.name));
                continue;
            }
            Some(Ok(_)) => {}
        }
        if view.existing.is_none() || view.live_stale {
            ui.weak("Discover this database first: what it holds decides what is dropped.");
            continue;
        }
        if other.pane.reviewed_script().is_some_and(|s| s.statement_count() == 0) {
            ui.label(format!("Nothing left in {}.", other.name));
            continue;
        }
        let errors: Vec<String> =
            other.pane.script.errors().iter().map(ToString::to_string).collect();
        plan_errors_ui(ui, "Fix these before the script can be generated:", &errors);
        review_and_run(ui, ScriptSlot::OtherDatabase(i), &mut other.pane, view, None, out);
    }
}

fn vendor_ui(
    ui: &mut Ui,
    td: &mut TeardownState,
    view: &TeardownView<'_>,
    out: &mut Vec<UiCommand>,
) {
    ui.label("Removes what the vendor's original script left in this database: default privileges naming the user, grants on pg_catalog and information_schema, and a role its failed CREATE USER left behind.");
    Grid::new("cleanup_form").num_columns(2).spacing([10.0, 6.0]).show(ui, |ui| {
        let label = ui.label("Vendor user name");
        ui.add(TextEdit::singleline(&mut td.cleanup.user).desired_width(200.0))
            .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Who ran the vendor script");
        let hint = if view.admin_user.is_empty() {
            "user names, comma-separated".to_string()
        } else {
            format!("empty = {}", view.admin_user)
        };
        ui.add(
            TextEdit::singleline(&mut td.cleanup.who_ran_it).hint_text(hint).desired_width(300.0),
        )
        .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Schemas it was run for");
        ui.add(
            TextEdit::singleline(&mut td.cleanup.schemas)
                .hint_text("sales, marketing")
                .desired_width(300.0),
        )
        .labelled_by(label.id);
        ui.end_row();
    });
    if view.existing.is_none() {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "Discover on the Setup tab first: which leftovers exist (a user or a role with that name) decides the cleanup.",
        );
    }
    td.refresh_cleanup(view.dialect, view.admin_user, view.existing.clone().unwrap_or_default());
    let errors: Vec<String> =
        td.cleanup_pane.script.errors().iter().map(ToString::to_string).collect();
    plan_errors_ui(ui, "Fix these before the script can be generated:", &errors);
    review_and_run(ui, ScriptSlot::Cleanup, &mut td.cleanup_pane, view, None, out);
}

fn review_and_run<K>(
    ui: &mut Ui,
    slot: ScriptSlot,
    pane: &mut ScriptPane<K>,
    view: &TeardownView<'_>,
    wait: Option<String>,
    out: &mut Vec<UiCommand>,
) {
    let (script, has_errors, review, run) =
        (pane.script.script(), !pane.script.errors().is_empty(), &mut pane.review, &pane.run);
    let running = run.as_ref().is_some_and(|r| r.running());
    let blocked = if running {
        Some("The script is running".to_string())
    } else {
        view.run_blocked.clone().or(wait)
    };
    if let Some(script) = script {
        ui.add_space(4.0);
        out.extend(sql_review_ui(
            ui,
            ReviewArgs { slot, script, review, run_label: "Run as admin", blocked },
        ));
    } else if !has_errors {
        ui.weak(RichText::new("Fill in the user name to see the script."));
    }
    if let Some(run) = run {
        ui.add_space(6.0);
        out.extend(script_run_ui(ui, slot, run));
    }
}
