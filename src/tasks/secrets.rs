//! The secrets of one task, completed by the one resolver every front end uses
//! (`store::password_source`: password command → keychain → ask), for the database password and
//! every SSH secret the profile's hops need.
//!
//! What the caller already has (typed into the form, a CLI environment variable) is kept; the rest
//! is resolved here. The GUI backend runs this inside the task on a blocking thread, and its prompt
//! pauses the task with an [`super::Event::SecretPrompt`] until the user answers the dialog; the
//! CLI passes a terminal prompt. Resolution blocks (a command, a keychain call, a person): never
//! call it on the UI thread.

use crate::net::credentials::{Credentials, SecretKind};
use crate::store::password_command::PasswordCommandError;
use crate::store::password_source::{Prompt, resolve_db_password, resolve_ssh_secret, ssh_hop};
use crate::store::secrets::SecretStore;
use shiftgate_core::diagnose::{Cause, Diagnosis};
use shiftgate_core::profile::{Profile, SshAuth};

/// The secrets that will be needed to connect with `profile`: the database password (unless
/// `tunnel_only`), and for an SSH tunnel with explicit hops the password of every password hop
/// and the passphrase of every encrypted key file.
pub fn needed_secrets(profile: &Profile, tunnel_only: bool) -> Vec<SecretKind> {
    let mut kinds = Vec::new();
    // An IAM profile's database password is the temporary one the connect fetches from AWS.
    if !tunnel_only && !profile.auth.is_iam() {
        kinds.push(SecretKind::DbPassword);
    }
    if !profile.ssh.enabled {
        return kinds;
    }
    for hop in 0..=profile.ssh.jump_hosts.len() {
        match ssh_hop(profile, hop).map(|h| &h.auth) {
            Some(SshAuth::Key { path }) if key_is_encrypted(path) => {
                kinds.push(SecretKind::SshPassphrase { hop })
            }
            Some(SshAuth::Password) => kinds.push(SecretKind::SshPassword { hop }),
            _ => {}
        }
    }
    kinds
}

/// Whether a private key file needs a passphrase. An unreadable file needs none here: the tunnel
/// diagnoses it when it tries the key.
pub fn key_is_encrypted(path: &std::path::Path) -> bool {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            text.contains("PRIVATE KEY") && russh::keys::decode_secret_key(&text, None).is_err()
        }
        Err(_) => false,
    }
}

/// `given` plus every needed secret it lacks. Lines for the user (keychain locked, a remembered
/// answer not saved) come back beside the credentials; they never contain a secret.
pub fn complete_credentials(
    profile: &Profile,
    given: Credentials,
    store: &dyn SecretStore,
    prompt: &mut Prompt<'_>,
    tunnel_only: bool,
) -> Result<(Credentials, Vec<String>), PasswordCommandError> {
    let mut credentials = given;
    let mut notices = Vec::new();
    for kind in needed_secrets(profile, tunnel_only) {
        if credentials.get(kind).is_some() {
            continue;
        }
        let resolved = match kind {
            SecretKind::DbPassword => resolve_db_password(profile, store, prompt)?,
            ssh => resolve_ssh_secret(profile, &ssh, store, prompt),
        };
        notices.extend(resolved.notices);
        if let Some(secret) = resolved.secret {
            credentials.set(kind, secret);
        }
    }
    Ok((credentials, notices))
}

/// A failing password command as a diagnosis: it is never replaced by a prompt.
pub fn command_failure(e: &PasswordCommandError) -> Diagnosis {
    Diagnosis {
        cause: Cause::Other,
        summary: "The profile's password command did not give a password.".into(),
        hint: "Run the command in a terminal to see why, or change it in the profile.".into(),
        server_text: Some(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::connect::Password;
    use crate::store::password_source::{PromptAnswer, PromptRequest};
    use crate::store::secrets::{MemorySecretStore, SecretKey};
    use shiftgate_core::profile::{Engine, SecretMode, SshHop};

    #[test]
    fn typed_secrets_are_kept_and_the_rest_resolved_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "not a key").unwrap();
        let mut p = Profile::new(Engine::Postgres);
        p.host = "db".into();
        p.user = "u".into();
        p.ssh.enabled = true;
        p.ssh.bastion = SshHop { auth: SshAuth::Password, ..SshHop::default() };
        p.ssh.jump_hosts = vec![SshHop { auth: SshAuth::Key { path: plain }, ..SshHop::default() }];
        assert_eq!(
            needed_secrets(&p, false),
            vec![SecretKind::DbPassword, SecretKind::SshPassword { hop: 0 }],
            "an unencrypted (here: unreadable as a key) file needs no passphrase"
        );
        assert_eq!(needed_secrets(&p, true), vec![SecretKind::SshPassword { hop: 0 }]);
        let mut iam = p.clone();
        iam.auth.method = shiftgate_core::profile::AuthMethod::Iam;
        assert_eq!(
            needed_secrets(&iam, false),
            vec![SecretKind::SshPassword { hop: 0 }],
            "IAM: no database password to ask for"
        );
        let store = MemorySecretStore::default();
        store
            .set(
                &SecretKey { profile: p.id.clone(), kind: SecretKind::SshPassword { hop: 0 } },
                "ssh",
            )
            .unwrap();
        p.ssh.secret_mode = SecretMode::Keychain;
        let mut asked = Vec::new();
        let given = Credentials::db_only(Some(Password::new("typed".into())));
        let (c, _) = complete_credentials(
            &p,
            given,
            &store,
            &mut |r: &PromptRequest| -> Option<PromptAnswer> {
                asked.push(r.key.kind);
                None
            },
            false,
        )
        .unwrap();
        assert!(asked.is_empty(), "nothing asked: {asked:?}");
        assert_eq!(c.db_password.as_deref().map(String::as_str), Some("typed"));
        assert_eq!(
            c.ssh_secret(SecretKind::SshPassword { hop: 0 }).map(|s| s.as_str()),
            Some("ssh")
        );
        p.password_command = Some("exit 3".into());
        let err = complete_credentials(
            &p,
            Credentials::default(),
            &store,
            &mut |_: &PromptRequest| None,
            false,
        )
        .expect_err("a failing command is an error");
        assert!(command_failure(&err).server_text.unwrap().contains("exit 3"));
    }
}
