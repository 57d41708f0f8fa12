//! The connection form's authentication section: Password | IAM, provisioned cluster | IAM,
//! serverless workgroup. For IAM: cluster identifier or workgroup, region, DB user, DB groups,
//! auto-create, duration and AWS profile, pre-filled from an AWS host name but stored as typed,
//! so a tunnel, a VPC endpoint or a CNAME host never breaks IAM.
//!
//! Every input has an accessible label; validation messages sit under the field they are about.

use crate::app::auth_form::AuthForm;
use crate::app::state::FormState;
use egui::{ComboBox, Grid, RichText, TextEdit, Ui};
use shiftgate_core::profile::{
    AuthMethod, Field, IAM_DURATION_MAX, IAM_DURATION_MIN, Profile, ValidationIssue,
};

const FIELD_WIDTH: f32 = 300.0;

pub fn auth_section_ui(ui: &mut Ui, form: &mut FormState, issues: &[ValidationIssue]) {
    let FormState { draft, auth, .. } = form;
    ui.label(RichText::new("Authentication").strong());
    let mut method = draft.auth.method;
    ComboBox::from_label("Auth method").selected_text(method.label()).show_ui(ui, |ui| {
        for m in AuthMethod::ALL {
            ui.selectable_value(&mut method, m, m.label());
        }
    });
    auth.set_method(draft, method);
    match method {
        AuthMethod::Password => {
            ui.weak("The database password above (keychain, password command or asked).");
        }
        _ => {
            ui.weak(
                "A temporary password from AWS IAM at every connect; AWS credentials come from your AWS configuration (environment, ~/.aws profiles, SSO) and are never saved by Shiftgate.",
            );
            Grid::new("auth_iam").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
                iam_rows(ui, draft, auth, issues);
            });
        }
    }
}

fn text_row(ui: &mut Ui, label: &str, value: &mut String, hint: &str) -> bool {
    let l = ui.label(label);
    let changed = ui
        .add(TextEdit::singleline(value).hint_text(hint).desired_width(FIELD_WIDTH))
        .labelled_by(l.id)
        .changed();
    ui.end_row();
    changed
}

fn issue_rows(ui: &mut Ui, issues: &[ValidationIssue], field: Field) {
    for i in issues.iter().filter(|i| i.field == field) {
        ui.label("");
        ui.colored_label(ui.visuals().error_fg_color, &i.message);
        ui.end_row();
    }
}

fn iam_rows(ui: &mut Ui, draft: &mut Profile, auth: &mut AuthForm, issues: &[ValidationIssue]) {
    let serverless = draft.auth.method == AuthMethod::IamServerless;
    if serverless {
        text_row(ui, "Workgroup", &mut draft.auth.workgroup, "analytics-wg");
    } else {
        text_row(ui, "Cluster identifier", &mut draft.auth.cluster_id, "examplecluster");
    }
    issue_rows(ui, issues, Field::IamTarget);
    text_row(ui, "Region", &mut draft.auth.region, "us-east-1");
    issue_rows(ui, issues, Field::IamRegion);
    if !serverless {
        text_row(
            ui,
            "DB user",
            &mut draft.auth.db_user,
            "empty: log in as the IAM identity (GetClusterCredentialsWithIAM)",
        );
        if text_row(ui, "DB groups", &mut auth.groups_text, "comma-separated, optional") {
            auth.groups_changed(draft);
        }
        ui.label("");
        ui.checkbox(&mut draft.auth.auto_create, "Auto-create the database user");
        ui.end_row();
    }
    issue_rows(ui, issues, Field::IamDbUser);
    let hint = format!("{IAM_DURATION_MIN}–{IAM_DURATION_MAX}");
    if text_row(ui, "Duration (seconds)", &mut auth.duration_text, &hint) {
        auth.duration_changed(draft);
    }
    issue_rows(ui, issues, Field::IamDuration);
    text_row(ui, "AWS profile", &mut draft.auth.aws_profile, "empty: the default credential chain");
    issue_rows(ui, issues, Field::AwsProfile);
    ui.label("");
    if ui
        .button("Fill from host")
        .on_hover_text("Take the cluster / workgroup and region from a *.redshift.amazonaws.com host name (empty fields only)")
        .clicked()
    {
        let host = draft.host.clone();
        draft.auth.fill_from_host(&host);
    }
    ui.end_row();
}
