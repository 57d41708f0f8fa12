//! The SSH part of the connection form: the connection method (direct, SSH tunnel with explicit
//! hops, `~/.ssh/config` alias), text buffers for the numbers and paths of every hop, SSH secrets
//! typed but not saved yet, and what the alias resolves to.
//!
//! Plain state and pure updates; the alias lookup (a file read) runs in the background and lands
//! here through [`SshForm::alias_resolved`].

use crate::net::connect::Password;
use crate::net::credentials::SecretKind;
use crate::net::ssh_config::ResolvedAlias;
use shiftgate_core::profile::{Profile, SshAuth, SshHop};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// How the profile reaches the database. The profile keeps it as `ssh.enabled` plus
/// `ssh.config_alias` (`Some` = alias, even while the alias is still empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionMethod {
    Direct,
    Tunnel,
    Alias,
}

impl ConnectionMethod {
    pub const ALL: [ConnectionMethod; 3] =
        [ConnectionMethod::Direct, ConnectionMethod::Tunnel, ConnectionMethod::Alias];

    pub fn label(self) -> &'static str {
        match self {
            ConnectionMethod::Direct => "Direct",
            ConnectionMethod::Tunnel => "SSH tunnel",
            ConnectionMethod::Alias => "SSH config alias",
        }
    }

    pub fn of(p: &Profile) -> ConnectionMethod {
        match (p.ssh.enabled, &p.ssh.config_alias) {
            (false, _) => ConnectionMethod::Direct,
            (true, Some(_)) => ConnectionMethod::Alias,
            (true, None) => ConnectionMethod::Tunnel,
        }
    }
}

/// How a hop authenticates, as the form offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthChoice {
    Key,
    Password,
    Agent,
}

impl AuthChoice {
    pub const ALL: [AuthChoice; 3] = [AuthChoice::Key, AuthChoice::Password, AuthChoice::Agent];

    pub fn label(self) -> &'static str {
        match self {
            AuthChoice::Key => "Key file",
            AuthChoice::Password => "Password login",
            AuthChoice::Agent => "SSH agent",
        }
    }

    pub fn of(auth: &SshAuth) -> AuthChoice {
        match auth {
            SshAuth::Key { .. } => AuthChoice::Key,
            SshAuth::Password => AuthChoice::Password,
            SshAuth::Agent => AuthChoice::Agent,
        }
    }
}

/// What the alias resolved to (or why not), for the alias it was looked up for.
#[derive(Debug, Clone, PartialEq)]
pub struct AliasPreview {
    pub alias: String,
    pub result: Result<ResolvedAlias, String>,
}

/// Text buffers and typed secrets of the SSH section. Hop slots count in profile order:
/// 0 = the bastion, `i` = `jump_hosts[i - 1]` (the same numbering as the keychain items).
#[derive(Default)]
pub struct SshForm {
    pub alias_text: String,
    pub port_texts: Vec<String>,
    pub key_texts: Vec<String>,
    pub keepalive_text: String,
    pub timeout_text: String,
    /// SSH passphrases / passwords typed but not saved; never written to the profile.
    pub typed: HashMap<SecretKind, Password>,
    /// SSH secrets the keychain holds for this profile (from the background lookup).
    pub saved: HashSet<SecretKind>,
    /// Hops put aside while the alias is chosen (restored when going back to the tunnel).
    stashed: Option<(SshHop, Vec<SshHop>)>,
    pub alias_preview: Option<AliasPreview>,
    /// The alias a background lookup is running for.
    pub alias_requested: Option<String>,
}

/// The hop in `slot` (0 = bastion, i = jump host i).
pub fn hop_mut(p: &mut Profile, slot: usize) -> Option<&mut SshHop> {
    match slot {
        0 => Some(&mut p.ssh.bastion),
        n => p.ssh.jump_hosts.get_mut(n - 1),
    }
}

/// The label prefix of a hop slot ("Bastion", "Jump host 2").
pub fn hop_name(slot: usize) -> String {
    if slot == 0 { "Bastion".to_string() } else { format!("Jump host {slot}") }
}

impl SshForm {
    /// Refresh the buffers from the profile (open, revert, hop added or moved).
    pub fn sync_from(&mut self, p: &Profile) {
        self.alias_text = p.ssh.config_alias.clone().unwrap_or_default();
        let hops = std::iter::once(&p.ssh.bastion).chain(p.ssh.jump_hosts.iter());
        (self.port_texts, self.key_texts) = hops
            .map(|h| {
                let key = match &h.auth {
                    SshAuth::Key { path } => path.display().to_string(),
                    _ => String::new(),
                };
                (h.port.to_string(), key)
            })
            .unzip();
        self.keepalive_text = p.ssh.keepalive_secs.to_string();
        self.timeout_text = p.ssh.connect_timeout_secs.to_string();
    }

    /// Switch the connection method; the hops are kept aside while the alias supplies them (a
    /// profile's own hop fields would override the alias).
    pub fn set_method(&mut self, p: &mut Profile, method: ConnectionMethod) {
        let from = ConnectionMethod::of(p);
        if from == method {
            return;
        }
        match method {
            ConnectionMethod::Direct => p.ssh.enabled = false,
            ConnectionMethod::Tunnel => {
                p.ssh.enabled = true;
                p.ssh.config_alias = None;
                if let Some((bastion, jumps)) = self.stashed.take() {
                    p.ssh.bastion = bastion;
                    p.ssh.jump_hosts = jumps;
                }
            }
            ConnectionMethod::Alias => {
                p.ssh.enabled = true;
                p.ssh.config_alias = Some(self.alias_text.trim().to_string());
                let bastion = std::mem::take(&mut p.ssh.bastion);
                let jumps = std::mem::take(&mut p.ssh.jump_hosts);
                if bastion != SshHop::default() || !jumps.is_empty() {
                    self.stashed = Some((bastion, jumps));
                }
            }
        }
        self.sync_from(p);
    }

    pub fn alias_changed(&mut self, p: &mut Profile) {
        p.ssh.config_alias = Some(self.alias_text.trim().to_string());
    }

    pub fn port_changed(&mut self, p: &mut Profile, slot: usize) {
        let port = self.port_texts.get(slot).and_then(|t| t.trim().parse().ok()).unwrap_or(0);
        if let Some(hop) = hop_mut(p, slot) {
            hop.port = port;
        }
    }

    pub fn key_changed(&mut self, p: &mut Profile, slot: usize) {
        let text = self.key_texts.get(slot).map(|t| t.trim().to_string()).unwrap_or_default();
        if let Some(hop) = hop_mut(p, slot) {
            hop.auth = SshAuth::Key { path: PathBuf::from(text) };
        }
    }

    pub fn set_key_file(&mut self, p: &mut Profile, slot: usize, path: PathBuf) {
        if let Some(hop) = hop_mut(p, slot) {
            hop.auth = SshAuth::Key { path };
        }
        self.sync_from(p);
    }

    pub fn set_auth(&mut self, p: &mut Profile, slot: usize, choice: AuthChoice) {
        let key = PathBuf::from(self.key_texts.get(slot).map(|t| t.trim()).unwrap_or(""));
        if let Some(hop) = hop_mut(p, slot) {
            hop.auth = match choice {
                AuthChoice::Key => SshAuth::Key { path: key },
                AuthChoice::Password => SshAuth::Password,
                AuthChoice::Agent => SshAuth::Agent,
            };
        }
    }

    pub fn timeouts_changed(&mut self, p: &mut Profile) {
        // Out of range on purpose when not a number: validation says so under the field.
        p.ssh.keepalive_secs = self.keepalive_text.trim().parse().unwrap_or(u32::MAX);
        p.ssh.connect_timeout_secs = self.timeout_text.trim().parse().unwrap_or(0);
    }

    pub fn add_jump_host(&mut self, p: &mut Profile) {
        p.ssh.jump_hosts.push(SshHop::default());
        self.sync_from(p);
    }

    /// Remove or reorder jump hosts. Typed secrets of jump hosts are dropped (their slot numbers
    /// change).
    pub fn remove_jump_host(&mut self, p: &mut Profile, slot: usize) {
        if (1..=p.ssh.jump_hosts.len()).contains(&slot) {
            p.ssh.jump_hosts.remove(slot - 1);
            self.forget_typed_jump_secrets();
            self.sync_from(p);
        }
    }

    pub fn move_jump_host_earlier(&mut self, p: &mut Profile, slot: usize) {
        if slot >= 2 && slot <= p.ssh.jump_hosts.len() {
            p.ssh.jump_hosts.swap(slot - 2, slot - 1);
            self.forget_typed_jump_secrets();
            self.sync_from(p);
        }
    }

    fn forget_typed_jump_secrets(&mut self) {
        self.typed.retain(|k, _| {
            !matches!(k, SecretKind::SshPassphrase { hop } | SecretKind::SshPassword { hop } if *hop > 0)
        });
    }

    /// A background lookup finished; kept only if the alias is still the one in the field.
    pub fn alias_resolved(&mut self, preview: AliasPreview) {
        if self.alias_requested.as_deref() == Some(preview.alias.as_str()) {
            self.alias_requested = None;
        }
        if self.alias_text.trim() == preview.alias {
            self.alias_preview = Some(preview);
        }
    }

    /// The alias to look up now, if the field holds one that is neither shown nor being looked up.
    pub fn alias_to_resolve(&self, p: &Profile) -> Option<String> {
        let alias = p.ssh.config_alias.as_deref().map(str::trim).filter(|a| !a.is_empty())?;
        let shown = self.alias_preview.as_ref().is_some_and(|v| v.alias == alias);
        let asked = self.alias_requested.as_deref() == Some(alias);
        (p.ssh.enabled && !shown && !asked).then(|| alias.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftgate_core::profile::Engine;

    #[test]
    fn alias_keeps_the_hops_aside_and_tunnel_brings_them_back() {
        let mut p = Profile::new(Engine::Postgres);
        let mut f = SshForm::default();
        f.set_method(&mut p, ConnectionMethod::Tunnel);
        p.ssh.bastion.host = "bastion".into();
        f.add_jump_host(&mut p);
        assert_eq!(f.port_texts, vec!["22".to_string(), "22".to_string()]);
        f.alias_text = "db-bastion".into();
        f.set_method(&mut p, ConnectionMethod::Alias);
        assert_eq!(ConnectionMethod::of(&p), ConnectionMethod::Alias);
        assert_eq!((p.ssh.bastion.host.as_str(), p.ssh.jump_hosts.len()), ("", 0));
        assert_eq!(f.alias_to_resolve(&p).as_deref(), Some("db-bastion"));
        f.set_method(&mut p, ConnectionMethod::Tunnel);
        assert_eq!((p.ssh.bastion.host.as_str(), p.ssh.jump_hosts.len()), ("bastion", 1));
        assert_eq!(p.ssh.config_alias, None);
        f.port_texts[1] = "x".into();
        f.port_changed(&mut p, 1);
        assert_eq!(p.ssh.jump_hosts[0].port, 0, "validation reports a bad port");
        f.set_method(&mut p, ConnectionMethod::Direct);
        assert!(!p.ssh.enabled);
    }
}
