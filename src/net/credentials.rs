//! The secrets one connection needs, handed in by the caller (keychain, prompt, CLI flag): the
//! database password and, for an SSH tunnel, key passphrases and passwords per hop.
//!
//! This module only carries secrets; it never looks them up, stores or prints them (`Debug`
//! shows which secrets are present, never their values).

use std::collections::HashMap;
use zeroize::Zeroizing;

/// A password held only as long as needed and wiped from memory on drop.
pub type Password = Zeroizing<String>;

/// Which secret of a profile — one enum for the keychain (`store::secrets`), the resolver, the
/// prompt and the tunnel. `hop` counts in profile order: 0 is the bastion
/// (`SshSettings::bastion`), `i` ≥ 1 is `SshSettings::jump_hosts[i - 1]` (or the i-th `ProxyJump`
/// host when the hops come from an `~/.ssh/config` alias).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretKind {
    DbPassword,
    /// Passphrase of the private key file used for SSH hop `hop`.
    SshPassphrase {
        hop: usize,
    },
    /// Password for password authentication on SSH hop `hop`.
    SshPassword {
        hop: usize,
    },
}

impl SecretKind {
    /// The account name under which the secret is kept (`<profile-id>/<kind>`).
    pub fn account(&self, profile: &shiftgate_core::profile::ProfileId) -> String {
        match self {
            SecretKind::DbPassword => format!("{profile}/db-password"),
            SecretKind::SshPassphrase { hop } => format!("{profile}/ssh-passphrase-{hop}"),
            SecretKind::SshPassword { hop } => format!("{profile}/ssh-password-{hop}"),
        }
    }

    /// What the secret is, in a few words ("SSH key passphrase").
    pub fn noun(&self) -> &'static str {
        match self {
            SecretKind::DbPassword => "Database password",
            SecretKind::SshPassphrase { .. } => "SSH key passphrase",
            SecretKind::SshPassword { .. } => "SSH password",
        }
    }
}

/// Secrets for one task.
#[derive(Clone, Default)]
pub struct Credentials {
    pub db_password: Option<Password>,
    /// SSH secrets (never [`SecretKind::DbPassword`]).
    pub ssh: HashMap<SecretKind, Password>,
}

impl Credentials {
    /// Only a database password (no tunnel secrets).
    pub fn db_only(db_password: Option<Password>) -> Self {
        Credentials { db_password, ssh: HashMap::new() }
    }

    /// Add an SSH secret (builder style).
    pub fn with_ssh(mut self, which: SecretKind, secret: Password) -> Self {
        self.ssh.insert(which, secret);
        self
    }

    pub fn ssh_secret(&self, which: SecretKind) -> Option<&Password> {
        self.ssh.get(&which)
    }

    /// The secret of `kind`, whichever it is.
    pub fn get(&self, kind: SecretKind) -> Option<&Password> {
        match kind {
            SecretKind::DbPassword => self.db_password.as_ref(),
            ssh => self.ssh.get(&ssh),
        }
    }

    /// Set the secret of `kind`.
    pub fn set(&mut self, kind: SecretKind, secret: Password) {
        match kind {
            SecretKind::DbPassword => self.db_password = Some(secret),
            ssh => {
                self.ssh.insert(ssh, secret);
            }
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ssh: Vec<&SecretKind> = self.ssh.keys().collect();
        ssh.sort();
        f.debug_struct("Credentials")
            .field("db_password", &self.db_password.as_ref().map(|_| "<redacted>"))
            .field("ssh", &ssh)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_secrets() {
        let c = Credentials::db_only(Some(Password::new("db-secret".into())))
            .with_ssh(SecretKind::SshPassphrase { hop: 0 }, Password::new("key-secret".into()));
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret\""), "{shown}");
        assert!(!shown.contains("db-secret") && !shown.contains("key-secret"), "{shown}");
        assert!(shown.contains("SshPassphrase"));
        assert_eq!(
            c.ssh_secret(SecretKind::SshPassphrase { hop: 0 }).map(|p| p.as_str()),
            Some("key-secret")
        );
    }
}
