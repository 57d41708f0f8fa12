//! Which secret store the app uses this run: the OS keychain when it answers, else memory only —
//! with one line saying why, for the status bar and the CLI.
//!
//! There is deliberately no file fallback: when the keychain is unusable, secrets live in process
//! memory and are asked for again next run. Nothing here ever writes a file.

use super::keychain::{KeychainSecretStore, PROBE_TIMEOUT};
use super::secrets::{MemorySecretStore, SecretError, SecretStore};
use std::sync::Arc;
use std::time::Duration;

/// The store to use, and — when it is not the keychain — one clear line saying why.
///
/// Takes at most [`PROBE_TIMEOUT`] (3 s) even when the keychain service hangs.
pub fn open_secret_store(prefer_keychain: bool) -> (Arc<dyn SecretStore>, Option<String>) {
    open_secret_store_with_timeout(prefer_keychain, PROBE_TIMEOUT)
}

/// [`open_secret_store`] with a chosen probe timeout.
pub fn open_secret_store_with_timeout(
    prefer_keychain: bool,
    probe_timeout: Duration,
) -> (Arc<dyn SecretStore>, Option<String>) {
    if !prefer_keychain {
        return (
            Arc::new(MemorySecretStore::default()),
            Some("Keychain turned off. Passwords will be asked every time.".to_string()),
        );
    }
    match KeychainSecretStore::open_platform(probe_timeout) {
        Ok(keychain) => (Arc::new(keychain), None),
        Err(e) => {
            let reason = no_keychain_line(&e);
            tracing::warn!(%reason, "using memory-only secret store");
            (Arc::new(MemorySecretStore::default()), Some(reason))
        }
    }
}

/// "No keychain: <why>. Passwords will be asked every time."
pub fn no_keychain_line(err: &SecretError) -> String {
    let why = match err {
        SecretError::Locked => {
            "the keychain is locked (unlock it, then restart Shiftgate)".to_string()
        }
        SecretError::Unavailable(why) | SecretError::Platform(why) => why.clone(),
    };
    format!("No keychain: {}. Passwords will be asked every time.", why.trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turned_off_means_memory_and_says_so() {
        let (store, why) = open_secret_store(false);
        assert!(!store.persistent());
        assert_eq!(
            why.as_deref(),
            Some("Keychain turned off. Passwords will be asked every time.")
        );
    }

    #[test]
    fn reason_line_is_one_sentence_pair() {
        let line = no_keychain_line(&SecretError::Unavailable(
            "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset)".into(),
        ));
        assert_eq!(
            line,
            "No keychain: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset). Passwords will be asked every time."
        );
        assert!(no_keychain_line(&SecretError::Locked).contains("locked"));
        assert!(!no_keychain_line(&SecretError::Platform("x.".into())).contains("x.."));
    }

    #[test]
    fn never_takes_longer_than_the_probe_allows() {
        // Whatever this machine has (a bus or none), the answer comes within the probe time.
        let started = std::time::Instant::now();
        let (store, why) = open_secret_store_with_timeout(true, Duration::from_secs(3));
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        if why.is_some() {
            assert!(!store.persistent(), "the fallback is memory only");
        }
    }
}
