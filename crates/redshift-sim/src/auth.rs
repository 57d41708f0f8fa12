//! Password storage and checking as Redshift does it (redshift.md §1.1, §3.4): clear-text passwords are
//! policy-checked and stored as `md5(password || username)`; `md5…` hashes are stored as given;
//! `sha256|…` passwords are stored salted and make the server ask for AUTH_REQ_DIGEST (code 13).
//! Owns no sockets: the session drives the exchange with these functions.

use md5::{Digest as _, Md5};
use sha2::Sha256;

use crate::error::SqlError;

/// How a user's password is stored; decides the authentication request sent at login.
#[derive(Clone, PartialEq, Eq)]
pub enum StoredPassword {
    /// `md5` + 32 hex digits = md5(password || username). Wire auth code 5.
    Md5(String),
    /// `sha256|…` form: SHA-256(password || salt). Wire auth code 13 (redshift.md §3.4).
    Sha256 { digest: Vec<u8>, salt: Vec<u8> },
    /// `PASSWORD DISABLE`: no password login possible (IAM only).
    Disabled,
}

impl std::fmt::Debug for StoredPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoredPassword::Md5(_) => f.write_str("Md5(..)"),
            StoredPassword::Sha256 { .. } => f.write_str("Sha256(..)"),
            StoredPassword::Disabled => f.write_str("Disabled"),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// `'md5' || md5(password || username)` — the same formula as PostgreSQL (redshift.md §1.1).
pub fn md5_hash(password: &str, user: &str) -> String {
    let mut h = Md5::new();
    h.update(password.as_bytes());
    h.update(user.as_bytes());
    format!("md5{}", hex(&h.finalize()))
}

/// What a client answers to AuthenticationMD5Password: `'md5' || md5(hex(stored) || salt)`.
pub fn md5_response(stored: &str, salt: [u8; 4]) -> String {
    let inner = stored.strip_prefix("md5").unwrap_or(stored);
    let mut h = Md5::new();
    h.update(inner.as_bytes());
    h.update(salt);
    format!("md5{}", hex(&h.finalize()))
}

fn sha256(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
}

/// Turns the text of `PASSWORD '<text>'` into what Redshift stores (redshift.md §1.1).
pub fn store_password(user: &str, text: &str) -> Result<StoredPassword, SqlError> {
    if let Some(hash) = text.strip_prefix("md5")
        && hash.len() == 32
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
    {
        // Only checked for being a valid MD5 string, not against the policy (§1.1).
        return Ok(StoredPassword::Md5(format!("md5{}", hash.to_ascii_lowercase())));
    }
    if let Some(rest) = text.strip_prefix("sha256|") {
        let parts: Vec<&str> = rest.split('|').collect();
        if let [digest, salt] = parts.as_slice()
            && let (Some(digest), Some(salt)) = (unhex(digest), unhex(salt))
            && digest.len() == 32
            && salt.len() == 32
        {
            return Ok(StoredPassword::Sha256 { digest, salt });
        }
        check_policy(rest)?;
        let salt: [u8; 32] = rand::random();
        return Ok(StoredPassword::Sha256 {
            digest: sha256(&[rest.as_bytes(), &salt]),
            salt: salt.to_vec(),
        });
    }
    check_policy(text)?;
    Ok(StoredPassword::Md5(md5_hash(text, user)))
}

/// Clear-text password rules (redshift.md §1.1): 8–64 characters, an upper-case, a lower-case letter
/// and a digit, ASCII 33–126 except `'` `"` `\` `/` `@` (and space). Only the uppercase message is a
/// reported Redshift text (velog.io/@ssongji); the others follow its pattern [unverified].
pub fn check_policy(pw: &str) -> Result<(), SqlError> {
    let err = |m: &str| SqlError::new("42601", m.to_string());
    let len = pw.chars().count();
    if len < 8 {
        return Err(err("password must be at least 8 characters long"));
    }
    if len > 64 {
        return Err(err("password must be at most 64 characters long"));
    }
    if pw
        .chars()
        .any(|c| !(33..=126).contains(&(c as u32)) || matches!(c, '\'' | '"' | '\\' | '/' | '@'))
    {
        return Err(err(
            "password must not contain single quote, double quote, \\, /, @, or space",
        ));
    }
    if !pw.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(err("password must contain an uppercase ASCII character"));
    }
    if !pw.chars().any(|c| c.is_ascii_lowercase()) {
        return Err(err("password must contain a lowercase ASCII character"));
    }
    if !pw.chars().any(|c| c.is_ascii_digit()) {
        return Err(err("password must contain a digit"));
    }
    Ok(())
}

/// Checks the PasswordMessage body (NUL-terminated) against an md5 challenge.
pub fn verify_md5(stored: &StoredPassword, salt: [u8; 4], body: &[u8]) -> bool {
    let answer = body.strip_suffix(&[0]).unwrap_or(body);
    match stored {
        StoredPassword::Md5(hash) => md5_response(hash, salt).as_bytes() == answer,
        _ => false,
    }
}

/// Checks the `d` reply to AUTH_REQ_DIGEST: `Int32 len, digest, Int32 len, client nonce` with
/// digest = SHA256(SHA256(password || salt) || server_nonce || client_nonce) (redshift.md §3.4;
/// redshift_connector `extensible_digest.py` — exact byte encoding [unverified]).
pub fn verify_digest(stored: &StoredPassword, server_nonce: &[u8], body: &[u8]) -> bool {
    let StoredPassword::Sha256 { digest, .. } = stored else {
        return false;
    };
    let mut b = crate::protocol::Body::new(body);
    let (Ok(client_digest), Ok(client_nonce)) = (b.len_prefixed(), b.len_prefixed()) else {
        return false;
    };
    sha256(&[digest, server_nonce, &client_nonce]) == client_digest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_postgres_formula() {
        let expected = format!("md5{}", hex(&Md5::digest(b"secretbob")));
        assert_eq!(md5_hash("secret", "bob"), expected);
        assert_eq!(expected.len(), 35);
        assert!(
            matches!(store_password("u", "md5ABCDEF0123456789abcdef0123456789"), Ok(StoredPassword::Md5(h)) if h == "md5abcdef0123456789abcdef0123456789")
        );
    }

    #[test]
    fn policy() {
        assert!(check_policy("Admin1234!").is_ok());
        assert_eq!(
            check_policy("admin1234!").unwrap_err().message,
            "password must contain an uppercase ASCII character"
        );
        assert!(check_policy("Ab1").is_err());
        assert!(check_policy("Admin 1234").is_err());
        assert!(check_policy("Admin@1234").is_err());
    }
}
