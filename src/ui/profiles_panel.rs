//! The saved-profiles panel: search box, New / Duplicate / Delete, Import / Export, and a
//! virtualised list (only the visible rows are laid out, so 10,000 profiles stay smooth). Up/Down
//! move the selection.
//!
//! Draws and returns commands; it never touches the store.

use crate::app::command::{ProfileCommand, TransferCommand, UiCommand};
use crate::app::import_state::ImportLocation;
use crate::app::state::ProfileList;
use egui::{Button, Color32, Key, Modifiers, RichText, ScrollArea, Sense, TextEdit, Ui, vec2};
use shiftgate_core::profile::{Engine, Profile, ProfileId};

/// What the panel shows besides its own list state.
pub struct ProfilesPanel<'a> {
    pub profiles: &'a [Profile],
    /// Changes whenever the store changes.
    pub revision: u64,
    /// The saved profile open in the form.
    pub selected: Option<&'a ProfileId>,
    /// Arrow keys may move the selection (no dialog open, no other text field focused).
    pub keyboard: bool,
    /// Existing files in the default places, offered by "Import from".
    pub import_locations: &'a [ImportLocation],
}

/// Stable id of the search box, so keyboard navigation can tell when it has focus.
pub fn search_id() -> egui::Id {
    egui::Id::unique("profiles_search")
}

pub fn profiles_panel_ui(
    ui: &mut Ui,
    list: &mut ProfileList,
    view: ProfilesPanel<'_>,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    ui.add_space(4.0);
    ui.heading("Profiles");
    ui.horizontal(|ui| {
        if ui.button("New").on_hover_text("Create an empty profile").clicked() {
            out.push(UiCommand::Profile(ProfileCommand::NewProfile));
        }
        let selected = view.selected.cloned();
        let dup = ui
            .add_enabled(selected.is_some(), Button::new("Duplicate"))
            .on_hover_text("Save a copy of the selected profile");
        if dup.clicked()
            && let Some(id) = selected.clone()
        {
            out.push(UiCommand::Profile(ProfileCommand::Duplicate(id)));
        }
        let del = ui
            .add_enabled(selected.is_some(), Button::new("Delete…"))
            .on_hover_text("Delete the selected profile (asks first)");
        if del.clicked()
            && let Some(id) = selected
        {
            out.push(UiCommand::Profile(ProfileCommand::RequestDelete(id)));
        }
    });
    transfer_row_ui(ui, &view, &mut out);
    ui.horizontal(|ui| {
        let label = ui.label("Search");
        ui.add(
            TextEdit::singleline(&mut list.search)
                .id(search_id())
                .hint_text("name, host, user…")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
    });

    let total = view.profiles.len();
    list.refresh(view.profiles, view.revision);
    // Taken out for the frame so rows can be read while the list state is updated.
    let visible = std::mem::take(&mut list.visible);
    if view.keyboard
        && let Some(cmd) = keyboard_navigation(ui, list, &visible, view.profiles, view.selected)
    {
        out.push(cmd);
    }
    if total == 0 {
        ui.add_space(8.0);
        ui.weak("No saved profiles yet.");
    } else if visible.is_empty() {
        ui.add_space(8.0);
        ui.weak(format!("No profile matches \"{}\".", list.search.trim()));
    } else {
        ui.weak(if visible.len() == total {
            format!("{total} profiles")
        } else {
            format!("{} of {total} profiles", visible.len())
        });
        ui.separator();
        rows_ui(ui, list, &visible, &view, &mut out);
    }
    list.visible = visible;
    out
}

/// Import… (file picker), Import from (default places that exist), Export… (the selected profile
/// or all of them).
fn transfer_row_ui(ui: &mut Ui, view: &ProfilesPanel<'_>, out: &mut Vec<UiCommand>) {
    ui.horizontal(|ui| {
        let import = ui.button("Import…").on_hover_text(
            "Import profiles from pgpass, pg_service.conf, dbt, pgAdmin, DBeaver or an export",
        );
        if import.clicked() {
            out.push(UiCommand::Transfer(TransferCommand::ImportFile));
        }
        if !view.import_locations.is_empty() {
            ui.menu_button("Import from", |ui| {
                for location in view.import_locations {
                    if ui
                        .button(location.label.as_str())
                        .on_hover_text(location.path.display().to_string())
                        .clicked()
                    {
                        out.push(UiCommand::Transfer(TransferCommand::ImportPath(
                            location.path.clone(),
                        )));
                    }
                }
            });
        }
        match view.selected {
            Some(id) => {
                ui.menu_button("Export…", |ui| {
                    if ui.button("Export selected profile…").clicked() {
                        out.push(UiCommand::Transfer(TransferCommand::Export(Some(id.clone()))));
                    }
                    if ui.button("Export all profiles…").clicked() {
                        out.push(UiCommand::Transfer(TransferCommand::Export(None)));
                    }
                });
            }
            None => {
                let export = ui
                    .add_enabled(!view.profiles.is_empty(), Button::new("Export…"))
                    .on_hover_text("Export all profiles to TOML or JSON (no passwords)");
                if export.clicked() {
                    out.push(UiCommand::Transfer(TransferCommand::Export(None)));
                }
            }
        }
    });
}

/// The virtualised rows: only those in view are laid out.
fn rows_ui(
    ui: &mut Ui,
    list: &mut ProfileList,
    visible: &[usize],
    view: &ProfilesPanel<'_>,
    out: &mut Vec<UiCommand>,
) {
    let row_height = ui.spacing().interact_size.y;
    let mut scroll = ScrollArea::vertical().id_salt("profile_rows").auto_shrink([false, false]);
    if let Some(row) = list.scroll_to.take() {
        let pitch = row_height + ui.spacing().item_spacing.y;
        let top = row as f32 * pitch;
        let (offset, view_h) = (list.last_offset, list.last_view_height.max(pitch));
        if top < offset {
            scroll = scroll.vertical_scroll_offset(top);
        } else if top + pitch > offset + view_h {
            scroll = scroll.vertical_scroll_offset(top + pitch - view_h);
        }
    }
    let mut any_row_focused = false;
    let output = scroll.show_rows(ui, row_height, visible.len(), |ui, rows| {
        for row in rows {
            let Some(profile) = visible.get(row).and_then(|&i| view.profiles.get(i)) else {
                continue;
            };
            let is_selected = view.selected == Some(&profile.id);
            let response = profile_row_ui(ui, profile, is_selected, row_height);
            any_row_focused |= response.has_focus();
            if response.clicked() && !is_selected {
                out.push(UiCommand::Profile(ProfileCommand::Select(profile.id.clone())));
            }
        }
    });
    list.rows_focused = any_row_focused;
    list.last_offset = output.state.clamped_offset().y;
    list.last_view_height = output.inner_rect.height();
}

/// One row: colour swatch, engine badge and name; host and user on hover.
fn profile_row_ui(ui: &mut Ui, profile: &Profile, selected: bool, height: f32) -> egui::Response {
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(vec2(10.0, height), Sense::hover());
        let swatch = egui::Rect::from_center_size(rect.center(), vec2(10.0, 10.0));
        match profile.color {
            Some([r, g, b]) => {
                ui.painter().rect_filled(swatch, 2.0, Color32::from_rgb(r, g, b));
            }
            None => {
                let stroke = egui::Stroke::new(1.0, ui.visuals().weak_text_color());
                ui.painter().rect_stroke(swatch, 2.0, stroke, egui::StrokeKind::Inside);
            }
        }
        let name = profile.display_name();
        let badge = RichText::new(engine_badge(profile.engine))
            .small()
            .strong()
            .color(engine_colour(profile.engine));
        let width = ui.available_width();
        ui.add(
            Button::selectable(selected, (badge, name.as_str(), egui::Atom::grow()))
                .min_size(vec2(width, height))
                .truncate(),
        )
        .accessible_name(name.clone())
        .on_hover_text(format!(
            "{} · {}@{}:{}/{}",
            profile.engine, profile.user, profile.host, profile.port, profile.database
        ))
    })
    .inner
}

pub fn engine_badge(engine: Engine) -> &'static str {
    match engine {
        Engine::Redshift => "RS",
        Engine::Postgres => "PG",
    }
}

fn engine_colour(engine: Engine) -> Color32 {
    match engine {
        Engine::Redshift => Color32::from_rgb(0xd9, 0x7a, 0x1a),
        Engine::Postgres => Color32::from_rgb(0x33, 0x7a, 0xb7),
    }
}

/// Up/Down move the selection through the visible rows.
fn keyboard_navigation(
    ui: &mut Ui,
    list: &mut ProfileList,
    visible: &[usize],
    profiles: &[Profile],
    selected: Option<&ProfileId>,
) -> Option<UiCommand> {
    let ctx = ui.ctx().clone();
    // Only when the list "has" the keyboard: nothing focused, the search box, or a row.
    let focus = ctx.memory(|m| m.focused());
    let list_has_keyboard = focus.is_none() || focus == Some(search_id()) || list.rows_focused;
    if !list_has_keyboard || egui::Popup::is_any_open(&ctx) || visible.is_empty() {
        return None;
    }
    let (down, up) = ui.input_mut(|i| {
        (
            i.consume_key(Modifiers::NONE, Key::ArrowDown),
            i.consume_key(Modifiers::NONE, Key::ArrowUp),
        )
    });
    if !down && !up {
        return None;
    }
    let current = selected
        .and_then(|id| visible.iter().position(|&i| profiles.get(i).is_some_and(|p| &p.id == id)));
    let next = match (current, down) {
        (None, true) => 0,
        (None, false) => visible.len() - 1,
        (Some(c), true) => (c + 1).min(visible.len() - 1),
        (Some(c), false) => c.saturating_sub(1),
    };
    if Some(next) == current {
        return None;
    }
    list.scroll_to = Some(next);
    profiles.get(visible[next]).map(|p| UiCommand::Profile(ProfileCommand::Select(p.id.clone())))
}
