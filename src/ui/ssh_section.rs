//! The connection form's SSH section: Direct | SSH tunnel | SSH config alias.
//!
//! * SSH tunnel: the bastion (host, port, user, auth = key file + passphrase | password | agent),
//!   an ordered list of jump hosts each with its own auth, keepalive and SSH timeout, and whether
//!   SSH secrets are kept in the keychain or asked every time.
//! * SSH config alias: one field, and what the alias resolves to (HostName, Port, User,
//!   IdentityFile, ProxyJump), looked up in the background before anything connects.
//!
//! Every input has an accessible label; validation messages sit under the hop they are about.
//! Edits go into the form's draft; the key-file picker is a command.

use crate::app::command::{FormCommand, UiCommand};
use crate::app::ssh_form::{AuthChoice, ConnectionMethod, SshForm, hop_name};
use crate::app::state::FormState;
use crate::net::connect::Password;
use crate::net::credentials::SecretKind;
use egui::{Button, ComboBox, Grid, RichText, TextEdit, Ui};
use shiftgate_core::profile::{Field, Profile, SecretMode, SshAuth, ValidationIssue};

const FIELD_WIDTH: f32 = 300.0;

/// What the section shows besides the form.
pub struct SshView<'a> {
    pub issues: &'a [ValidationIssue],
    /// `SecretStore::describe()` of the active store.
    pub secret_store: &'a str,
}

pub fn ssh_section_ui(ui: &mut Ui, form: &mut FormState, view: SshView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let FormState { draft, ssh, .. } = form;
    ui.label(RichText::new("Connection method").strong());
    let mut method = ConnectionMethod::of(draft);
    ui.horizontal(|ui| {
        for m in ConnectionMethod::ALL {
            ui.radio_value(&mut method, m, m.label());
        }
    });
    ssh.set_method(draft, method);
    match method {
        ConnectionMethod::Direct => {
            ui.weak("Straight to the host and port above.");
        }
        ConnectionMethod::Tunnel => {
            ui.weak("Through the bastion; the database host above is resolved on the bastion.");
            Grid::new("ssh_bastion").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
                hop_rows(ui, draft, ssh, 0, view.issues, &mut out);
            });
            jump_hosts_ui(ui, draft, ssh, view.issues, &mut out);
        }
        ConnectionMethod::Alias => alias_ui(ui, draft, ssh, view.issues),
    }
    if method != ConnectionMethod::Direct {
        timeouts_ui(ui, draft, ssh, &view);
    }
    out
}

fn jump_hosts_ui(
    ui: &mut Ui,
    draft: &mut Profile,
    ssh: &mut SshForm,
    issues: &[ValidationIssue],
    out: &mut Vec<UiCommand>,
) {
    ui.add_space(4.0);
    ui.label(RichText::new("Jump hosts").strong());
    if draft.ssh.jump_hosts.is_empty() {
        ui.weak("None: the bastion is reached directly.");
    } else {
        ui.weak("Connected first, in this order; the last one reaches the bastion.");
    }
    for slot in 1..=draft.ssh.jump_hosts.len() {
        Grid::new(("ssh_jump", slot)).num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
            hop_rows(ui, draft, ssh, slot, issues, out);
        });
        ui.horizontal(|ui| {
            let name = hop_name(slot);
            if ui
                .add_enabled(slot > 1, Button::new(format!("Move {} earlier", name.to_lowercase())))
                .clicked()
            {
                ssh.move_jump_host_earlier(draft, slot);
            }
            if ui.button(format!("Remove {}", name.to_lowercase())).clicked() {
                ssh.remove_jump_host(draft, slot);
            }
        });
        ui.add_space(2.0);
    }
    if ui.button("Add jump host").on_hover_text("Another hop before the bastion").clicked() {
        ssh.add_jump_host(draft);
    }
}

/// Host, port, user, auth and the auth's secret of hop `slot`, as grid rows.
fn hop_rows(
    ui: &mut Ui,
    draft: &mut Profile,
    ssh: &mut SshForm,
    slot: usize,
    issues: &[ValidationIssue],
    out: &mut Vec<UiCommand>,
) {
    let name = hop_name(slot);
    let Some(hop) = crate::app::ssh_form::hop_mut(draft, slot) else { return };
    text_row(ui, &format!("{name} host"), &mut hop.host, "bastion.example.com");
    if let Some(port) = ssh.port_texts.get_mut(slot)
        && text_row(ui, &format!("{name} port"), port, "22").changed()
    {
        ssh.port_changed(draft, slot);
    }
    let Some(hop) = crate::app::ssh_form::hop_mut(draft, slot) else { return };
    text_row(ui, &format!("{name} user"), &mut hop.user, "empty = your local user name");

    let label = ui.label(format!("{name} auth"));
    let mut choice = AuthChoice::of(&hop.auth);
    ComboBox::from_id_salt(("ssh_auth", slot))
        .selected_text(choice.label())
        .show_ui(ui, |ui| {
            for c in AuthChoice::ALL {
                ui.selectable_value(&mut choice, c, c.label());
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
    if choice != AuthChoice::of(&hop.auth) {
        ssh.set_auth(draft, slot, choice);
    }
    match choice {
        AuthChoice::Key => {
            let label = ui.label(format!("{name} key file"));
            ui.horizontal(|ui| {
                if let Some(key) = ssh.key_texts.get_mut(slot) {
                    let r = ui
                        .add(
                            TextEdit::singleline(key)
                                .hint_text("~/.ssh/id_ed25519")
                                .desired_width(FIELD_WIDTH - 110.0),
                        )
                        .labelled_by(label.id);
                    if r.changed() {
                        ssh.key_changed(draft, slot);
                    }
                }
                if ui
                    .button(format!("Choose {} key", name.to_lowercase()))
                    .on_hover_text("Pick the private key file")
                    .clicked()
                {
                    out.push(UiCommand::Form(FormCommand::BrowseSshKey(slot)));
                }
            });
            ui.end_row();
            secret_row(ui, ssh, SecretKind::SshPassphrase { hop: slot }, &name);
        }
        AuthChoice::Password => secret_row(ui, ssh, SecretKind::SshPassword { hop: slot }, &name),
        AuthChoice::Agent => {
            ui.label("");
            ui.weak("Keys of the running ssh-agent (SSH_AUTH_SOCK).");
            ui.end_row();
        }
    }
    for issue in issues.iter().filter(|i| i.field == Field::SshHop(slot)) {
        ui.label("");
        ui.colored_label(ui.visuals().error_fg_color, &issue.message);
        ui.end_row();
    }
}

/// The passphrase or password of a hop: typed now, saved on Save (keychain mode), or asked.
fn secret_row(ui: &mut Ui, ssh: &mut SshForm, kind: SecretKind, name: &str) {
    let what = match kind {
        SecretKind::SshPassword { .. } => "SSH password",
        _ => "key passphrase",
    };
    let label = ui.label(format!("{name} {what}"));
    let hint = if ssh.saved.contains(&kind) {
        "saved — type to replace"
    } else if matches!(kind, SecretKind::SshPassphrase { .. }) {
        "asked when needed if the key is encrypted"
    } else {
        "asked when needed"
    };
    let secret = ssh.typed.entry(kind).or_insert_with(|| Password::new(String::new()));
    ui.add(
        TextEdit::singleline(&mut **secret)
            .password(true)
            .hint_text(hint)
            .desired_width(FIELD_WIDTH),
    )
    .labelled_by(label.id);
    ui.end_row();
}

fn alias_ui(ui: &mut Ui, draft: &mut Profile, ssh: &mut SshForm, issues: &[ValidationIssue]) {
    Grid::new("ssh_alias").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
        if text_row(ui, "Host alias", &mut ssh.alias_text, "a Host entry of ~/.ssh/config")
            .changed()
        {
            ssh.alias_changed(draft);
        }
        for issue in issues.iter().filter(|i| i.field == Field::SshAlias) {
            ui.label("");
            ui.colored_label(ui.visuals().error_fg_color, &issue.message);
            ui.end_row();
        }
    });
    let alias = ssh.alias_text.trim();
    if alias.is_empty() {
        return;
    }
    match ssh.alias_preview.as_ref().filter(|p| p.alias == alias) {
        None => {
            ui.weak("Looking it up in the SSH config…");
        }
        Some(preview) => match &preview.result {
            Err(e) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            Ok(r) => {
                ui.label(RichText::new(format!("\"{alias}\" resolves to:")).strong());
                let t = &r.target;
                ui.label(format!("HostName: {}", t.host));
                ui.label(format!("Port: {}", t.port));
                ui.label(format!(
                    "User: {}",
                    t.user.as_deref().unwrap_or("(not set: your local user name)")
                ));
                let files: Vec<String> =
                    t.identity_files.iter().map(|p| p.display().to_string()).collect();
                ui.label(format!(
                    "IdentityFile: {}",
                    if files.is_empty() { "(none: agent keys)".into() } else { files.join(", ") }
                ));
                let jumps: Vec<String> = r
                    .jumps
                    .iter()
                    .map(|j| match &j.user {
                        Some(u) => format!("{u}@{}:{}", j.host, j.port),
                        None => format!("{}:{}", j.host, j.port),
                    })
                    .collect();
                ui.label(format!(
                    "ProxyJump: {}",
                    if jumps.is_empty() { "none".into() } else { jumps.join(" → ") }
                ));
                for note in &r.notes {
                    ui.colored_label(ui.visuals().warn_fg_color, note);
                }
            }
        },
    }
}

fn timeouts_ui(ui: &mut Ui, draft: &mut Profile, ssh: &mut SshForm, view: &SshView<'_>) {
    ui.add_space(4.0);
    Grid::new("ssh_timeouts").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
        let label = ui.label("SSH keepalive (s)");
        let a = ui
            .add(TextEdit::singleline(&mut ssh.keepalive_text).desired_width(60.0))
            .labelled_by(label.id)
            .on_hover_text("0 = off");
        ui.end_row();
        let label = ui.label("SSH timeout (s)");
        let b = ui
            .add(TextEdit::singleline(&mut ssh.timeout_text).desired_width(60.0))
            .labelled_by(label.id);
        ui.end_row();
        if a.changed() || b.changed() {
            ssh.timeouts_changed(draft);
        }
        for issue in view.issues.iter().filter(|i| i.field == Field::SshTimeouts) {
            ui.label("");
            ui.colored_label(ui.visuals().error_fg_color, &issue.message);
            ui.end_row();
        }
        ui.label("SSH secrets");
        ui.horizontal(|ui| {
            let mode = &mut draft.ssh.secret_mode;
            ui.radio_value(mode, SecretMode::Keychain, "Save SSH secrets in keychain");
            ui.radio_value(mode, SecretMode::AskEveryTime, "Ask SSH secrets every time");
        });
        ui.end_row();
        ui.label("");
        ui.weak(match draft.ssh.secret_mode {
            SecretMode::Keychain => format!(
                "Passphrases and passwords typed above are stored on Save in {}.",
                view.secret_store
            ),
            SecretMode::AskEveryTime => {
                "Kept in memory only; asked for when a task needs them.".into()
            }
        });
        ui.end_row();
    });
    let agent_only = std::iter::once(&draft.ssh.bastion)
        .chain(draft.ssh.jump_hosts.iter())
        .all(|h| h.auth == SshAuth::Agent);
    if agent_only && ConnectionMethod::of(draft) == ConnectionMethod::Tunnel {
        ui.weak("Every hop uses the agent: no SSH secret is needed.");
    }
}

/// A labelled single-line text field as one grid row.
fn text_row(ui: &mut Ui, label: &str, text: &mut String, hint: &str) -> egui::Response {
    let l = ui.label(label);
    let r = ui
        .add(TextEdit::singleline(text).hint_text(hint).desired_width(FIELD_WIDTH))
        .labelled_by(l.id);
    ui.end_row();
    r
}
