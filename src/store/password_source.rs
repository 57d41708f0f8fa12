//! Where a task's secrets come from, in one place: the database password and the SSH secrets of a
//! profile, plus forgetting them all when the profile goes away.
//!
//! Order for one secret ([`resolve_secret`]):
//! 1. database password only: the profile's `password_command`, run through the shell with a
//!    timeout (`password_command`); its standard output (one trailing newline removed) is the password. A failing command
//!    is an error — it is never silently replaced by a prompt;
//! 2. mode [`SecretMode::Keychain`]: the secret store;
//! 3. otherwise (mode ask-every-time, nothing saved, keychain unreadable): the caller's prompt (GUI
//!    dialog, or [`cli_prompt`]); an answer marked "remember" under keychain mode is saved.
//!
//! Secrets are [`Password`] (`Zeroizing<String>`) throughout, are never logged, never written to a
//! file, and never appear in an error or a `Debug` output. Resolution blocks (a command may run for
//! seconds, a prompt waits for a person): call it from a worker thread or `spawn_blocking`, never on
//! the UI thread.
//!
//! Secrets are keyed by profile id: renaming a profile needs nothing; deleting one must forget its
//! secrets ([`forget_profile_secrets`], or [`remove_profile_and_secrets`] which does both).

use super::password_command::{
    DEFAULT_COMMAND_TIMEOUT, PasswordCommandError, run_password_command,
};
use super::profiles::{ProfileStore, StoreError};
use super::secrets::{SecretError, SecretKey, SecretKind, SecretStore};
use crate::net::connect::Password;
use shiftgate_core::profile::{Profile, ProfileId, SecretMode, SshAuth, SshHop};
use std::io;
use std::time::Duration;

/// SSH hop slots forgotten even when the profile now has fewer hops (jump hosts removed earlier).
pub const FORGET_MIN_HOPS: usize = 8;

/// What the prompt is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptRequest {
    pub key: SecretKey,
    /// What to ask, e.g. "Password for admin@db.example.com (Prod)".
    pub label: String,
    /// Offer "remember": the secret's mode is keychain. The answer is saved in `remember_in`.
    pub offer_remember: bool,
    /// `SecretStore::describe()` of the store a remembered answer goes to.
    pub remember_in: String,
    /// Why the user is asked although a saved secret was expected (e.g. keychain locked).
    pub notice: Option<String>,
}

/// What the person typed.
pub struct PromptAnswer {
    pub secret: Password,
    /// Save it (only honoured under keychain mode).
    pub remember: bool,
}

impl std::fmt::Debug for PromptAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptAnswer")
            .field("secret", &"<redacted>")
            .field("remember", &self.remember)
            .finish()
    }
}

/// Where a resolved secret came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretOrigin {
    Command,
    Keychain,
    Prompt,
    /// Nobody gave one (prompt cancelled, no terminal). The task may still try without.
    NotGiven,
}

/// The outcome of resolving one secret.
pub struct Resolved {
    pub secret: Option<Password>,
    pub origin: SecretOrigin,
    /// The answer was saved in the store.
    pub saved: bool,
    /// Lines for the user (keychain locked, save failed). Never contain the secret.
    pub notices: Vec<String>,
}

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolved")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("origin", &self.origin)
            .field("saved", &self.saved)
            .field("notices", &self.notices)
            .finish()
    }
}

/// The prompt callback: GUI dialog or [`cli_prompt`]. `None` = cancelled / nobody to ask.
pub type Prompt<'a> = dyn FnMut(&PromptRequest) -> Option<PromptAnswer> + 'a;

/// The database password for a task. See the module doc for the order.
pub fn resolve_db_password(
    profile: &Profile,
    store: &dyn SecretStore,
    prompt: &mut Prompt<'_>,
) -> Result<Resolved, PasswordCommandError> {
    resolve_secret(profile, &SecretKind::DbPassword, store, prompt, DEFAULT_COMMAND_TIMEOUT)
}

/// An SSH secret (key passphrase or password of hop `hop`; 0 = bastion) under `ssh.secret_mode`.
pub fn resolve_ssh_secret(
    profile: &Profile,
    kind: &SecretKind,
    store: &dyn SecretStore,
    prompt: &mut Prompt<'_>,
) -> Resolved {
    let mode = profile.ssh.secret_mode;
    from_store_or_prompt(
        SecretKey { profile: profile.id.clone(), kind: *kind },
        mode,
        label(profile, kind),
        store,
        prompt,
    )
}

/// One secret of `profile`: the password command (database password only), the store, the prompt.
pub fn resolve_secret(
    profile: &Profile,
    kind: &SecretKind,
    store: &dyn SecretStore,
    prompt: &mut Prompt<'_>,
    command_timeout: Duration,
) -> Result<Resolved, PasswordCommandError> {
    let key = SecretKey { profile: profile.id.clone(), kind: *kind };
    let (mode, command) = match kind {
        SecretKind::DbPassword => (
            profile.password_mode,
            profile.password_command.as_deref().map(str::trim).filter(|c| !c.is_empty()),
        ),
        _ => (profile.ssh.secret_mode, None),
    };
    if let Some(command) = command {
        return match run_password_command(command, command_timeout) {
            Ok(secret) => {
                tracing::info!(profile = %key.profile, kind = ?key.kind, "secret from the password command");
                Ok(Resolved {
                    secret: Some(secret),
                    origin: SecretOrigin::Command,
                    saved: false,
                    notices: Vec::new(),
                })
            }
            Err(e) => {
                tracing::warn!(profile = %key.profile, error = %e, "password command failed");
                Err(e)
            }
        };
    }
    Ok(from_store_or_prompt(key, mode, label(profile, kind), store, prompt))
}

fn from_store_or_prompt(
    key: SecretKey,
    mode: SecretMode,
    label: String,
    store: &dyn SecretStore,
    prompt: &mut Prompt<'_>,
) -> Resolved {
    let mut notices = Vec::new();
    if mode == SecretMode::Keychain {
        match store.get(&key) {
            Ok(Some(secret)) => {
                tracing::info!(profile = %key.profile, kind = ?key.kind, store = %store.describe(), "secret from the store");
                return Resolved {
                    secret: Some(secret),
                    origin: SecretOrigin::Keychain,
                    saved: false,
                    notices,
                };
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(profile = %key.profile, kind = ?key.kind, error = %e, "saved secret unreadable");
                notices.push(format!(
                    "Could not read the saved secret from {}: {e}. Asking instead.",
                    store.describe()
                ));
            }
        }
    }
    let request = PromptRequest {
        key: key.clone(),
        label,
        offer_remember: mode == SecretMode::Keychain,
        remember_in: store.describe(),
        notice: notices.first().cloned(),
    };
    let Some(answer) = prompt(&request) else {
        tracing::info!(profile = %key.profile, kind = ?key.kind, "no secret given");
        return Resolved { secret: None, origin: SecretOrigin::NotGiven, saved: false, notices };
    };
    let mut saved = false;
    if answer.remember && mode == SecretMode::Keychain {
        match store.set(&key, &answer.secret) {
            Ok(()) => saved = true,
            Err(e) => {
                tracing::warn!(profile = %key.profile, kind = ?key.kind, error = %e, "could not save secret");
                notices.push(format!("Used for now, but not saved in {}: {e}.", store.describe()));
            }
        }
    }
    tracing::info!(profile = %key.profile, kind = ?key.kind, saved, "secret from the prompt");
    Resolved { secret: Some(answer.secret), origin: SecretOrigin::Prompt, saved, notices }
}

/// SSH hop `hop` of a profile: 0 = the bastion, `n` = `jump_hosts[n - 1]`.
pub fn ssh_hop(profile: &Profile, hop: usize) -> Option<&SshHop> {
    match hop {
        0 => Some(&profile.ssh.bastion),
        n => profile.ssh.jump_hosts.get(n - 1),
    }
}

/// The SSH secrets the profile's current settings may need, hop by hop (agent auth needs none).
pub fn ssh_secret_kinds(profile: &Profile) -> Vec<SecretKind> {
    (0..=profile.ssh.jump_hosts.len())
        .filter_map(|hop| match ssh_hop(profile, hop).map(|h| &h.auth) {
            Some(SshAuth::Key { .. }) => Some(SecretKind::SshPassphrase { hop }),
            Some(SshAuth::Password) => Some(SecretKind::SshPassword { hop }),
            _ => None,
        })
        .collect()
}

fn hop_name(profile: &Profile, hop: usize) -> String {
    let alias = profile.ssh.config_alias.as_deref().filter(|a| !a.trim().is_empty());
    match ssh_hop(profile, hop) {
        Some(h) if !h.host.is_empty() && !h.user.is_empty() => format!("{}@{}", h.user, h.host),
        Some(h) if !h.host.is_empty() => h.host.clone(),
        _ if hop == 0 && alias.is_some() => alias.unwrap_or_default().to_string(),
        _ => format!("SSH hop {hop}"),
    }
}

/// What to ask for, in words.
fn label(profile: &Profile, kind: &SecretKind) -> String {
    let name = profile.display_name();
    match kind {
        SecretKind::DbPassword => {
            format!("Password for {}@{} ({name})", profile.user, profile.host)
        }
        SecretKind::SshPassword { hop } => {
            format!("SSH password for {} ({name})", hop_name(profile, *hop))
        }
        SecretKind::SshPassphrase { hop } => match ssh_hop(profile, *hop).map(|h| &h.auth) {
            Some(SshAuth::Key { path }) => {
                format!(
                    "Passphrase for SSH key {} ({}, {name})",
                    path.display(),
                    hop_name(profile, *hop)
                )
            }
            _ => format!("SSH key passphrase for {} ({name})", hop_name(profile, *hop)),
        },
    }
}

/// Forget every secret saved for `profile`: the database password and both SSH secret kinds for
/// every hop it has (at least [`FORGET_MIN_HOPS`] slots, for hops removed earlier). Items that are
/// not there are fine. Tries them all; returns the first failure.
///
/// Call it when a profile is deleted. A rename needs nothing: secrets are keyed by the profile id,
/// which a rename keeps.
pub fn forget_profile_secrets(
    store: &dyn SecretStore,
    profile: &Profile,
) -> Result<(), SecretError> {
    let hops = (profile.ssh.jump_hosts.len() + 1).max(FORGET_MIN_HOPS);
    forget_secrets_of(store, &profile.id, hops)
}

fn forget_secrets_of(
    store: &dyn SecretStore,
    id: &ProfileId,
    hops: usize,
) -> Result<(), SecretError> {
    let kinds = std::iter::once(SecretKind::DbPassword).chain(
        (0..hops)
            .flat_map(|hop| [SecretKind::SshPassphrase { hop }, SecretKind::SshPassword { hop }]),
    );
    let mut first_error = None;
    for kind in kinds {
        if let Err(e) = store.delete(&SecretKey { profile: id.clone(), kind }) {
            first_error.get_or_insert(e);
        }
    }
    tracing::info!(profile = %id, ok = first_error.is_none(), "forgot saved secrets");
    first_error.map_or(Ok(()), Err)
}

/// Delete a profile from the file, then forget its secrets. The profile is gone even when the
/// secrets can't be removed (keychain locked); the second value then says so in one line.
pub fn remove_profile_and_secrets(
    profiles: &mut ProfileStore,
    store: &dyn SecretStore,
    id: &ProfileId,
) -> Result<(Profile, Option<String>), StoreError> {
    let removed = profiles.remove(id)?;
    let warning = forget_profile_secrets(store, &removed).err().map(|e| {
        format!(
            "Profile deleted, but its saved passwords could not be removed from {}: {e}. \
             Remove the \"shiftgate\" items for {id} in your keychain app.",
            store.describe()
        )
    });
    Ok((removed, warning))
}

/// Environment variable that supplies an SSH key passphrase to the CLI (every hop).
pub const SSH_PASSPHRASE_ENV: &str = "SHIFTGATE_SSH_PASSPHRASE";
/// Environment variable that supplies an SSH password to the CLI (every hop).
pub const SSH_PASSWORD_ENV: &str = "SHIFTGATE_SSH_PASSWORD";

/// The CLI's prompt: `PGPASSWORD` for the database password ([`SSH_PASSPHRASE_ENV`] /
/// [`SSH_PASSWORD_ENV`] for SSH secrets), else a hidden-input question on the terminal — only
/// when stdin is one. With no terminal it says so on stderr, naming the variable that would
/// supply the secret, and returns `None` instead of waiting. Under keychain mode it then asks
/// whether to save the answer.
pub fn cli_prompt(request: &PromptRequest) -> Option<PromptAnswer> {
    use std::io::IsTerminal;
    let ssh_env = match request.key.kind {
        SecretKind::DbPassword => None,
        SecretKind::SshPassphrase { .. } => Some(SSH_PASSPHRASE_ENV),
        SecretKind::SshPassword { .. } => Some(SSH_PASSWORD_ENV),
    };
    if let Some(secret) = ssh_env.and_then(|v| std::env::var(v).ok()).filter(|v| !v.is_empty()) {
        tracing::debug!(kind = ?request.key.kind, "SSH secret from the environment");
        return Some(PromptAnswer { secret: Password::new(secret), remember: false });
    }
    let pgpassword = std::env::var("PGPASSWORD").ok().map(Password::new);
    cli_prompt_with(request, pgpassword, std::io::stdin().is_terminal(), &mut TerminalIo)
}

/// The terminal as [`cli_prompt`] uses it (a seam for tests).
trait AskIo {
    fn hidden(&mut self, prompt: &str) -> io::Result<Password>;
    fn yes_no(&mut self, question: &str) -> bool;
    fn say(&mut self, line: &str);
}

struct TerminalIo;

impl AskIo for TerminalIo {
    fn hidden(&mut self, prompt: &str) -> io::Result<Password> {
        rpassword::prompt_password(prompt).map(Password::new)
    }
    fn yes_no(&mut self, question: &str) -> bool {
        use std::io::Write;
        eprint!("{question} [y/N] ");
        let _ = io::stderr().flush();
        let mut line = String::new();
        io::stdin().read_line(&mut line).is_ok()
            && matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
    }
    fn say(&mut self, line: &str) {
        eprintln!("{line}");
    }
}

fn cli_prompt_with(
    request: &PromptRequest,
    pgpassword: Option<Password>,
    stdin_is_tty: bool,
    io: &mut dyn AskIo,
) -> Option<PromptAnswer> {
    if let (SecretKind::DbPassword, Some(secret)) = (&request.key.kind, pgpassword) {
        tracing::debug!("database password from PGPASSWORD");
        return Some(PromptAnswer { secret, remember: false });
    }
    if let Some(notice) = &request.notice {
        io.say(notice);
    }
    if !stdin_is_tty {
        let hint = match request.key.kind {
            SecretKind::DbPassword => {
                "set PGPASSWORD, a password command, or save the password in the keychain"
            }
            SecretKind::SshPassphrase { .. } => {
                "set SHIFTGATE_SSH_PASSPHRASE, save it in the keychain, or use ssh-agent"
            }
            SecretKind::SshPassword { .. } => {
                "set SHIFTGATE_SSH_PASSWORD, save it in the keychain, or use key / agent auth"
            }
        };
        io.say(&format!(
            "{}: not asked, standard input is not a terminal ({hint}).",
            request.label
        ));
        return None;
    }
    let secret = match io.hidden(&format!("{}: ", request.label)) {
        Ok(secret) => secret,
        Err(e) => {
            io.say(&format!("{}: could not read from the terminal ({e}).", request.label));
            return None;
        }
    };
    let remember =
        request.offer_remember && io.yes_no(&format!("Save it in {}?", request.remember_in));
    Some(PromptAnswer { secret, remember })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::keychain::KeychainSecretStore;
    use crate::store::secrets::MemorySecretStore;
    use keyring_core::{CredentialStore, Entry, Error as KeyringError, mock};
    use shiftgate_core::profile::Engine;
    use std::sync::{Arc, Mutex};

    fn profile() -> Profile {
        let mut p = Profile::new(Engine::Redshift);
        p.name = "Prod".into();
        p.host = "db.example.com".into();
        p.user = "admin".into();
        p
    }

    fn mock_keychain() -> (KeychainSecretStore, Arc<mock::Store>) {
        let mock = mock::Store::new().unwrap();
        let store: Arc<CredentialStore> = mock.clone();
        (KeychainSecretStore::with_store(store, "mock keychain"), mock)
    }

    fn answer(secret: &str, remember: bool) -> Option<PromptAnswer> {
        Some(PromptAnswer { secret: Password::new(secret.into()), remember })
    }

    fn no_prompt(_: &PromptRequest) -> Option<PromptAnswer> {
        panic!("the prompt must not be asked")
    }

    fn secret_of(r: &Resolved) -> &str {
        r.secret.as_ref().map(|s| s.as_str()).unwrap_or("<none>")
    }

    #[test]
    fn keychain_mode_reads_the_store_first() {
        let p = profile();
        let store = MemorySecretStore::default();
        store.set(&SecretKey::db_password(&p.id), "from-store").unwrap();
        let r = resolve_db_password(&p, &store, &mut no_prompt).unwrap();
        assert_eq!((secret_of(&r), r.origin), ("from-store", SecretOrigin::Keychain));
    }

    #[test]
    fn not_found_prompts_and_remember_saves() {
        let p = profile();
        let (kc, _mock) = mock_keychain();
        let mut asked = Vec::new();
        let r = resolve_db_password(&p, &kc, &mut |req: &PromptRequest| {
            asked.push(req.clone());
            answer("typed", true)
        })
        .unwrap();
        assert_eq!((secret_of(&r), r.origin, r.saved), ("typed", SecretOrigin::Prompt, true));
        assert_eq!(asked.len(), 1);
        assert_eq!(asked[0].label, "Password for admin@db.example.com (Prod)");
        assert!(asked[0].offer_remember && asked[0].notice.is_none());
        assert_eq!(
            kc.get(&SecretKey::db_password(&p.id)).unwrap().as_deref().map(String::as_str),
            Some("typed")
        );
    }

    #[test]
    fn ask_every_time_never_reads_or_writes_the_store() {
        let mut p = profile();
        p.password_mode = SecretMode::AskEveryTime;
        let store = MemorySecretStore::default();
        store.set(&SecretKey::db_password(&p.id), "stale").unwrap();
        let r = resolve_db_password(&p, &store, &mut |req: &PromptRequest| {
            assert!(!req.offer_remember);
            answer("fresh", true)
        })
        .unwrap();
        assert_eq!((secret_of(&r), r.saved), ("fresh", false));
        assert_eq!(
            store.get(&SecretKey::db_password(&p.id)).unwrap().as_deref().map(String::as_str),
            Some("stale")
        );
    }

    #[test]
    fn locked_keychain_falls_back_to_the_prompt_with_a_notice() {
        let p = profile();
        let (kc, mock) = mock_keychain();
        let store: Arc<CredentialStore> = mock.clone();
        let entry =
            Entry::new_in_store(&store, "shiftgate", &SecretKind::DbPassword.account(&p.id))
                .unwrap();
        let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
        cred.set_error(KeyringError::NoStorageAccess("locked".into()));
        let mut notice = None;
        let r = resolve_db_password(&p, &kc, &mut |req: &PromptRequest| {
            notice = req.notice.clone();
            answer("typed", false)
        })
        .unwrap();
        assert_eq!((secret_of(&r), r.saved), ("typed", false));
        let notice = notice.expect("the prompt is told why");
        assert!(notice.contains("locked") && notice.contains("mock keychain"), "{notice}");
        // A failed save is reported, not fatal.
        let r = resolve_db_password(&p, &kc, &mut |_: &PromptRequest| {
            // Between the (empty) read and the save: make the save fail.
            cred.set_error(KeyringError::PlatformFailure("disk full".into()));
            answer("typed2", true)
        })
        .unwrap();
        assert_eq!((secret_of(&r), r.saved), ("typed2", false));
        assert!(
            r.notices.iter().any(|n| n.contains("not saved") && n.contains("disk full")),
            "{:?}",
            r.notices
        );
    }

    #[test]
    fn cancelled_prompt_gives_no_secret() {
        let r = resolve_db_password(
            &profile(),
            &MemorySecretStore::default(),
            &mut |_: &PromptRequest| None,
        )
        .unwrap();
        assert_eq!((r.secret.is_none(), r.origin), (true, SecretOrigin::NotGiven));
    }

    #[test]
    fn ssh_secrets_follow_the_ssh_mode_and_hop() {
        let mut p = profile();
        p.ssh.enabled = true;
        p.ssh.bastion = SshHop {
            host: "bastion.example.com".into(),
            user: "ec2-user".into(),
            auth: SshAuth::Key { path: "/k/id_ed25519".into() },
            port: 22,
        };
        p.ssh.jump_hosts = vec![SshHop {
            host: "jump".into(),
            user: "j".into(),
            auth: SshAuth::Password,
            port: 22,
        }];
        p.ssh.secret_mode = SecretMode::AskEveryTime;
        assert_eq!(
            ssh_secret_kinds(&p),
            vec![SecretKind::SshPassphrase { hop: 0 }, SecretKind::SshPassword { hop: 1 }]
        );
        let store = MemorySecretStore::default();
        let mut labels = Vec::new();
        for kind in ssh_secret_kinds(&p) {
            let r = resolve_ssh_secret(&p, &kind, &store, &mut |req: &PromptRequest| {
                labels.push(req.label.clone());
                assert!(!req.offer_remember);
                answer("ssh-secret", true)
            });
            assert_eq!(r.origin, SecretOrigin::Prompt);
        }
        assert_eq!(
            labels,
            vec![
                "Passphrase for SSH key /k/id_ed25519 (ec2-user@bastion.example.com, Prod)"
                    .to_string(),
                "SSH password for j@jump (Prod)".to_string(),
            ]
        );
        p.ssh.secret_mode = SecretMode::Keychain;
        store
            .set(
                &SecretKey { profile: p.id.clone(), kind: SecretKind::SshPassword { hop: 1 } },
                "saved-ssh",
            )
            .unwrap();
        let r = resolve_ssh_secret(&p, &SecretKind::SshPassword { hop: 1 }, &store, &mut no_prompt);
        assert_eq!((secret_of(&r), r.origin), ("saved-ssh", SecretOrigin::Keychain));
    }

    #[test]
    fn password_command_wins_over_the_store_and_its_failure_is_not_papered_over() {
        let mut p = profile();
        p.password_command = Some("printf 'tok en\\n\\n'".into());
        let store = MemorySecretStore::default();
        store.set(&SecretKey::db_password(&p.id), "from-store").unwrap();
        let r = resolve_db_password(&p, &store, &mut no_prompt).unwrap();
        assert_eq!((secret_of(&r), r.origin), ("tok en\n", SecretOrigin::Command));
        p.password_command = Some("echo 'token expired' >&2; exit 1".into());
        let err = resolve_db_password(&p, &store, &mut no_prompt).unwrap_err();
        assert!(
            matches!(err, PasswordCommandError::Failed { ref stderr, .. } if stderr == "token expired"),
            "no fallback: {err:?}"
        );
        p.password_command = Some("   ".into());
        assert_eq!(
            resolve_db_password(&p, &store, &mut no_prompt).unwrap().origin,
            SecretOrigin::Keychain,
            "blank = no command"
        );
    }

    #[test]
    fn forget_removes_db_and_every_ssh_secret_and_tolerates_missing_ones() {
        let (kc, _mock) = mock_keychain();
        let mut p = profile();
        p.ssh.jump_hosts = vec![SshHop::default(); 9];
        let other = profile();
        let keys: Vec<SecretKey> = std::iter::once(SecretKind::DbPassword)
            .chain([
                SecretKind::SshPassphrase { hop: 0 },
                SecretKind::SshPassword { hop: 9 },
                SecretKind::SshPassword { hop: 5 },
            ])
            .map(|kind| SecretKey { profile: p.id.clone(), kind })
            .collect();
        for k in &keys {
            kc.set(k, "x").unwrap();
        }
        kc.set(&SecretKey::db_password(&other.id), "keep").unwrap();
        forget_profile_secrets(&kc, &p).unwrap();
        for k in &keys {
            assert!(kc.get(k).unwrap().is_none(), "{k:?}");
        }
        assert!(
            kc.get(&SecretKey::db_password(&other.id)).unwrap().is_some(),
            "other profiles keep theirs"
        );
        forget_profile_secrets(&kc, &p).expect("forgetting twice is fine");
    }

    #[test]
    fn delete_forgets_and_rename_keeps() {
        let dir = tempfile::tempdir().unwrap();
        let mut profiles = ProfileStore::open(dir.path()).unwrap();
        let store = MemorySecretStore::default();
        let mut p = profile();
        profiles.upsert(p.clone()).unwrap();
        store.set(&SecretKey::db_password(&p.id), "pw").unwrap();
        p.name = "Renamed".into();
        profiles.upsert(p.clone()).unwrap();
        let r = resolve_db_password(&p, &store, &mut no_prompt).unwrap();
        assert_eq!(secret_of(&r), "pw", "rename keeps the secret (keyed by id)");
        let (removed, warning) = remove_profile_and_secrets(&mut profiles, &store, &p.id).unwrap();
        assert_eq!((removed.id, warning), (p.id.clone(), None));
        assert!(store.get(&SecretKey::db_password(&p.id)).unwrap().is_none());
        assert!(profiles.profiles().is_empty());
    }

    #[derive(Default)]
    struct FakeIo {
        typed: Option<&'static str>,
        yes: bool,
        said: Vec<String>,
        asked_hidden: usize,
    }

    impl AskIo for FakeIo {
        fn hidden(&mut self, _prompt: &str) -> io::Result<Password> {
            self.asked_hidden += 1;
            self.typed.map(|t| Password::new(t.into())).ok_or_else(|| io::Error::other("no tty"))
        }
        fn yes_no(&mut self, _question: &str) -> bool {
            self.yes
        }
        fn say(&mut self, line: &str) {
            self.said.push(line.to_string());
        }
    }

    fn request(kind: SecretKind, offer_remember: bool) -> PromptRequest {
        PromptRequest {
            key: SecretKey { profile: ProfileId("p".into()), kind },
            label: "Password for a@b (x)".into(),
            offer_remember,
            remember_in: "mock keychain".into(),
            notice: None,
        }
    }

    #[test]
    fn cli_prompt_uses_pgpassword_for_the_db_password_only() {
        let mut io = FakeIo::default();
        let a = cli_prompt_with(
            &request(SecretKind::DbPassword, true),
            Some(Password::new("envpw".into())),
            false,
            &mut io,
        )
        .unwrap();
        assert_eq!((a.secret.as_str(), a.remember), ("envpw", false));
        let a = cli_prompt_with(
            &request(SecretKind::SshPassword { hop: 0 }, false),
            Some(Password::new("envpw".into())),
            false,
            &mut io,
        );
        assert!(a.is_none(), "PGPASSWORD is not an SSH password");
    }

    #[test]
    fn cli_prompt_without_a_terminal_says_so_and_does_not_wait() {
        let mut io = FakeIo { typed: Some("never"), ..FakeIo::default() };
        assert!(
            cli_prompt_with(&request(SecretKind::DbPassword, true), None, false, &mut io).is_none()
        );
        assert_eq!(io.asked_hidden, 0);
        assert!(
            io.said[0].contains("standard input is not a terminal")
                && io.said[0].contains("PGPASSWORD"),
            "{:?}",
            io.said
        );
    }

    #[test]
    fn cli_prompt_on_a_terminal_asks_and_offers_to_save() {
        let mut io = FakeIo { typed: Some("typed"), yes: true, ..FakeIo::default() };
        let a =
            cli_prompt_with(&request(SecretKind::DbPassword, true), None, true, &mut io).unwrap();
        assert_eq!((a.secret.as_str(), a.remember), ("typed", true));
        let a =
            cli_prompt_with(&request(SecretKind::DbPassword, false), None, true, &mut io).unwrap();
        assert!(!a.remember, "no save offered under ask-every-time");
    }

    /// A `MakeWriter` into a shared buffer.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().map_err(|_| io::Error::other("poisoned"))?.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn secrets_never_reach_the_log_or_debug_output() {
        const TYPED: &str = "Typed-Secret-4711";
        const FROM_CMD: &str = "Command-Secret-0815";
        let buf = Captured::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let (kc, mock) = mock_keychain();
        let mut p = profile();
        let mut debug_text = String::new();
        tracing::subscriber::with_default(subscriber, || {
            // prompt + remember → keychain set; then keychain get; then a locked read; then forget.
            let r =
                resolve_db_password(&p, &kc, &mut |_: &PromptRequest| answer(TYPED, true)).unwrap();
            debug_text.push_str(&format!("{r:?} {:?}", answer(TYPED, true)));
            let r = resolve_db_password(&p, &kc, &mut no_prompt).unwrap();
            assert_eq!(secret_of(&r), TYPED);
            debug_text.push_str(&format!("{r:?}"));
            let store: Arc<CredentialStore> = mock.clone();
            let entry =
                Entry::new_in_store(&store, "shiftgate", &SecretKind::DbPassword.account(&p.id))
                    .unwrap();
            let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
            cred.set_error(KeyringError::NoStorageAccess("locked".into()));
            let _ = resolve_db_password(&p, &kc, &mut |_: &PromptRequest| answer(TYPED, true));
            p.password_command = Some("printf '%s-%s' Command-Secret 0815".into());
            let r = resolve_db_password(&p, &kc, &mut no_prompt).unwrap();
            assert_eq!(secret_of(&r), FROM_CMD);
            debug_text.push_str(&format!("{r:?}"));
            p.password_command = Some("printf '%s-%s' Command-Secret 0815; exit 2".into());
            let e = resolve_db_password(&p, &kc, &mut no_prompt).unwrap_err();
            debug_text.push_str(&format!("{e:?} {e}"));
            forget_profile_secrets(&kc, &p).unwrap();
        });
        let log = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(
            log.contains("secret from the prompt") && log.contains("keychain set"),
            "the log was captured:\n{log}"
        );
        for secret in [TYPED, FROM_CMD] {
            assert!(!log.contains(secret), "secret in the log:\n{log}");
            assert!(!debug_text.contains(secret), "secret in Debug/Display output:\n{debug_text}");
        }
    }
}
