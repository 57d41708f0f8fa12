//! Resolve an `~/.ssh/config` host alias into the hops of a tunnel, at connect time (so edits to
//! the config file apply without touching the profile). Parsing is `ssh2-config`'s.
//!
//! Used directives: `Host` patterns (incl. wildcards, `Host *` defaults, first value wins as in
//! OpenSSH), `Include`, `HostName`, `Port`, `User`, `IdentityFile` (accumulating; `~` expanded),
//! `IdentitiesOnly`, and `ProxyJump` (comma list of `[user@]host[:port]` or `ssh://…`, each looked
//! up in the config again, `none` = no jump; nested up to [`MAX_HOPS`] hops).
//!
//! Not supported (a note in the report says when a file uses them):
//! * `Match` blocks — ssh2-config does not evaluate them; their lines are ignored;
//! * `ProxyCommand` (e.g. AWS SSM) — the tunnel refuses rather than connect without it;
//! * `%h`/`%p`/`%r` tokens in `HostName` or `IdentityFile`, `CertificateFile` (certificates),
//!   `HostKeyAlias`, `UserKnownHostsFile`, `StrictHostKeyChecking`, `IdentityAgent`,
//!   `PreferredAuthentications`, cipher/KEX lists.
//!
//! Without an `IdentityFile`, OpenSSH's default key files (`~/.ssh/id_ed25519`, `id_ecdsa`,
//! `id_rsa`) that exist are offered, after the agent.

use ssh2_config::{HostParams, ParseRule, SshConfig};
use std::collections::HashSet;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Longest chain an alias may expand to (jump hosts + the host itself).
pub const MAX_HOPS: usize = 8;

/// One hop as the config file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigHop {
    /// The name looked up in the config (alias or jump spec host).
    pub alias: String,
    /// `HostName`, else the alias.
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    /// Key files to offer, in order.
    pub identity_files: Vec<PathBuf>,
    /// `IdentitiesOnly yes`: offer only these files (and agent keys matching them).
    pub identities_only: bool,
}

/// An alias expanded: jump hosts in order, then the host itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedAlias {
    pub jumps: Vec<ConfigHop>,
    pub target: ConfigHop,
    /// Things the user should know (unsupported directives seen).
    pub notes: Vec<String>,
}

/// `~/.ssh/config`, if a home directory is known.
pub fn default_config_path() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.home_dir().join(".ssh").join("config"))
}

fn default_identity_files() -> Vec<PathBuf> {
    let Some(home) = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf()) else {
        return Vec::new();
    };
    ["id_ed25519", "id_ecdsa", "id_rsa"]
        .iter()
        .map(|n| home.join(".ssh").join(n))
        .filter(|p| p.is_file())
        .collect()
}

/// Parse `path` and expand `alias`.
pub fn resolve(path: &Path, alias: &str) -> Result<ResolvedAlias, String> {
    let file = File::open(path)
        .map_err(|e| format!("could not open SSH config {}: {e}", path.display()))?;
    let config = SshConfig::default()
        .parse(
            &mut BufReader::new(file),
            ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS,
        )
        .map_err(|e| format!("could not parse SSH config {}: {e}", path.display()))?;
    let mut notes = Vec::new();
    let mut seen = HashSet::new();
    let mut chain = expand(
        &config,
        &JumpSpec { user: None, host: alias.to_string(), port: None },
        &mut seen,
        &mut notes,
    )?;
    let target =
        chain.pop().ok_or_else(|| format!("SSH config alias \"{alias}\" expanded to nothing"))?;
    Ok(ResolvedAlias { jumps: chain, target, notes })
}

/// `[user@]host[:port]` or `ssh://[user@]host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct JumpSpec {
    user: Option<String>,
    host: String,
    port: Option<u16>,
}

fn parse_jump(spec: &str) -> Result<JumpSpec, String> {
    let s = spec.trim();
    let s = s.strip_prefix("ssh://").unwrap_or(s);
    let (user, rest) = match s.rsplit_once('@') {
        Some((u, r)) => (Some(u.to_string()), r),
        None => (None, s),
    };
    let bad = || format!("ProxyJump entry \"{spec}\" is not [user@]host[:port]");
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let (h, after) = inner.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse::<u16>().map_err(|_| bad())?),
            None if after.is_empty() => None,
            None => return Err(bad()),
        };
        (h.to_string(), port)
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p.parse::<u16>().map_err(|_| bad())?)),
            None => (rest.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok(JumpSpec { user, host, port })
}

fn note_unsupported(params: &HostParams, name: &str, notes: &mut Vec<String>) {
    for (field, what) in [
        ("certificatefile", "CertificateFile (certificates)"),
        ("hostkeyalias", "HostKeyAlias"),
        ("userknownhostsfile", "UserKnownHostsFile"),
        ("identityagent", "IdentityAgent"),
        ("stricthostkeychecking", "StrictHostKeyChecking"),
    ] {
        if params.unsupported_fields.contains_key(field) {
            notes.push(format!(
                "{name}: {what} in the SSH config is not supported and was ignored."
            ));
        }
    }
    if params.ignored_fields.contains_key("match") {
        notes.push(format!("{name}: Match blocks in the SSH config are not evaluated."));
    }
}

fn expand(
    config: &SshConfig,
    spec: &JumpSpec,
    seen: &mut HashSet<String>,
    notes: &mut Vec<String>,
) -> Result<Vec<ConfigHop>, String> {
    if !seen.insert(spec.host.clone()) {
        return Err(format!("ProxyJump loop in the SSH config at \"{}\"", spec.host));
    }
    let params = config.query(&spec.host);
    if params.unsupported_fields.contains_key("proxycommand") {
        return Err(format!(
            "the SSH config uses ProxyCommand for \"{}\", which is not supported; use ProxyJump or enter the hops in the profile",
            spec.host
        ));
    }
    note_unsupported(&params, &spec.host, notes);
    let host = params.host_name.clone().unwrap_or_else(|| spec.host.clone());
    if host.contains('%') {
        return Err(format!("HostName \"{host}\" uses % tokens, which are not supported"));
    }
    let identities_only = params
        .unsupported_fields
        .get("identitiesonly")
        .and_then(|a| a.first())
        .is_some_and(|v| v.eq_ignore_ascii_case("yes"));
    let identity_files = match &params.identity_file {
        Some(files) => files.clone(),
        None if identities_only => Vec::new(),
        None => default_identity_files(),
    };
    let me = ConfigHop {
        alias: spec.host.clone(),
        host,
        port: spec.port.or(params.port).unwrap_or(22),
        user: spec.user.clone().or_else(|| params.user.clone()),
        identity_files,
        identities_only,
    };
    let mut chain = Vec::new();
    let jumps: Vec<String> = params
        .proxy_jump
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|j| !j.trim().is_empty())
        .collect();
    if !(jumps.len() == 1 && jumps[0].trim().eq_ignore_ascii_case("none")) {
        for j in &jumps {
            let spec = parse_jump(j)?;
            chain.extend(expand(config, &spec, seen, notes)?);
        }
    }
    chain.push(me);
    if chain.len() > MAX_HOPS {
        return Err(format!("the SSH config expands to more than {MAX_HOPS} hops"));
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("config");
        std::fs::write(&p, text).expect("write config");
        p
    }

    #[test]
    fn alias_with_proxyjump_chain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(
            dir.path(),
            "Host db-bastion\n  HostName 10.0.0.5\n  Port 2222\n  User ec2-user\n  IdentityFile /keys/bastion\n  IdentitiesOnly yes\n  ProxyJump jump1,admin@[::1]:2200\n\n\
             Host jump1\n  HostName jump.example.com\n  User alice\n  IdentityFile /keys/jump\n\n\
             Host *\n  User nobody\n  Port 22\n",
        );
        let r = resolve(&path, "db-bastion").expect("resolves");
        assert_eq!(r.target.host, "10.0.0.5");
        assert_eq!(r.target.port, 2222);
        assert_eq!(r.target.user.as_deref(), Some("ec2-user"));
        assert_eq!(r.target.identity_files, vec![PathBuf::from("/keys/bastion")]);
        assert!(r.target.identities_only);
        assert_eq!(r.jumps.len(), 2);
        assert_eq!(r.jumps[0].host, "jump.example.com");
        assert_eq!(r.jumps[0].user.as_deref(), Some("alice"));
        assert_eq!(r.jumps[0].port, 22);
        assert_eq!(r.jumps[1].host, "::1");
        assert_eq!(r.jumps[1].port, 2200);
        assert_eq!(r.jumps[1].user.as_deref(), Some("admin"), "the spec's user wins over Host *");
    }

    #[test]
    fn proxycommand_and_loops_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(
            dir.path(),
            "Host ssm\n  ProxyCommand aws ssm start-session --target %h\n\nHost a\n  ProxyJump b\n\nHost b\n  ProxyJump a\n",
        );
        assert!(resolve(&path, "ssm").unwrap_err().contains("ProxyCommand"));
        assert!(resolve(&path, "a").unwrap_err().contains("loop"));
    }

    #[test]
    fn unknown_alias_is_the_host_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), "Host other\n  HostName x\n");
        let r = resolve(&path, "plain.example.com").expect("resolves");
        assert_eq!(r.target.host, "plain.example.com");
        assert_eq!(r.target.port, 22);
        assert!(r.jumps.is_empty());
    }

    #[test]
    fn jump_spec_forms() {
        assert_eq!(
            parse_jump("ssh://u@h:22").unwrap(),
            JumpSpec { user: Some("u".into()), host: "h".into(), port: Some(22) }
        );
        assert_eq!(parse_jump("h").unwrap(), JumpSpec { user: None, host: "h".into(), port: None });
        assert!(parse_jump("h:notaport").is_err());
    }
}
