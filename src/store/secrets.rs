//! Secret storage behind one trait: database passwords and SSH secrets, keyed by profile id.
//! Implementations: in-memory (ask every time, tests). The OS keychain store plugs in here too.

use crate::net::connect::Password;
use shiftgate_core::profile::ProfileId;
use std::collections::HashMap;
use std::sync::Mutex;

pub use crate::net::credentials::SecretKind;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretKey {
    pub profile: ProfileId,
    pub kind: SecretKind,
}

impl SecretKey {
    pub fn db_password(profile: &ProfileId) -> Self {
        SecretKey { profile: profile.clone(), kind: SecretKind::DbPassword }
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SecretError {
    #[error("the keychain is locked")]
    Locked,
    #[error("no keychain is available: {0}")]
    Unavailable(String),
    #[error("keychain error: {0}")]
    Platform(String),
}

/// A place to keep secrets. Calls are short local IPC at most, never network.
pub trait SecretStore: Send + Sync {
    /// Human name shown in the status bar ("Secret Service keychain", "memory only").
    fn describe(&self) -> String;
    /// Whether secrets survive a restart.
    fn persistent(&self) -> bool;
    fn get(&self, key: &SecretKey) -> Result<Option<Password>, SecretError>;
    fn set(&self, key: &SecretKey, secret: &str) -> Result<(), SecretError>;
    fn delete(&self, key: &SecretKey) -> Result<(), SecretError>;
    /// Calls never wait (in-process memory): the window may call it directly. A keychain,
    /// which may take a minute or show an unlock dialog, keeps the default `false`.
    fn answers_immediately(&self) -> bool {
        false
    }
}

/// Secrets kept in process memory only: for "ask every time" and tests.
#[derive(Default)]
pub struct MemorySecretStore {
    map: Mutex<HashMap<SecretKey, Password>>,
}

impl SecretStore for MemorySecretStore {
    fn describe(&self) -> String {
        "memory only (asked every run)".into()
    }
    fn persistent(&self) -> bool {
        false
    }
    fn get(&self, key: &SecretKey) -> Result<Option<Password>, SecretError> {
        Ok(self.map.lock().map_err(|_| SecretError::Platform("poisoned".into()))?.get(key).cloned())
    }
    fn set(&self, key: &SecretKey, secret: &str) -> Result<(), SecretError> {
        self.map
            .lock()
            .map_err(|_| SecretError::Platform("poisoned".into()))?
            .insert(key.clone(), Password::new(secret.to_string()));
        Ok(())
    }
    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        self.map.lock().map_err(|_| SecretError::Platform("poisoned".into()))?.remove(key);
        Ok(())
    }
    fn answers_immediately(&self) -> bool {
        true
    }
}
