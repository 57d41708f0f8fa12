//! SSH host-key trust: look a server's key up in the user's `~/.ssh/known_hosts` and in the app's
//! own known-hosts file, and remember a key the user accepted (in the app's file only — the
//! user's OpenSSH file is never written).
//!
//! Matching uses russh's reader (`russh::keys::known_hosts::known_host_keys_path`), which handles
//! `[host]:port` entries for ports other than 22, comma-separated host lists and hashed (`|1|…`)
//! entries. Its limits, which are therefore ours:
//! * no wildcard (`*`, `?`) or negated (`!host`) patterns — such lines never match;
//! * `@cert-authority` and `@revoked` lines are skipped (host certificates are not accepted at all);
//! * fields must be separated by single spaces (OpenSSH also accepts tabs and runs of spaces);
//! * a matching line whose key does not parse makes the whole file unusable for that host (we then
//!   say so and treat the host as not known from that file — the user is asked, never silently
//!   trusted);
//! * only the host name as given is looked up (no `CheckHostIP`, no `HostKeyAlias`).
//!
//! Verdicts, strictest first: a key of the same type as a recorded one but different is
//! [`HostKeyStatus::Changed`] (refuse: possible man-in-the-middle); an identical key is
//! [`HostKeyStatus::Known`]; anything else is [`HostKeyStatus::Unknown`] (ask).

use russh::keys::{HashAlg, PublicKey};
use std::path::{Path, PathBuf};

/// Where recorded host keys are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownHostsFiles {
    /// The user's OpenSSH file (read only), usually `~/.ssh/known_hosts`.
    pub user: Option<PathBuf>,
    /// The app's own file (read, and appended to when the user accepts a new key).
    pub app: PathBuf,
}

/// A line of a known-hosts file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownHostsLine {
    pub file: PathBuf,
    pub line: usize,
}

impl std::fmt::Display for KnownHostsLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} line {}", self.file.display(), self.line)
    }
}

/// What the known-hosts files say about a server key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyStatus {
    /// The same key is recorded here.
    Known(KnownHostsLine),
    /// A different key of the same type is recorded for this host: refuse.
    Changed { recorded: KnownHostsLine, recorded_fingerprint: String },
    /// Nothing usable is recorded. `other_types` lists key types recorded for the host that the
    /// server did not present; `problems` lists files that could not be read.
    Unknown { other_types: Vec<String>, problems: Vec<String> },
}

/// russh numbers only lines that do not start with `#` (its counter skips comment lines); turn
/// its number into the line number an editor shows.
fn real_line(file: &Path, russh_line: usize) -> usize {
    let Ok(text) = std::fs::read_to_string(file) else { return russh_line };
    let mut counted = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if !line.starts_with('#') {
            counted += 1;
            if counted == russh_line {
                return i + 1;
            }
        }
    }
    russh_line
}

/// `SHA256:…` fingerprint as OpenSSH prints it.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The key's algorithm name, e.g. `ssh-ed25519`.
pub fn key_type(key: &PublicKey) -> String {
    key.algorithm().as_str().to_string()
}

impl KnownHostsFiles {
    fn files(&self) -> impl Iterator<Item = &Path> {
        self.user.iter().map(PathBuf::as_path).chain(std::iter::once(self.app.as_path()))
    }

    /// Look `key` presented by `host:port` up in every file.
    pub fn check(&self, host: &str, port: u16, key: &PublicKey) -> HostKeyStatus {
        let mut known = None;
        let mut other_types = Vec::new();
        let mut problems = Vec::new();
        for file in self.files() {
            let entries = match russh::keys::known_hosts::known_host_keys_path(host, port, file) {
                Ok(e) => e,
                Err(e) => {
                    problems
                        .push(format!("{} could not be read for this host: {e}", file.display()));
                    continue;
                }
            };
            for (line, recorded) in entries {
                let at = KnownHostsLine { file: file.to_path_buf(), line: real_line(file, line) };
                if recorded.key_data() == key.key_data() {
                    known.get_or_insert(at);
                } else if recorded.algorithm() == key.algorithm() {
                    // A changed key wins over a match elsewhere: OpenSSH also refuses when any
                    // file records a different key of the presented type.
                    return HostKeyStatus::Changed {
                        recorded: at,
                        recorded_fingerprint: fingerprint(&recorded),
                    };
                } else {
                    let t = key_type(&recorded);
                    if !other_types.contains(&t) {
                        other_types.push(t);
                    }
                }
            }
        }
        match known {
            Some(at) => HostKeyStatus::Known(at),
            None => HostKeyStatus::Unknown { other_types, problems },
        }
    }

    /// Remember `key` for `host:port` in the app's file (creating it and its directory).
    pub fn learn(&self, host: &str, port: u16, key: &PublicKey) -> Result<(), String> {
        russh::keys::known_hosts::learn_known_hosts_path(host, port, key, &self.app)
            .map_err(|e| format!("could not write {}: {e}", self.app.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const KEY_B: &str = "AAAAC3NzaC1lZDI1NTE5AAAAILIG2T/B0l0gaqj3puu510tu9N1OkQ4znY3LYuEm5zCF";

    fn key(b64: &str) -> PublicKey {
        russh::keys::parse_public_key_base64(b64).expect("test key parses")
    }

    fn files(dir: &Path, user: &str) -> KnownHostsFiles {
        let user_path = dir.join("user_known_hosts");
        std::fs::write(&user_path, user).expect("write");
        KnownHostsFiles { user: Some(user_path), app: dir.join("app").join("known_hosts") }
    }

    #[test]
    fn port_entries_hashed_entries_changed_and_learned() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Hashed entry for example.com (port 22), from russh's own test data.
        let text = format!(
            "# a comment russh does not count\n[bastion.example]:2222 ssh-ed25519 {KEY_A}\n|1|O33ESRMWPVkMYIwJ1Uw+n877jTo=|nuuC5vEqXlEZ/8BXQR7m619W6Ak= ssh-ed25519 {KEY_B}\n"
        );
        let f = files(dir.path(), &text);
        assert!(matches!(
            f.check("bastion.example", 2222, &key(KEY_A)),
            HostKeyStatus::Known(KnownHostsLine { line: 2, .. })
        ));
        assert!(matches!(
            f.check("example.com", 22, &key(KEY_B)),
            HostKeyStatus::Known(KnownHostsLine { line: 3, .. })
        ));
        // Same host, other port: not known.
        assert!(matches!(
            f.check("bastion.example", 22, &key(KEY_A)),
            HostKeyStatus::Unknown { .. }
        ));
        // Same host and port, different ed25519 key: changed, pointing at the old line.
        match f.check("bastion.example", 2222, &key(KEY_B)) {
            HostKeyStatus::Changed { recorded, recorded_fingerprint } => {
                assert_eq!(recorded.line, 2, "editor line numbers, comments counted");
                assert_eq!(recorded_fingerprint, fingerprint(&key(KEY_A)));
            }
            other => panic!("expected Changed, got {other:?}"),
        }
        // Learning goes to the app file and is found next time.
        f.learn("new.example", 2200, &key(KEY_B)).expect("learn");
        match f.check("new.example", 2200, &key(KEY_B)) {
            HostKeyStatus::Known(at) => assert_eq!(at.file, f.app),
            other => panic!("expected Known, got {other:?}"),
        }
        let user_text = std::fs::read_to_string(f.user.as_ref().expect("user file")).expect("read");
        assert_eq!(user_text, text, "the user's OpenSSH file is never written");
    }

    #[test]
    fn fingerprint_is_openssh_style() {
        assert!(fingerprint(&key(KEY_A)).starts_with("SHA256:"));
        assert_eq!(key_type(&key(KEY_A)), "ssh-ed25519");
    }
}
