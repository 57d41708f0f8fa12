//! The dialogs' state: confirmations, the import preview, and the questions paused tasks ask (an
//! unknown SSH host key, a missing secret). The host-key question is the tunnel's own
//! [`crate::net::ssh::HostKeyQuestion`], carried unchanged from `net` through the task event to the
//! dialog.

use super::command::UiCommand;
use super::import_state::ImportPreview;
use crate::net::connect::Password;
use crate::net::ssh::HostKeyQuestion;
use crate::store::password_source::PromptRequest;
use crate::tasks::TaskId;
use crate::tasks::events::{HostKeyReply, SecretReply};

/// A question the user must answer before something happens.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmDialog {
    pub title: String,
    pub message: String,
    pub confirm_label: String,
    /// Run when the user confirms.
    pub on_confirm: UiCommand,
}

/// A paused task asks for a secret (see `Event::SecretPrompt`); the dialog shows the first one.
pub struct SecretQuestion {
    pub task: TaskId,
    pub request: PromptRequest,
    /// What the user typed so far.
    pub typed: Password,
    /// "Remember in the keychain" (offered only when the secret's mode is keychain).
    pub remember: bool,
    pub reply: SecretReply,
}

pub enum Dialog {
    Confirm(ConfirmDialog),
    /// What importing a file would do, with a tick per profile.
    Import(Box<ImportPreview>),
}

/// An SSH host key the user must accept or refuse before the task can go on.
#[derive(Debug, Clone)]
pub struct PendingHostKey {
    pub task: TaskId,
    /// The tunnel's question, as asked.
    pub question: HostKeyQuestion,
    pub reply: HostKeyReply,
}
