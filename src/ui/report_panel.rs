//! The "Test report" tab: each step live (spinner while running, then ✓ / ✗ / ! with time and
//! detail), what the server and TLS said, and on failure the diagnosis in plain words. Buttons copy
//! the report, the profile as a URL, or a psql command.

use crate::app::command::{FormCommand, TestCommand, UiCommand};
use crate::app::state::{TestRun, status_word};
use egui::{Color32, Grid, RichText, ScrollArea, Ui};
use shiftgate_core::diagnose::Diagnosis;
use shiftgate_core::report::{Report, StepStatus, TlsInfo};

/// What the report tab shows.
pub struct ReportView<'a> {
    pub run: Option<&'a TestRun>,
    /// The form's connection settings changed since the shown result.
    pub stale: bool,
    /// A profile is open (the copy-as buttons use it).
    pub has_profile: bool,
}

pub fn report_panel_ui(ui: &mut Ui, view: ReportView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    ui.horizontal(|ui| {
        let has_report = view.run.is_some();
        if ui
            .add_enabled(has_report, egui::Button::new("Copy report"))
            .on_hover_text("Copy the report as text")
            .clicked()
        {
            out.push(UiCommand::Test(TestCommand::CopyReport));
        }
        if ui
            .add_enabled(view.has_profile, egui::Button::new("Copy as URL"))
            .on_hover_text("postgresql://… without the password")
            .clicked()
        {
            out.push(UiCommand::Form(FormCommand::CopyUrl));
        }
        if ui
            .add_enabled(view.has_profile, egui::Button::new("Copy psql command"))
            .on_hover_text("psql '…' without the password")
            .clicked()
        {
            out.push(UiCommand::Form(FormCommand::CopyPsql));
        }
        if let Some(run) = view.run.filter(|r| r.running) {
            ui.separator();
            if run.cancel_requested {
                ui.weak("cancelling…");
            } else if ui.button("Cancel").on_hover_text("Stop the running test").clicked() {
                out.push(UiCommand::Test(TestCommand::Cancel));
            }
        }
        if view.stale {
            ui.separator();
            ui.colored_label(ui.visuals().warn_fg_color, "stale — edited since this test")
                .on_hover_text(
                    "The connection settings changed after this result; test again to refresh it.",
                );
        }
    });
    ui.separator();
    let Some(run) = view.run else {
        ui.weak("No test yet. Press \"Test connection\" (Ctrl+Enter) to connect step by step and see where it fails.");
        return out;
    };
    ScrollArea::vertical()
        .id_salt("report_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| report_ui(ui, run));
    out
}

fn report_ui(ui: &mut Ui, run: &TestRun) {
    let report = &run.report;
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!("{} — {}", run.tested.display_name(), report.target)).strong(),
        );
        ui.weak(format!("sslmode={}", report.sslmode));
        if run.running {
            ui.spinner();
            ui.label("testing…");
        } else if report.succeeded() {
            ui.colored_label(ok_colour(ui), format!("OK in {} ms", report.total_ms));
        } else {
            ui.colored_label(ui.visuals().error_fg_color, "FAILED");
        }
    });
    steps_ui(ui, report, run.running);
    if let Some(d) = &report.diagnosis {
        ui.add_space(6.0);
        diagnosis_ui(ui, d, None);
    }
    if let Some(server) = &report.server {
        ui.add_space(6.0);
        ui.label(RichText::new(format!("Server: {}", server.product_line())).strong());
        ui.label(RichText::new(&server.version_string).monospace().small());
        ui.label(format!(
            "Connected as {} to database {}",
            server.current_user, server.current_database
        ));
        if let Some(m) = &server.auth_method {
            ui.label(format!("Authentication: {m}"));
        }
    }
    if let Some(iam) = &report.iam {
        ui.add_space(6.0);
        iam_ui(ui, iam);
    }
    if let Some(tls) = &report.tls {
        ui.add_space(6.0);
        tls_ui(ui, tls);
    }
}

/// Who the AWS identity is and the temporary login, with a live countdown to its expiry.
fn iam_ui(ui: &mut Ui, iam: &shiftgate_core::report::IamInfo) {
    let cached = if iam.cached { " (reused from memory)" } else { "" };
    ui.label(RichText::new(format!("IAM: {} as {}{cached}", iam.api, iam.db_user)).strong());
    ui.label(format!("AWS account {} · {}", iam.account, iam.arn));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let text = format!("Temporary password {}", iam.countdown(now));
    if iam.expires_at_unix > now {
        ui.label(text);
        // Tick once a second while it counts down (no repaint once it expired).
        ui.ctx().request_repaint_after(std::time::Duration::from_secs(1));
    } else {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!("{text}: the next connect fetches new credentials"),
        );
    }
}

/// A diagnosis in a frame: what happened (optionally prefixed), what to do, the server's words.
pub(crate) fn diagnosis_ui(ui: &mut Ui, d: &Diagnosis, prefix: Option<&str>) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        let summary = match prefix {
            Some(p) => format!("{p}{}", d.summary),
            None => d.summary.clone(),
        };
        ui.label(RichText::new(summary).strong().color(ui.visuals().error_fg_color));
        ui.label(format!("What to do: {}", d.hint));
        if let Some(text) = &d.server_text {
            ui.horizontal_wrapped(|ui| {
                ui.weak("Server said:");
                ui.label(RichText::new(text).monospace());
            });
        }
    });
}

fn steps_ui(ui: &mut Ui, report: &Report, running: bool) {
    if report.steps.is_empty() {
        if running {
            ui.weak("Starting…");
        }
        return;
    }
    Grid::new("report_steps").num_columns(4).spacing([10.0, 4.0]).striped(true).show(ui, |ui| {
        for step in &report.steps {
            status_icon_ui(ui, step.status);
            ui.label(step.kind.label());
            ui.label(RichText::new(format!("{} ms", step.elapsed_ms)).monospace());
            ui.label(&step.detail);
            ui.end_row();
        }
    });
}

/// The step's status as a drawn icon (the bundled fonts have no ✓ / ✗ glyphs), named for screen
/// readers by its hover text.
pub(crate) fn status_icon_ui(ui: &mut Ui, status: StepStatus) {
    if status == StepStatus::Running {
        ui.spinner().on_hover_text("running");
        return;
    }
    let size = ui.text_style_height(&egui::TextStyle::Body);
    let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    let colour = status_colour(ui, status);
    let stroke = egui::Stroke::new(2.0, colour);
    let r = rect.shrink(size * 0.2);
    let painter = ui.painter();
    match status {
        StepStatus::Ok => {
            let points = vec![
                egui::pos2(r.left(), r.center().y),
                egui::pos2(r.left() + r.width() * 0.38, r.bottom()),
                egui::pos2(r.right(), r.top()),
            ];
            painter.add(egui::Shape::line(points, stroke));
        }
        StepStatus::Failed => {
            painter.line_segment([r.left_top(), r.right_bottom()], stroke);
            painter.line_segment([r.right_top(), r.left_bottom()], stroke);
        }
        StepStatus::Cancelled => {
            painter.circle_stroke(r.center(), r.width() / 2.0, egui::Stroke::new(1.5, colour));
            painter.line_segment([r.right_top(), r.left_bottom()], egui::Stroke::new(1.5, colour));
        }
        StepStatus::Warning | StepStatus::Skipped | StepStatus::Running => {
            let font = egui::FontId::proportional(size);
            painter.text(rect.center(), egui::Align2::CENTER_CENTER, status.symbol(), font, colour);
        }
    }
    response.on_hover_text(status_word(status));
}

fn tls_ui(ui: &mut Ui, tls: &TlsInfo) {
    ui.label(RichText::new(format!("TLS: {} {}", tls.protocol, tls.cipher)).strong());
    ui.label(format!("Certificate: {}", tls.subject));
    ui.label(format!("Issued by {} · expires {}", tls.issuer, tls.not_after));
    let (text, colour) = match (tls.verified_chain, tls.verified_host) {
        (true, true) => (
            format!("Chain and host name verified against {}", tls.verified_against),
            ok_colour(ui),
        ),
        (true, false) => (
            format!("Chain verified against {} (host name not checked)", tls.verified_against),
            ui.visuals().warn_fg_color,
        ),
        _ => ("Certificate NOT verified: encrypted only".to_string(), ui.visuals().warn_fg_color),
    };
    ui.colored_label(colour, text);
}

fn status_colour(ui: &Ui, status: StepStatus) -> Color32 {
    match status {
        StepStatus::Ok => ok_colour(ui),
        StepStatus::Warning => ui.visuals().warn_fg_color,
        StepStatus::Failed => ui.visuals().error_fg_color,
        StepStatus::Running | StepStatus::Skipped | StepStatus::Cancelled => {
            ui.visuals().weak_text_color()
        }
    }
}

pub(crate) fn ok_colour(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(0x6c, 0xc6, 0x6c)
    } else {
        Color32::from_rgb(0x1e, 0x7b, 0x34)
    }
}
