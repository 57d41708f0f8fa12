//! The OS keychain as a [`SecretStore`]: Secret Service over D-Bus on Linux/BSD, the login keychain
//! on macOS, Credential Manager on Windows — all through `keyring-core`.
//!
//! Every secret is one keychain item with service [`SERVICE`] (`shiftgate`) and account
//! [`SecretKind::account`] (`<profile-id>/<kind>`), so secrets follow the profile id: a rename needs
//! nothing, a delete must forget them (see `password_source::forget_profile_secrets`).
//!
//! What this module guarantees:
//! * The platform store is chosen explicitly and held by the [`KeychainSecretStore`] value; the
//!   process-global `keyring_core` default store is never read or written (tests can run a mock
//!   store next to a real one).
//! * Opening probes the store with a bounded wait ([`PROBE_TIMEOUT`]): no session bus, no Secret
//!   Service or no answer gives an error within that time; it never hangs and never panics.
//! * Every call runs on its own short-lived thread with a bounded wait ([`OPERATION_TIMEOUT`]). That
//!   keeps a stuck keychain from freezing a task, and it keeps the zbus blocking API (which drives its
//!   own tokio runtime) off any tokio worker thread — calling it there would panic.
//! * Errors become [`SecretError`] with text a user can act on; no error text carries a secret.
//!
//! What it must not do: write a file, log a secret, or fall back to anything on its own (the
//! fallback decision is `secret_choice::open_secret_store`'s).

use super::secrets::{SecretError, SecretKey, SecretStore};
use crate::net::connect::Password;
use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The keychain "service" every Shiftgate item is filed under.
pub const SERVICE: &str = "shiftgate";
/// How long opening the keychain may take before Shiftgate gives up on it.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one get/set/delete may take. Generous: the OS may be showing an unlock dialog.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(60);
/// Account the probe looks up; never stored.
const PROBE_READ_ACCOUNT: &str = "probe/never-stored";
/// Prefix of the account the probe saves and deletes right away; a random suffix keeps two
/// processes starting at once from deleting each other's probe item.
const PROBE_WRITE_PREFIX: &str = "probe/startup-check-";
/// The write check gets at least this long, however slow the read check was.
const MIN_WRITE_CHECK: Duration = Duration::from_millis(500);

/// Secrets in the OS keychain, keyed by profile id.
pub struct KeychainSecretStore {
    store: Arc<CredentialStore>,
    description: String,
    persistent: bool,
    op_timeout: Duration,
}

impl std::fmt::Debug for KeychainSecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeychainSecretStore")
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

impl KeychainSecretStore {
    /// Open this platform's keychain and probe it (see [`Self::probe`]) within `probe_timeout`.
    ///
    /// Errors: [`SecretError::Unavailable`] when there is no keychain to talk to (no D-Bus session
    /// bus, no Secret Service, no answer in time), [`SecretError::Locked`] when it refuses access
    /// (locked, or no default collection), [`SecretError::Platform`] for other refusals.
    pub fn open_platform(probe_timeout: Duration) -> Result<KeychainSecretStore, SecretError> {
        let started = Instant::now();
        let opened = run_bounded(probe_timeout, "open the keychain", || {
            let (store, description) = platform::build().map_err(|e| platform::unavailable(&e))?;
            Ok(KeychainSecretStore::with_store(store, description))
        })
        .and_then(|keychain| {
            keychain.probe(probe_timeout.saturating_sub(started.elapsed()))?;
            Ok(keychain)
        });
        match opened {
            Ok(keychain) => {
                tracing::info!(store = %keychain.description, "keychain opened");
                Ok(keychain)
            }
            Err(e) => {
                tracing::info!(error = %e, "keychain not usable");
                Err(e)
            }
        }
    }

    /// Wrap a store built by the caller (tests use `keyring_core::mock::Store`). No probe.
    pub fn with_store(
        store: Arc<CredentialStore>,
        description: impl Into<String>,
    ) -> KeychainSecretStore {
        let persistent = !matches!(
            store.persistence(),
            keyring_core::CredentialPersistence::EntryOnly
                | keyring_core::CredentialPersistence::ProcessOnly
        );
        KeychainSecretStore {
            store,
            description: description.into(),
            persistent,
            op_timeout: OPERATION_TIMEOUT,
        }
    }

    /// Change how long one get/set/delete may take.
    pub fn with_operation_timeout(mut self, timeout: Duration) -> KeychainSecretStore {
        self.op_timeout = timeout;
        self
    }

    /// Check, within about `timeout` in all, that the keychain answers and accepts a write:
    /// 1. look up an account that is never kept — no answer in time, or a failure, means there is no
    ///    usable keychain ([`SecretError::Unavailable`], or [`SecretError::Locked`] if it refuses);
    /// 2. save and delete a probe item — a refusal (locked collection, no default collection) is an
    ///    error. A save still waiting when time runs out is taken as an unlock dialog the person is
    ///    answering: the keychain counts as usable and the check finishes in the background.
    ///
    /// Looking up an absent item never makes the OS show an unlock dialog; only step 2 can.
    pub fn probe(&self, timeout: Duration) -> Result<(), SecretError> {
        let started = Instant::now();
        let store = self.store.clone();
        run_bounded(timeout, "answer", move || probe_read(&store))?;
        let store = self.store.clone();
        let left = timeout.saturating_sub(started.elapsed()).max(MIN_WRITE_CHECK);
        match run_on_thread(left, move || probe_write(&store)) {
            Bounded::Done(result) => result,
            Bounded::TimedOut => {
                tracing::info!(
                    "keychain write check still waiting (an unlock dialog?); using the keychain"
                );
                Ok(())
            }
            Bounded::Failed(e) => Err(e),
        }
    }

    fn entry(store: &Arc<CredentialStore>, account: &str) -> Result<Entry, SecretError> {
        Entry::new_in_store(store, SERVICE, account).map_err(|e| map_error(e, account))
    }
}

impl SecretStore for KeychainSecretStore {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn persistent(&self) -> bool {
        self.persistent
    }

    fn get(&self, key: &SecretKey) -> Result<Option<Password>, SecretError> {
        let store = self.store.clone();
        let account = key.kind.account(&key.profile);
        tracing::debug!(%account, "keychain get");
        run_bounded(self.op_timeout, "read a saved secret", move || {
            let entry = Self::entry(&store, &account)?;
            match entry.get_password() {
                Ok(secret) => Ok(Some(Password::new(secret))),
                Err(KeyringError::NoEntry) => Ok(None),
                Err(e) => Err(map_error(e, &account)),
            }
        })
    }

    fn set(&self, key: &SecretKey, secret: &str) -> Result<(), SecretError> {
        let store = self.store.clone();
        let account = key.kind.account(&key.profile);
        let secret = Password::new(secret.to_string());
        tracing::debug!(%account, "keychain set");
        run_bounded(self.op_timeout, "save a secret", move || {
            let entry = Self::entry(&store, &account)?;
            entry.set_password(&secret).map_err(|e| map_error(e, &account))
        })
    }

    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        let store = self.store.clone();
        let account = key.kind.account(&key.profile);
        tracing::debug!(%account, "keychain delete");
        run_bounded(self.op_timeout, "forget a saved secret", move || {
            let entry = Self::entry(&store, &account)?;
            match entry.delete_credential() {
                Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
                Err(e) => Err(map_error(e, &account)),
            }
        })
    }
}

fn probe_read(store: &Arc<CredentialStore>) -> Result<(), SecretError> {
    let entry = KeychainSecretStore::entry(store, PROBE_READ_ACCOUNT)?;
    match entry.get_password() {
        Ok(_) | Err(KeyringError::NoEntry) => Ok(()),
        // Here a platform failure means "nobody to talk to", not "this item is bad".
        Err(KeyringError::PlatformFailure(e)) => {
            Err(platform::unavailable(&KeyringError::PlatformFailure(e)))
        }
        Err(e) => Err(map_error(e, PROBE_READ_ACCOUNT)),
    }
}

fn probe_write(store: &Arc<CredentialStore>) -> Result<(), SecretError> {
    let account = format!("{PROBE_WRITE_PREFIX}{}", uuid::Uuid::new_v4());
    let entry = KeychainSecretStore::entry(store, &account)?;
    entry.set_password("shiftgate keychain check").map_err(|e| map_error(e, &account))?;
    match entry.delete_credential() {
        Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
        Err(e) => Err(map_error(e, &account)),
    }
}

/// How a call on a worker thread ended.
enum Bounded<T> {
    Done(T),
    TimedOut,
    Failed(SecretError),
}

/// Run `op` on its own thread and wait at most `timeout` for it. The caller's tracing subscriber
/// follows the call onto that thread. A call that does not answer in time is left to finish on its
/// own (threads can't be killed).
fn run_on_thread<T, F>(timeout: Duration, op: F) -> Bounded<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(1);
    let dispatch = tracing::dispatcher::get_default(|d| d.clone());
    let spawned = std::thread::Builder::new().name("shiftgate-keychain".into()).spawn(move || {
        let result = tracing::dispatcher::with_default(&dispatch, op);
        // The receiver is gone when the caller gave up waiting; nothing to do then.
        let _ = tx.send(result);
    });
    if let Err(e) = spawned {
        return Bounded::Failed(SecretError::Platform(format!(
            "could not start a thread to talk to the keychain: {e}"
        )));
    }
    match rx.recv_timeout(timeout) {
        Ok(result) => Bounded::Done(result),
        Err(mpsc::RecvTimeoutError::Timeout) => Bounded::TimedOut,
        Err(mpsc::RecvTimeoutError::Disconnected) => Bounded::Failed(SecretError::Platform(
            "the keychain call stopped without an answer (it panicked)".into(),
        )),
    }
}

/// [`run_on_thread`] for a fallible call; no answer in time is [`SecretError::Unavailable`].
fn run_bounded<T, F>(timeout: Duration, what: &str, op: F) -> Result<T, SecretError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, SecretError> + Send + 'static,
{
    match run_on_thread(timeout, op) {
        Bounded::Done(result) => result,
        Bounded::TimedOut => Err(SecretError::Unavailable(format!(
            "the keychain did not {what} within {} s (is an unlock dialog waiting, or is the keychain service hung?)",
            timeout.as_secs_f32()
        ))),
        Bounded::Failed(e) => Err(e),
    }
}

/// Translate a keyring-core error for `account` into a [`SecretError`] a user can act on.
/// `NoEntry` is handled by the callers (it means "nothing saved", not a failure).
fn map_error(err: KeyringError, account: &str) -> SecretError {
    match err {
        KeyringError::NoStorageAccess(_) => SecretError::Locked,
        KeyringError::PlatformFailure(e) => SecretError::Platform(format!("{e}")),
        KeyringError::NoEntry => {
            SecretError::Platform(format!("no saved secret for {SERVICE} {account}"))
        }
        // The bytes are not shown: they are (part of) a secret.
        KeyringError::BadEncoding(_) => SecretError::Platform(format!(
            "the saved secret for {SERVICE} {account} is not UTF-8 text; forget it and save it again"
        )),
        KeyringError::BadDataFormat(_, e) => SecretError::Platform(format!(
            "the saved secret for {SERVICE} {account} is malformed ({e}); forget it and save it again"
        )),
        KeyringError::Ambiguous(items) => SecretError::Platform(format!(
            "{} keychain items match {SERVICE} {account}; remove the extra ones in your keychain app",
            items.len()
        )),
        KeyringError::NoDefaultStore => {
            SecretError::Unavailable("no keychain store is configured".into())
        }
        KeyringError::TooLong(what, limit) => SecretError::Platform(format!(
            "the {what} is longer than the keychain allows ({limit} characters)"
        )),
        KeyringError::Invalid(what, why) => {
            SecretError::Platform(format!("the keychain refused the {what}: {why}"))
        }
        KeyringError::NotSupportedByStore(why) => {
            SecretError::Platform(format!("the keychain can't do that: {why}"))
        }
        KeyringError::BadStoreFormat(why) => {
            SecretError::Platform(format!("the keychain's data is malformed: {why}"))
        }
        other => SecretError::Platform(other.to_string()),
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
mod platform {
    //! Secret Service over D-Bus (gnome-keyring, KeePassXC, KWallet's Secret Service bridge).
    use super::{CredentialStore, KeyringError, SecretError};
    use std::sync::Arc;

    pub fn build() -> Result<(Arc<CredentialStore>, String), KeyringError> {
        let store: Arc<CredentialStore> = zbus_secret_service_keyring_store::Store::new()?;
        Ok((store, "Secret Service keychain".to_string()))
    }

    /// One clause saying why there is no keychain, from a connect or probe failure.
    pub fn unavailable(err: &KeyringError) -> SecretError {
        let detail = match err {
            KeyringError::PlatformFailure(e) | KeyringError::NoStorageAccess(e) => {
                error_chain(e.as_ref())
            }
            other => other.to_string(),
        };
        let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").ok().filter(|a| !a.trim().is_empty());
        let reason = if is_no_service(&detail) {
            format!(
                "no Secret Service on the D-Bus session bus (start gnome-keyring, KeePassXC or KWallet); {detail}"
            )
        } else if bus.is_none() && is_connect_failure(&detail) {
            "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset)".to_string()
        } else if is_connect_failure(&detail) {
            format!("cannot reach the D-Bus session bus ({detail})")
        } else {
            format!("Secret Service error: {detail}")
        };
        SecretError::Unavailable(reason)
    }

    fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
        let mut text = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            let next = s.to_string();
            if !text.contains(&next) {
                text.push_str(": ");
                text.push_str(&next);
            }
            source = s.source();
        }
        text
    }

    fn is_no_service(detail: &str) -> bool {
        ["ServiceUnknown", "NameHasNoOwner", "org.freedesktop.secrets was not provided"]
            .iter()
            .any(|m| detail.contains(m))
    }

    fn is_connect_failure(detail: &str) -> bool {
        let d = detail.to_ascii_lowercase();
        [
            "no such file",
            "connection refused",
            "i/o error",
            "address",
            "permission denied",
            "handshake",
        ]
        .iter()
        .any(|m| d.contains(m))
    }
}

#[cfg(target_os = "macos")]
mod platform {
    //! The user's login keychain.
    use super::{CredentialStore, KeyringError, SecretError};
    use std::sync::Arc;

    pub fn build() -> Result<(Arc<CredentialStore>, String), KeyringError> {
        let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
        Ok((store, "macOS login keychain".to_string()))
    }

    pub fn unavailable(err: &KeyringError) -> SecretError {
        SecretError::Unavailable(format!("macOS keychain error: {err}"))
    }
}

#[cfg(target_os = "windows")]
mod platform {
    //! Windows Credential Manager.
    use super::{CredentialStore, KeyringError, SecretError};
    use std::sync::Arc;

    pub fn build() -> Result<(Arc<CredentialStore>, String), KeyringError> {
        let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new()?;
        Ok((store, "Windows Credential Manager".to_string()))
    }

    pub fn unavailable(err: &KeyringError) -> SecretError {
        SecretError::Unavailable(format!("Windows Credential Manager error: {err}"))
    }
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "windows"
)))]
mod platform {
    //! No supported keychain on this OS.
    use super::{CredentialStore, KeyringError, SecretError};
    use std::sync::Arc;

    pub fn build() -> Result<(Arc<CredentialStore>, String), KeyringError> {
        Err(KeyringError::NotSupportedByStore(
            "no OS keychain is supported on this platform".into(),
        ))
    }

    pub fn unavailable(_err: &KeyringError) -> SecretError {
        SecretError::Unavailable("no OS keychain is supported on this platform".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyring_core::mock;
    use shiftgate_core::profile::ProfileId;

    fn mock_store() -> (KeychainSecretStore, Arc<mock::Store>) {
        let mock = mock::Store::new().expect("mock store builds");
        let store: Arc<CredentialStore> = mock.clone();
        (KeychainSecretStore::with_store(store, "mock keychain"), mock)
    }

    /// Make the next call on `key`'s keychain item fail with `err`.
    fn inject(mock: &Arc<mock::Store>, key: &SecretKey, err: KeyringError) {
        let store: Arc<CredentialStore> = mock.clone();
        let entry = Entry::new_in_store(&store, SERVICE, &key.kind.account(&key.profile)).unwrap();
        let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
        cred.set_error(err);
    }

    fn key() -> SecretKey {
        SecretKey::db_password(&ProfileId("p-123".into()))
    }

    #[test]
    fn set_get_delete_round_trip_keyed_by_profile_id() {
        let (kc, mock) = mock_store();
        assert!(kc.get(&key()).unwrap().is_none(), "nothing saved yet");
        kc.set(&key(), "s3cret pässword").unwrap();
        assert_eq!(kc.get(&key()).unwrap().as_deref().map(String::as_str), Some("s3cret pässword"));
        // The item lives under service "shiftgate", account "<id>/db-password".
        let store: Arc<CredentialStore> = mock.clone();
        let raw = Entry::new_in_store(&store, "shiftgate", "p-123/db-password").unwrap();
        assert_eq!(raw.get_password().unwrap(), "s3cret pässword");
        kc.delete(&key()).unwrap();
        assert!(kc.get(&key()).unwrap().is_none());
        kc.delete(&key()).expect("deleting what is not there is fine");
        assert!(!kc.persistent(), "the mock keeps secrets in process memory only");
        assert_eq!(kc.describe(), "mock keychain");
    }

    #[test]
    fn locked_keychain_maps_to_locked() {
        let (kc, mock) = mock_store();
        kc.set(&key(), "pw").unwrap();
        for op in ["get", "set", "delete"] {
            inject(&mock, &key(), KeyringError::NoStorageAccess("collection is locked".into()));
            let r = match op {
                "get" => kc.get(&key()).map(|_| ()),
                "set" => kc.set(&key(), "pw2"),
                _ => kc.delete(&key()),
            };
            assert_eq!(r, Err(SecretError::Locked), "{op}");
        }
    }

    #[test]
    fn platform_failure_keeps_the_platform_words() {
        let (kc, mock) = mock_store();
        inject(
            &mock,
            &key(),
            KeyringError::PlatformFailure("org.freedesktop.DBus.Error.Failed: boom".into()),
        );
        match kc.get(&key()) {
            Err(SecretError::Platform(text)) => assert!(text.contains("boom"), "{text}"),
            other => panic!("expected Platform, got {other:?}"),
        }
        // The error is one-shot: the next call works again.
        assert!(kc.get(&key()).unwrap().is_none());
    }

    #[test]
    fn other_failures_say_what_to_do_and_never_show_secret_bytes() {
        let (kc, mock) = mock_store();
        inject(&mock, &key(), KeyringError::BadEncoding(b"hunter2-bytes\xff".to_vec()));
        let err = kc.get(&key()).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, SecretError::Platform(_)));
        assert!(text.contains("not UTF-8") && text.contains("forget it"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        inject(&mock, &key(), KeyringError::NoDefaultStore);
        assert!(matches!(kc.set(&key(), "x"), Err(SecretError::Unavailable(_))));
        inject(&mock, &key(), KeyringError::Invalid("password".into(), "empty".into()));
        assert!(
            matches!(kc.set(&key(), ""), Err(SecretError::Platform(t)) if t.contains("refused"))
        );
    }

    #[test]
    fn probe_accepts_a_missing_item_and_reports_failures() {
        let (kc, mock) = mock_store();
        kc.probe(Duration::from_secs(3)).unwrap();
        let store: Arc<CredentialStore> = mock.clone();
        let entry = Entry::new_in_store(&store, SERVICE, PROBE_READ_ACCOUNT).unwrap();
        let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
        cred.set_error(KeyringError::NoStorageAccess("locked".into()));
        assert_eq!(kc.probe(Duration::from_secs(3)), Err(SecretError::Locked));
        cred.set_error(KeyringError::PlatformFailure("no bus".into()));
        assert!(matches!(kc.probe(Duration::from_secs(3)), Err(SecretError::Unavailable(_))));
        // The write checks leave nothing behind.
        let spec =
            std::collections::HashMap::from([("service", SERVICE), ("user", PROBE_WRITE_PREFIX)]);
        let written = store.search(&spec).unwrap();
        assert!(!written.is_empty(), "the probe wrote");
        assert!(written.iter().all(|e| matches!(e.get_password(), Err(KeyringError::NoEntry))));
    }

    /// A keychain whose reads work and whose writes are refused or never answer (like a locked
    /// Secret Service collection without / with an unlock dialog).
    #[derive(Debug)]
    struct WriteBehaviour {
        refuse: bool,
    }

    impl keyring_core::api::CredentialApi for WriteBehaviour {
        fn set_secret(&self, _secret: &[u8]) -> keyring_core::Result<()> {
            if self.refuse {
                return Err(KeyringError::NoStorageAccess("collection is locked".into()));
            }
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        }
        fn get_secret(&self) -> keyring_core::Result<Vec<u8>> {
            Err(KeyringError::NoEntry)
        }
        fn delete_credential(&self) -> keyring_core::Result<()> {
            Err(KeyringError::NoEntry)
        }
        fn get_credential(&self) -> keyring_core::Result<Option<Arc<keyring_core::Credential>>> {
            Err(KeyringError::NoEntry)
        }
        fn get_specifiers(&self) -> Option<(String, String)> {
            None
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    impl keyring_core::api::CredentialStoreApi for WriteBehaviour {
        fn vendor(&self) -> String {
            "test".into()
        }
        fn id(&self) -> String {
            "test".into()
        }
        fn build(
            &self,
            _: &str,
            _: &str,
            _: Option<&std::collections::HashMap<&str, &str>>,
        ) -> keyring_core::Result<Entry> {
            Ok(Entry::new_with_credential(Arc::new(WriteBehaviour { refuse: self.refuse })))
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    #[test]
    fn probe_refused_write_is_locked_and_waiting_write_is_accepted_in_time() {
        let refusing =
            KeychainSecretStore::with_store(Arc::new(WriteBehaviour { refuse: true }), "refusing");
        assert_eq!(refusing.probe(Duration::from_secs(3)), Err(SecretError::Locked));
        let waiting =
            KeychainSecretStore::with_store(Arc::new(WriteBehaviour { refuse: false }), "waiting");
        let started = Instant::now();
        assert_eq!(
            waiting.probe(Duration::from_secs(1)),
            Ok(()),
            "an unlock dialog is being answered"
        );
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }

    #[test]
    fn a_call_that_does_not_answer_is_cut_off() {
        let started = Instant::now();
        let r: Result<(), SecretError> = run_bounded(Duration::from_millis(200), "answer", || {
            std::thread::sleep(Duration::from_secs(3));
            Ok(())
        });
        assert!(started.elapsed() < Duration::from_secs(2));
        match r {
            Err(SecretError::Unavailable(text)) => {
                assert!(text.contains("did not answer within 0.2 s"), "{text}")
            }
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }

    #[test]
    fn a_panicking_call_is_an_error_not_a_crash() {
        let r: Result<(), SecretError> =
            run_bounded(Duration::from_secs(2), "answer", || panic!("store bug"));
        assert!(matches!(r, Err(SecretError::Platform(t)) if t.contains("panicked")));
    }

    #[test]
    fn usable_from_inside_a_tokio_runtime() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (kc, _mock) = mock_store();
        rt.block_on(async {
            kc.set(&key(), "pw").unwrap();
            assert!(kc.get(&key()).unwrap().is_some());
        });
    }
}
