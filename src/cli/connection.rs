//! Everything the CLI needs to reach a server for one task: the profile, its secrets (password
//! command, keychain, `PGPASSWORD` or a terminal prompt) and the SSH tunnel options (host keys:
//! refused when unknown unless `--accept-new-host-key`).

use super::CliError;
use super::config_dir;
use crate::net::credentials::{Credentials, SshSecret};
use crate::net::ssh::{HostKeyPolicy, TunnelOptions};
use crate::store::password_source::{
    cli_prompt, resolve_db_password, resolve_ssh_secret, ssh_hop, ssh_secret_kinds,
};
use crate::store::secret_choice::open_secret_store;
use crate::store::secrets::SecretKind;
use crate::tasks::provision::Target;
use shiftgate_core::profile::{Profile, SshAuth};
use std::path::PathBuf;

/// An owned profile + secrets + tunnel options; [`CliConnection::target`] lends them to a task.
pub struct CliConnection {
    pub profile: Profile,
    pub credentials: Credentials,
    pub tunnel: TunnelOptions,
}

impl CliConnection {
    pub fn target(&self) -> Target<'_> {
        Target { profile: &self.profile, credentials: &self.credentials, tunnel: &self.tunnel }
    }

    /// Resolve secrets for `profile` and the tunnel options from the config dir.
    pub fn resolve(
        config: &Option<PathBuf>,
        profile: Profile,
        accept_new_host_key: bool,
    ) -> Result<CliConnection, CliError> {
        let (store, why_not) = open_secret_store(true);
        if let (Some(line), SecretModeIsKeychain(true)) = (
            &why_not,
            SecretModeIsKeychain(
                profile.password_mode == shiftgate_core::profile::SecretMode::Keychain,
            ),
        ) {
            eprintln!("{line}");
        }
        let mut prompt = |req: &crate::store::password_source::PromptRequest| cli_prompt(req);
        let db = resolve_db_password(&profile, store.as_ref(), &mut prompt)
            .map_err(|e| CliError::new(e.to_string()))?;
        for n in &db.notices {
            eprintln!("{n}");
        }
        let mut credentials = Credentials::db_only(db.secret);
        if profile.ssh.enabled {
            for kind in ssh_secret_kinds(&profile) {
                let (hop, needed) = match &kind {
                    SecretKind::SshPassphrase { hop } => (*hop, key_is_encrypted(&profile, *hop)),
                    SecretKind::SshPassword { hop } => (*hop, true),
                    SecretKind::DbPassword => continue,
                };
                if !needed {
                    continue;
                }
                let r = resolve_ssh_secret(&profile, &kind, store.as_ref(), &mut prompt);
                if let Some(secret) = r.secret {
                    let which = match kind {
                        SecretKind::SshPassphrase { .. } => SshSecret::KeyPassphrase { hop },
                        _ => SshSecret::Password { hop },
                    };
                    credentials = credentials.with_ssh(which, secret);
                }
            }
        }
        let dir = config_dir(config)?;
        let policy =
            if accept_new_host_key { HostKeyPolicy::AcceptNew } else { HostKeyPolicy::Refuse };
        let tunnel = TunnelOptions::standard(Some(&dir), policy);
        Ok(CliConnection { profile, credentials, tunnel })
    }
}

struct SecretModeIsKeychain(bool);

/// Whether hop `hop`'s key file needs a passphrase (an unreadable file is left to the tunnel,
/// which diagnoses it).
fn key_is_encrypted(profile: &Profile, hop: usize) -> bool {
    match ssh_hop(profile, hop).map(|h| &h.auth) {
        Some(SshAuth::Key { path }) => match std::fs::read_to_string(path) {
            Ok(text) => {
                russh::keys::decode_secret_key(&text, None).is_err() && text.contains("PRIVATE KEY")
            }
            Err(_) => false,
        },
        _ => false,
    }
}
