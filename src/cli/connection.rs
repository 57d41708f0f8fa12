//! Everything the CLI needs to reach a server for one task: the profile, its secrets (password
//! command, keychain, `PGPASSWORD` or a terminal prompt) and the SSH tunnel options (host keys:
//! refused when unknown unless `--accept-new-host-key`).

use super::CliError;
use super::config_dir;
use crate::net::credentials::Credentials;
use crate::net::ssh::{HostKeyPolicy, TunnelOptions};
use crate::store::password_source::cli_prompt;
use crate::store::secret_choice::open_secret_store;
use crate::tasks::provision::Target;
use crate::tasks::secrets::complete_credentials;
use shiftgate_core::profile::Profile;
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
        Self::resolve_for(config, profile, accept_new_host_key, false)
    }

    /// Like [`Self::resolve`]; `tunnel_only`: only the SSH secrets (no database password).
    pub fn resolve_for(
        config: &Option<PathBuf>,
        profile: Profile,
        accept_new_host_key: bool,
        tunnel_only: bool,
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
        let given = Credentials::default();
        let (credentials, notices) =
            complete_credentials(&profile, given, store.as_ref(), &mut prompt, tunnel_only)
                .map_err(|e| CliError::new(e.to_string()))?;
        for n in &notices {
            eprintln!("{n}");
        }
        let dir = config_dir(config)?;
        let policy =
            if accept_new_host_key { HostKeyPolicy::AcceptNew } else { HostKeyPolicy::Refuse };
        let tunnel = TunnelOptions::standard(Some(&dir), policy);
        Ok(CliConnection { profile, credentials, tunnel })
    }
}

struct SecretModeIsKeychain(bool);
