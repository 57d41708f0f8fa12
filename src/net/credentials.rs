//! The secrets one connection needs, handed in by the caller (keychain, prompt, CLI flag): the
//! database password and, for an SSH tunnel, key passphrases and passwords per hop.
//!
//! This module only carries secrets; it never looks them up, stores or prints them (`Debug`
//! shows which secrets are present, never their values).

use std::collections::HashMap;
use zeroize::Zeroizing;

/// A password held only as long as needed and wiped from memory on drop.
pub type Password = Zeroizing<String>;

/// Which SSH secret. `hop` counts in profile order, like `store::secrets::SecretKind`:
/// 0 is the bastion (`SshSettings::bastion`), `i` ≥ 1 is `SshSettings::jump_hosts[i - 1]` (or the
/// i-th `ProxyJump` host when the hops come from an `~/.ssh/config` alias).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SshSecret {
    /// Passphrase of the private key file used for the hop.
    KeyPassphrase { hop: usize },
    /// Password for password authentication on the hop.
    Password { hop: usize },
}

/// Secrets for one task.
#[derive(Clone, Default)]
pub struct Credentials {
    pub db_password: Option<Password>,
    pub ssh: HashMap<SshSecret, Password>,
}

impl Credentials {
    /// Only a database password (no tunnel secrets).
    pub fn db_only(db_password: Option<Password>) -> Self {
        Credentials { db_password, ssh: HashMap::new() }
    }

    /// Add an SSH secret (builder style).
    pub fn with_ssh(mut self, which: SshSecret, secret: Password) -> Self {
        self.ssh.insert(which, secret);
        self
    }

    pub fn ssh_secret(&self, which: SshSecret) -> Option<&Password> {
        self.ssh.get(&which)
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ssh: Vec<&SshSecret> = self.ssh.keys().collect();
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
            .with_ssh(SshSecret::KeyPassphrase { hop: 0 }, Password::new("key-secret".into()));
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret\""), "{shown}");
        assert!(!shown.contains("db-secret") && !shown.contains("key-secret"), "{shown}");
        assert!(shown.contains("KeyPassphrase"));
        assert_eq!(
            c.ssh_secret(SshSecret::KeyPassphrase { hop: 0 }).map(|p| p.as_str()),
            Some("key-secret")
        );
    }
}
