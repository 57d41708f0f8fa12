//! The Audit tab: run the access audit as the admin, see a matrix grantees × schemas (cell =
//! none / usage / read / write, click for the tables), filter it, copy it as CSV; then the drift
//! against each applied setup plan, with its converge script in the shared review / Copy SQL /
//! run-as-admin flow (`sql_review`).
//!
//! Rows are virtualised (`ScrollArea::show_rows`), so thousands of grantees or tables cost only
//! what is on screen. Draws and returns commands; runs nothing itself.

use super::sql_review::{
    ReviewAction, ReviewParts, failure_ui, pending_cancel_ui, script_review_ui, script_rows_ui,
};
use crate::app::audit_state::{AuditCommand, AuditState};
use crate::app::command::UiCommand;
use egui::{Button, RichText, Role, ScrollArea, TextEdit, Ui, WidgetInfo};
use shiftgate_core::sql::audit::{AccessMatrix, CellLevel, SchemaAccess};

/// What the tab needs besides its state.
pub struct AuditView {
    /// The admin the audit runs as, if one is known.
    pub admin: Option<String>,
    /// Why a converge script can't run now, if so.
    pub run_blocked: Option<String>,
    /// Schemas the scope picker offers (from discovery and earlier audits).
    pub known_schemas: Vec<String>,
}

const CELL_WIDTH: f32 = 120.0;
const NAME_WIDTH: f32 = 220.0;

fn cmd(c: AuditCommand) -> UiCommand {
    UiCommand::Audit(c)
}

/// The schema scope: typed (comma-separated, as `audit --schemas`) or ticked in the picker.
fn scope_ui(ui: &mut Ui, state: &mut AuditState, known: &[String]) {
    ui.horizontal(|ui| {
        let label = ui.label("Schemas to audit");
        ui.add(
            TextEdit::singleline(&mut state.schemas)
                .hint_text("all but the system schemas")
                .desired_width(320.0),
        )
        .labelled_by(label.id)
        .on_hover_text("Comma-separated; empty audits every schema but the system ones");
        ui.add_enabled_ui(!known.is_empty(), |ui| {
            ui.menu_button("Pick schemas", |ui| {
                let scope = state.schema_scope();
                for name in known {
                    let mut ticked = scope.contains(name);
                    if ui.checkbox(&mut ticked, name).changed() {
                        state.toggle_schema(name);
                    }
                }
            })
            .response
            .on_disabled_hover_text(
                "Discover on the Setup tab or run the audit once to pick from a list",
            );
        });
        if !state.schemas.trim().is_empty() && ui.button("All schemas").clicked() {
            state.schemas.clear();
        }
    });
}

pub fn audit_panel_ui(ui: &mut Ui, state: &mut AuditState, view: AuditView) -> Vec<UiCommand> {
    let mut out = Vec::new();
    ui.horizontal(|ui| {
        match &view.admin {
            Some(a) => ui.label(format!("Audit as: {a}")),
            None => ui.weak("Audit as: no admin — select the admin's profile on the left"),
        };
        ui.checkbox(&mut state.adopt_new_schemas, "Grant new schemas when converging")
            .on_hover_text(
                "Schemas with tables that no setup plan covers are granted by the converge script \
                 and added to the plan. Off: they are only listed.",
            );
        let why = if state.running() {
            Some("An audit is running")
        } else if view.admin.is_none() {
            Some("No admin: select the admin's profile on the left")
        } else {
            None
        };
        let run = ui
            .add_enabled(why.is_none(), Button::new("Run audit"))
            .on_hover_text("Read every grant, default privilege and membership as the admin")
            .on_disabled_hover_text(why.unwrap_or_default());
        if run.clicked() {
            out.push(cmd(AuditCommand::Run));
        }
    });
    scope_ui(ui, state, &view.known_schemas);
    if let Some(why) = &state.blocked {
        ui.colored_label(ui.visuals().warn_fg_color, why);
    }
    if let Some(p) = &state.pending {
        if pending_cancel_ui(ui, p, "Auditing as the admin…") {
            out.push(cmd(AuditCommand::Cancel));
        }
        return out;
    }
    let Some(outcome) = &state.outcome else {
        ui.weak("Run the audit to see who can read and write what, and what changed since setup.");
        return out;
    };
    let o = match outcome {
        Ok(o) => o,
        Err(f) => {
            failure_ui(ui, f, "The audit did not run: ");
            return out;
        }
    };
    let tables: usize = o.matrix.schemas.iter().map(|s| s.tables.len()).sum();
    ui.label(format!(
        "{} on {}: {} grantee(s), {} schema(s), {} table(s) — {} queries in {} ms",
        o.server.product_line(),
        o.server.current_database,
        o.matrix.grantees.len(),
        o.matrix.schemas.len(),
        tables,
        o.round_trips,
        o.query_ms
    ));
    for n in &o.matrix.notes {
        ui.colored_label(ui.visuals().warn_fg_color, format!("! {n}"));
    }
    ui.horizontal(|ui| {
        let label = ui.label("Filter");
        ui.add(TextEdit::singleline(&mut state.filter).desired_width(220.0))
            .labelled_by(label.id)
            .on_hover_text("Grantee or schema name; a side with no match stays whole");
        if ui.button("Copy as CSV").on_hover_text("One row per grantee and schema").clicked() {
            out.push(cmd(AuditCommand::CopyCsv));
        }
    });

    // Re-borrow after the filter edit.
    let view_rows = state.view().clone();
    let Some(Ok(o)) = &state.outcome else { return out };
    let m = &o.matrix;
    out.extend(matrix_ui(ui, m, &view_rows.grantees, &view_rows.schemas, state.open));
    if let Some((g, s)) = state.open
        && let (Some(ga), Some(sa)) =
            (m.grantees.get(g), m.grantees.get(g).and_then(|ga| ga.schemas.get(s)))
    {
        ui.separator();
        cell_detail_ui(ui, &ga.principal.to_string(), sa);
    }

    ui.separator();
    ui.label(RichText::new("Drift against the applied setup plans").strong());
    if o.drift.is_empty() {
        ui.weak(
            "No setup plan was applied from this profile in this database: nothing to compare.",
        );
    }
    for d in o.drift.iter().filter(|d| d.is_clean()) {
        ui.label(format!("Catalog user \"{}\" (plan applied {}): no drift.", d.user, d.applied_at));
    }
    let drifted: Vec<_> = o.drift.iter().filter(|d| !d.is_clean()).cloned().collect();
    for (i, d) in drifted.iter().enumerate() {
        ui.label(
            RichText::new(format!(
                "Catalog user \"{}\" (plan applied {}): {} difference(s)",
                d.user,
                d.applied_at,
                d.items.len()
            ))
            .strong(),
        );
        for item in &d.items {
            ui.label(format!("• {}", item.describe()));
        }
        let Some(pane) = state.converge.get_mut(i) else { continue };
        let blocked = if pane.run.as_ref().is_some_and(|r| r.running()) {
            Some("The script is running".to_string())
        } else {
            view.run_blocked.clone()
        };
        let id_salt = format!("converge_{i}");
        let parts = ReviewParts {
            id_salt: &id_salt,
            title: &format!("Converge script for \"{}\"", d.user),
            run_label: "Run converge as admin",
            can_save: false,
        };
        let Some(script) = pane.script.script() else { continue };
        match script_review_ui(ui, parts, script, &mut pane.review, blocked) {
            Some(ReviewAction::Copy) => out.push(cmd(AuditCommand::CopyConverge(i))),
            Some(ReviewAction::Run) => out.push(cmd(AuditCommand::RunConverge(i))),
            Some(ReviewAction::Save) | None => {}
        }
        if let Some(run) = &pane.run {
            if let Some(p) = &run.pending
                && pending_cancel_ui(ui, p, &format!("Running {}", run.title))
            {
                out.push(cmd(AuditCommand::CancelConverge(i)));
            }
            script_rows_ui(ui, &id_salt, run);
            if run.succeeded() {
                ui.label("Converged and recorded as the plan: run the audit again to check.");
            }
        }
    }
    out
}

fn level_colour(ui: &Ui, level: CellLevel) -> egui::Color32 {
    match level {
        CellLevel::None => ui.visuals().weak_text_color(),
        CellLevel::Usage => ui.visuals().text_color(),
        CellLevel::Read => super::report_panel::ok_colour(ui),
        CellLevel::Write => ui.visuals().warn_fg_color,
    }
}

/// The grantees × schemas matrix, rows virtualised.
fn matrix_ui(
    ui: &mut Ui,
    m: &AccessMatrix,
    rows: &[usize],
    cols: &[usize],
    open: Option<(usize, usize)>,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let row_height = ui.spacing().interact_size.y + 2.0;
    ScrollArea::horizontal().id_salt("audit_matrix_h").show(ui, |ui| {
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                ui.add_sized(
                    [NAME_WIDTH, row_height],
                    egui::Label::new(RichText::new("Grantee").strong()),
                );
                for &s in cols {
                    let name = &m.schemas[s].name;
                    let text =
                        if m.schemas[s].external { format!("{name} (ext)") } else { name.clone() };
                    ui.add_sized(
                        [CELL_WIDTH, row_height],
                        egui::Label::new(RichText::new(text).strong()).truncate(),
                    );
                }
            });
            ScrollArea::vertical()
                .id_salt("audit_matrix_v")
                .max_height(260.0)
                .auto_shrink([false, true])
                .show_rows(ui, row_height, rows.len(), |ui, range| {
                    for r in range {
                        let Some(&g) = rows.get(r) else { continue };
                        let ga = &m.grantees[g];
                        ui.horizontal(|ui| {
                            let mut who =
                                format!("{} ({})", ga.principal.name, ga.principal.kind.word());
                            if ga.superuser {
                                who.push_str(" superuser");
                            }
                            ui.add_sized(
                                [NAME_WIDTH, row_height],
                                egui::Label::new(who).truncate(),
                            );
                            for &s in cols {
                                let sa = &ga.schemas[s];
                                let text = match sa.level {
                                    CellLevel::None | CellLevel::Usage => {
                                        sa.level.word().to_string()
                                    }
                                    _ => format!(
                                        "{} {}/{}",
                                        sa.level.word(),
                                        sa.readable(),
                                        sa.tables.len()
                                    ),
                                };
                                let selected = open == Some((g, s));
                                let button = Button::selectable(
                                    selected,
                                    RichText::new(&text).color(level_colour(ui, sa.level)),
                                );
                                let resp = ui.add_sized([CELL_WIDTH, row_height], button);
                                let label =
                                    format!("{} on {}: {text}", ga.principal.name, sa.schema);
                                resp.widget_info(|| {
                                    WidgetInfo::selected(Role::Button, true, selected, &label)
                                });
                                if resp.on_hover_text(hover(sa)).clicked() {
                                    out.push(cmd(AuditCommand::Open { grantee: g, schema: s }));
                                }
                            }
                        });
                    }
                });
        });
    });
    out
}

fn hover(sa: &SchemaAccess) -> String {
    let mut h = format!(
        "USAGE: {}  CREATE: {}\n{} of {} readable, {} writable",
        yes(sa.usage),
        yes(sa.create),
        sa.readable(),
        sa.tables.len(),
        sa.writable()
    );
    if !sa.column_grants.is_empty() {
        h.push_str(&format!("\n{} column-only grant(s)", sa.column_grants.len()));
    }
    if !sa.uncovered_creators.is_empty() {
        h.push_str(&format!(
            "\nNext table not readable if created by: {}",
            sa.uncovered_creators.join(", ")
        ));
    }
    h
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The opened cell: every table with SELECT / write and through whom, then column grants and
/// default privileges.
fn cell_detail_ui(ui: &mut Ui, grantee: &str, sa: &SchemaAccess) {
    ui.label(RichText::new(format!("Tables of \"{}\" for {grantee}", sa.schema)).strong());
    ui.label(format!(
        "USAGE: {} · CREATE: {} · {} of {} readable · {} writable",
        yes(sa.usage),
        yes(sa.create),
        sa.readable(),
        sa.tables.len(),
        sa.writable()
    ));
    let row_height = ui.spacing().interact_size.y;
    ScrollArea::vertical()
        .id_salt("audit_cell_tables")
        .max_height(200.0)
        .auto_shrink([false, true])
        .show_rows(ui, row_height, sa.tables.len(), |ui, range| {
            for t in &sa.tables[range] {
                ui.horizontal(|ui| {
                    ui.add_sized(
                        [NAME_WIDTH, row_height],
                        egui::Label::new(t.name.as_str()).truncate(),
                    );
                    ui.label(if t.select { "read" } else { "not readable" });
                    if !t.write.is_empty() {
                        let w: Vec<&str> = t.write.iter().map(|p| p.keyword()).collect();
                        ui.colored_label(
                            ui.visuals().warn_fg_color,
                            format!("write: {}", w.join(", ")),
                        );
                    }
                    let mut via: Vec<String> =
                        t.grants.iter().map(|h| h.holder.to_string()).collect();
                    via.dedup();
                    if t.owned {
                        via.insert(0, "owner".into());
                    }
                    if !via.is_empty() {
                        ui.weak(format!("via {}", via.join(", ")));
                    }
                });
            }
        });
    for c in &sa.column_grants {
        ui.label(format!(
            "column {}.{}: {} via {}",
            c.table,
            c.column,
            c.privilege.keyword(),
            c.holder
        ));
    }
    for d in &sa.default_privileges {
        ui.label(format!(
            "default {} on tables created by {}{} via {}",
            d.privilege.keyword(),
            d.owner,
            if d.global { " (database-wide)" } else { "" },
            d.holder
        ));
    }
    if sa.usage && !sa.uncovered_creators.is_empty() {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "Tomorrow's tables by {} will not be readable (no default privileges).",
                sa.uncovered_creators.join(", ")
            ),
        );
    }
}
