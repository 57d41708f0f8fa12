//! The Setup tab: Discover as the admin (the profile open in the form), choose schemas (filter,
//! select all / none, owners as chips, "+ owner" for an ETL user that has created nothing yet),
//! datashare databases, the catalog user's name, password (policy checked live, "Generate"), group
//! or RBAC role, connection limit and `svv_table_info`; then review the generated script, run it
//! as the admin and watch each statement. After success it points to Verify.
//!
//! Edits go straight into [`SetupState`] (plain state); discovery, runs, copies and saves are
//! returned as commands.

use super::sql_review::{
    ReviewArgs, failure_ui, pending_ui, plan_errors_ui, script_run_ui, sql_review_ui, warnings_ui,
};
use crate::app::command::{CatalogCommand, UiCommand};
use crate::app::provision_state::{ScriptSlot, TaskOwner};
use crate::app::setup_state::SetupState;
use egui::{Button, Grid, RichText, ScrollArea, TextEdit, Ui};
use shiftgate_core::profile::Profile;
use shiftgate_core::sql::{Dialect, PlanError, PlanWarning, SchemaKind, check_password};

/// What the tab shows besides its own state.
pub struct SetupView<'a> {
    /// Display name of the profile open in the form (Discover connects as it), if it has a host.
    pub selected: Option<String>,
    /// Display name of the admin scripts run as (set by the last Discover).
    pub admin: Option<&'a str>,
    /// Why nothing may run now (another script of this tab is running), if so.
    pub run_blocked: Option<String>,
    /// The new user was saved as a profile.
    pub catalog_profile_saved: bool,
    /// The admin profile (for the IAM policy's cluster and region), once discovered.
    pub admin_profile: Option<&'a Profile>,
}

pub fn setup_panel_ui(ui: &mut Ui, setup: &mut SetupState, view: SetupView<'_>) -> Vec<UiCommand> {
    // Regenerated before drawing, so the review shows (and Run runs) this frame's script.
    setup.refresh_script();
    let mut out = Vec::new();
    ScrollArea::vertical().id_salt("setup_scroll").auto_shrink([false, false]).show(ui, |ui| {
        discover_ui(ui, setup, &view, &mut out);
        if setup.found.is_none() {
            return;
        }
        ui.separator();
        ui.columns(2, |cols| {
            schemas_ui(&mut cols[0], setup);
            user_ui(&mut cols[1], setup);
        });
        ui.separator();
        review_ui(ui, setup, &view, &mut out);
    });
    out
}

fn discover_ui(ui: &mut Ui, setup: &SetupState, view: &SetupView<'_>, out: &mut Vec<UiCommand>) {
    ui.horizontal(|ui| {
        let admin = view.selected.as_deref();
        ui.label(match admin {
            Some(name) => format!("Admin profile: {name}"),
            None => "Admin profile: none selected".to_string(),
        });
        let why = match (admin, setup.discovering.is_some()) {
            (None, _) => "Select the admin's profile on the left first (a superuser, or a user that may create users and grant)",
            (_, true) => "Discovery is running",
            _ => "Connect as the selected profile and list schemas, object owners, users, groups and roles",
        };
        let enabled = admin.is_some() && setup.discovering.is_none();
        if ui.add_enabled(enabled, Button::new("Discover")).on_hover_text(why).on_disabled_hover_text(why).clicked() {
            out.push(UiCommand::Catalog(CatalogCommand::Discover));
        }
    });
    if let Some(pending) = &setup.discovering {
        out.extend(pending_ui(
            ui,
            pending,
            &format!("Discovering as {}…", setup.admin_name),
            TaskOwner::Discover,
        ));
    }
    if let Some(failure) = &setup.discover_error {
        failure_ui(ui, failure, "Discovery failed: ");
    }
    match &setup.found {
        None if setup.discovering.is_none() => {
            ui.weak("Pick the admin profile on the left, press Discover, then choose what the catalog user may read.");
        }
        None => {}
        Some(found) => {
            let server = &found.server;
            ui.label(format!(
                "Server: {} · database {} · discovered as {}",
                server.product_line(),
                server.current_database,
                if server.current_user.is_empty() {
                    setup.admin_name.as_str()
                } else {
                    server.current_user.as_str()
                }
            ));
            for note in &found.discovery.notes {
                ui.colored_label(ui.visuals().warn_fg_color, format!("Note: {note}"));
            }
            if let Some(admin) = view.admin.filter(|a| Some(*a) != view.selected.as_deref()) {
                ui.weak(format!("Scripts run as {admin} (the profile discovery ran as)."));
            }
        }
    }
}

fn schemas_ui(ui: &mut Ui, setup: &mut SetupState) {
    ui.label(
        RichText::new(format!(
            "Schemas ({} of {} ticked)",
            setup.selected_count(),
            setup.schemas.len()
        ))
        .strong(),
    );
    ui.horizontal(|ui| {
        let label = ui.label("Filter schemas");
        ui.add(
            TextEdit::singleline(&mut setup.filter)
                .hint_text("name contains…")
                .desired_width(140.0),
        )
        .labelled_by(label.id);
        if ui.button("Select all").on_hover_text("Tick every schema the filter shows").clicked() {
            setup.select_visible(true);
        }
        if ui.button("Select none").on_hover_text("Untick every schema the filter shows").clicked()
        {
            setup.select_visible(false);
        }
    });
    let visible = setup.visible_schemas();
    if setup.schemas.is_empty() {
        ui.weak("No user schemas in this database.");
    } else if visible.is_empty() {
        ui.weak("No schema matches the filter.");
    }
    ScrollArea::vertical()
        .id_salt("setup_schemas")
        .max_height(280.0)
        .min_scrolled_height(200.0)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for i in visible {
                schema_row_ui(ui, &mut setup.schemas[i]);
            }
        });
    if !setup.datashares.is_empty() {
        ui.add_space(6.0);
        ui.label(RichText::new("Datashare databases").strong());
        ui.weak("USAGE ON DATABASE for consumer databases created from a datashare.");
        for (name, ticked) in &mut setup.datashares {
            ui.checkbox(ticked, name.as_str());
        }
    }
}

fn schema_row_ui(ui: &mut Ui, schema: &mut crate::app::setup_state::SchemaChoice) {
    ui.horizontal(|ui| {
        ui.checkbox(&mut schema.selected, schema.name.as_str());
        let (badge, hover) = match schema.kind {
            SchemaKind::Local => {
                ("local", "Tables in this database: USAGE, SELECT and default privileges per owner")
            }
            SchemaKind::External => {
                ("external", "External schema (Spectrum / federated): USAGE only")
            }
        };
        ui.label(RichText::new(badge).small().background_color(ui.visuals().faint_bg_color))
            .on_hover_text(hover);
        if !schema.selected && schema.kind == SchemaKind::Local && !schema.owners.is_empty() {
            ui.weak(format!("owners: {}", schema.owners.join(", ")));
        }
    });
    if !schema.selected || schema.kind != SchemaKind::Local {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.add_space(24.0);
        ui.weak("Owners:");
        let mut remove = None;
        for (i, owner) in schema.owners.iter().enumerate() {
            let chip = ui
                .small_button(format!("{owner} ×"))
                .accessible_name(format!("Remove owner {owner} from {}", schema.name))
                .on_hover_text("Tables this user creates later will be readable. Click to remove.");
            if chip.clicked() {
                remove = Some(i);
            }
        }
        if let Some(i) = remove {
            schema.owners.remove(i);
        }
        let field = ui
            .add(TextEdit::singleline(&mut schema.new_owner).hint_text("+ owner").desired_width(110.0))
            .accessible_name(format!("Add owner to {}", schema.name))
            .on_hover_text("A user that will create tables here (e.g. an ETL user that has not created anything yet); Enter adds it");
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let add = ui.add_enabled(!schema.new_owner.trim().is_empty(), Button::new("Add").small());
        if entered || add.accessible_name(format!("Add the typed owner to {}", schema.name)).clicked() {
            schema.add_owner();
        }
    });
}

fn user_ui(ui: &mut Ui, setup: &mut SetupState) {
    let redshift = setup.dialect() == Some(Dialect::Redshift);
    ui.label(RichText::new("Catalog user").strong());
    Grid::new("setup_user").num_columns(2).spacing([10.0, 6.0]).show(ui, |ui| {
        let label = ui.label("Catalog user name");
        let r = ui
            .add(
                TextEdit::singleline(&mut setup.user)
                    .hint_text("lower case, e.g. catalog_reader")
                    .desired_width(200.0),
            )
            .labelled_by(label.id);
        if r.changed() {
            setup.user_changed();
        }
        ui.end_row();

        ui.label("");
        ui.checkbox(&mut setup.iam_login, "The catalog tool logs in with IAM (no password)")
            .on_hover_text("CREATE USER … PASSWORD DISABLE: no password to keep or rotate. The tool gets temporary credentials with redshift:GetClusterCredentials; the IAM policy it needs is shown under the script.");
        ui.end_row();
        if setup.iam_login {
            iam_target_rows(ui, setup);
        } else {
            let label = ui.label("Catalog user password");
            ui.add(
                TextEdit::singleline(&mut *setup.password)
                    .password(!setup.show_password)
                    .desired_width(200.0),
            )
            .labelled_by(label.id);
            ui.end_row();
            ui.label("");
            ui.horizontal(|ui| {
                if ui
                    .button("Generate")
                    .on_hover_text("A random 24-character password that meets Redshift's policy")
                    .clicked()
                {
                    setup.generate_password();
                }
                ui.checkbox(&mut setup.show_password, "Show catalog password");
            });
            ui.end_row();
            ui.label("");
            password_policy_ui(ui, setup, redshift);
            ui.end_row();
        }

        ui.label("Access through");
        ui.horizontal(|ui| {
            ui.radio_value(&mut setup.use_role, false, "User group")
                .on_hover_text("CREATE GROUP … ADD USER: portable, needs no RBAC");
            let why = if redshift {
                "Discovery found no RBAC on this cluster"
            } else {
                "RBAC roles are a Redshift feature"
            };
            let role = ui.add_enabled(
                setup.rbac_allowed(),
                egui::RadioButton::new(setup.use_role, "RBAC role"),
            );
            if role
                .on_disabled_hover_text(why)
                .on_hover_text("CREATE ROLE … GRANT ROLE … TO user")
                .clicked()
            {
                setup.use_role = true;
            }
        });
        ui.end_row();
        if setup.use_role {
            let label = ui.label("Role name");
            if ui
                .add(TextEdit::singleline(&mut setup.role_name).desired_width(200.0))
                .labelled_by(label.id)
                .changed()
            {
                setup.role_auto = false;
            }
        } else {
            let label = ui.label("Group name");
            if ui
                .add(TextEdit::singleline(&mut setup.group_name).desired_width(200.0))
                .labelled_by(label.id)
                .changed()
            {
                setup.group_auto = false;
            }
        }
        ui.end_row();

        let label = ui.label("Connection limit");
        ui.add(
            TextEdit::singleline(&mut setup.limit_text)
                .hint_text("empty = no limit")
                .desired_width(120.0),
        )
        .labelled_by(label.id);
        ui.end_row();
        if let Err(e) = setup.connection_limit() {
            ui.label("");
            ui.colored_label(ui.visuals().error_fg_color, e);
            ui.end_row();
        }
    });
    if redshift {
        ui.checkbox(
            &mut setup.svv_table_info,
            "Grant SELECT on svv_table_info (table sizes and skew)",
        );
    }
    ui.checkbox(
        &mut setup.revoke_public_create,
        "Revoke CREATE on schema public from the group/role",
    )
    .on_hover_text("The catalog user should create nothing; PUBLIC itself keeps CREATE on public by default on Redshift.");
    ui.weak("SYSLOG ACCESS stays RESTRICTED (the default): the user sees only its own rows in system log views.");
}

/// The IAM policy's cluster, region and account (empty = the admin profile's; account: any).
fn iam_target_rows(ui: &mut Ui, setup: &mut SetupState) {
    for (label, hint, text) in [
        (
            "IAM policy: cluster identifier",
            "default: the admin profile's cluster",
            &mut setup.iam_cluster,
        ),
        ("IAM policy: region", "default: the admin profile's region", &mut setup.iam_region),
        (
            "IAM policy: AWS account id",
            "12 digits; empty = * (any account)",
            &mut setup.iam_account,
        ),
    ] {
        let label = ui.label(label);
        ui.add(TextEdit::singleline(text).hint_text(hint).desired_width(200.0))
            .labelled_by(label.id);
        ui.end_row();
    }
}

/// The IAM policy the catalog tool's AWS identity needs, with its own Copy button.
fn iam_policy_ui(ui: &mut Ui, setup: &SetupState, admin: Option<&Profile>) {
    let Some(policy) = setup.iam_policy(admin) else { return };
    ui.add_space(6.0);
    ui.label(RichText::new("IAM policy for the catalog tool").strong());
    match policy {
        Err(e) => {
            ui.colored_label(ui.visuals().error_fg_color, format!("No IAM policy yet: {e}"));
        }
        Ok(json) => {
            ui.weak("Attach it to the role or user the catalog tool runs as; it may only fetch temporary credentials for this user and database.");
            if ui.button("Copy IAM policy").clicked() {
                ui.ctx().copy_text(json.clone());
            }
            let mut text = json.as_str();
            let label = ui.label("IAM policy JSON");
            ui.add(TextEdit::multiline(&mut text).code_editor().desired_width(f32::INFINITY))
                .labelled_by(label.id);
        }
    }
}

fn password_policy_ui(ui: &mut Ui, setup: &SetupState, redshift: bool) {
    ui.vertical(|ui| {
        if let Some(e) = &setup.password_error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if setup.password.is_empty() {
            ui.weak("Type a password or press Generate.");
            return;
        }
        let violations = check_password(&setup.password);
        if violations.is_empty() {
            ui.colored_label(
                super::report_panel::ok_colour(ui),
                "Meets Redshift's password policy.",
            );
            return;
        }
        let colour =
            if redshift { ui.visuals().error_fg_color } else { ui.visuals().warn_fg_color };
        if !redshift {
            ui.colored_label(colour, "PostgreSQL accepts it, but Redshift's policy would not:");
        }
        for v in violations {
            ui.colored_label(colour, format!("• {v}"));
        }
    });
}

fn review_ui(ui: &mut Ui, setup: &mut SetupState, view: &SetupView<'_>, out: &mut Vec<UiCommand>) {
    // Password problems are shown at the password field.
    let errors: Vec<String> = setup
        .pane
        .script
        .errors()
        .iter()
        .filter(|e| !matches!(e, PlanError::Password(_) | PlanError::PasswordMissing))
        .map(ToString::to_string)
        .collect();
    let password_blocks = setup
        .pane
        .script
        .errors()
        .iter()
        .any(|e| matches!(e, PlanError::Password(_) | PlanError::PasswordMissing));
    let warnings: Vec<String> = setup
        .warnings()
        .iter()
        .filter(|w| !matches!(w, PlanWarning::PasswordPolicy(_)))
        .map(ToString::to_string)
        .collect();
    plan_errors_ui(ui, "Fix these before the script can be generated:", &errors);
    if password_blocks {
        ui.colored_label(
            ui.visuals().error_fg_color,
            "The password does not meet the policy (see above): no script yet.",
        );
    }
    warnings_ui(ui, &warnings);
    if setup.selected_count() == 0 {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "No schema is ticked: the user could log in but read nothing.",
        );
    }
    let running = setup.pane.run.as_ref().is_some_and(|r| r.running());
    let blocked =
        if running { Some("The script is running".to_string()) } else { view.run_blocked.clone() };
    if let Some(script) = setup.pane.script.script() {
        ui.add_space(4.0);
        out.extend(sql_review_ui(
            ui,
            ReviewArgs {
                slot: ScriptSlot::Setup,
                script,
                review: &mut setup.pane.review,
                run_label: "Run as admin",
                blocked,
            },
        ));
    }
    iam_policy_ui(ui, setup, view.admin_profile);
    let Some(run) = &setup.pane.run else { return };
    ui.add_space(6.0);
    out.extend(script_run_ui(ui, ScriptSlot::Setup, run));
    if run.succeeded()
        && let Some(plan) = &setup.launched_plan
    {
        ui.add_space(6.0);
        ui.label(
            RichText::new(format!(
                "Now verify as the new user {}: log in as it and check every schema.",
                plan.user
            ))
            .strong(),
        );
        ui.horizontal(|ui| {
            if ui.button(format!("Verify as {}", plan.user)).on_hover_text("Open the Verify tab set to log in as the new user").clicked() {
                out.push(UiCommand::Catalog(CatalogCommand::PrefillVerify));
            }
            let saved = view.catalog_profile_saved;
            let why = if saved {
                "Already saved"
            } else {
                "A new profile with the admin's connection and the new user; its password goes to the secret store"
            };
            if ui.add_enabled(!saved, Button::new("Save as new profile")).on_hover_text(why).on_disabled_hover_text(why).clicked() {
                out.push(UiCommand::Catalog(CatalogCommand::SaveCatalogProfile));
            }
        });
    }
}
