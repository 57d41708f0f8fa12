//! Redshift's clear-text password policy and a password generator that always satisfies it.
//!
//! Policy (redshift.md §1.1, `r_CREATE_USER.md`): 8–64 characters; at least one upper-case letter,
//! one lower-case letter and one digit; printable ASCII 33–126 only; none of `'` `"` `\` `/` `@`;
//! no space. PostgreSQL has no policy; the plan checks it anyway (as warnings) for portability.
//! This module never builds SQL and never logs a password.

use std::fmt;

/// Shortest clear-text password Redshift accepts.
pub const MIN_LEN: usize = 8;
/// Longest clear-text password Redshift accepts.
pub const MAX_LEN: usize = 64;
/// Length of a generated password unless asked otherwise.
pub const DEFAULT_GENERATED_LEN: usize = 24;
/// Punctuation the generator may use: printable, allowed by the policy, and harmless in SQL,
/// shells and connection strings that quote properly.
pub const GENERATOR_PUNCTUATION: &str = "!#$%^&*()-_=+[]{}:;,.?~";
/// Characters the policy forbids inside the printable range.
pub const FORBIDDEN: &[char] = &['\'', '"', '\\', '/', '@'];

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const DIGITS: &str = "0123456789";

/// One way a password breaks the policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordViolation {
    /// Fewer than [`MIN_LEN`] characters.
    #[error("password has {chars} characters; at least {MIN_LEN} are required")]
    TooShort {
        /// Characters counted.
        chars: usize,
    },
    /// More than [`MAX_LEN`] characters.
    #[error("password has {chars} characters; at most {MAX_LEN} are allowed")]
    TooLong {
        /// Characters counted.
        chars: usize,
    },
    /// No `A`–`Z`.
    #[error("password must contain an upper-case ASCII letter")]
    MissingUppercase,
    /// No `a`–`z`.
    #[error("password must contain a lower-case ASCII letter")]
    MissingLowercase,
    /// No `0`–`9`.
    #[error("password must contain a digit")]
    MissingDigit,
    /// One of `'` `"` `\` `/` `@`.
    #[error("password must not contain {0:?}")]
    ForbiddenCharacter(char),
    /// A space.
    #[error("password must not contain a space")]
    Space,
    /// Outside printable ASCII 33–126 (control characters, non-ASCII letters, …).
    #[error("password must use printable ASCII only; {0:?} is not allowed")]
    NotPrintableAscii(char),
}

/// Every policy violation of `password`, in a stable order; empty when it is acceptable.
/// Each distinct offending character is reported once.
pub fn check_password(password: &str) -> Vec<PasswordViolation> {
    let mut out = Vec::new();
    let chars = password.chars().count();
    if chars < MIN_LEN {
        out.push(PasswordViolation::TooShort { chars });
    }
    if chars > MAX_LEN {
        out.push(PasswordViolation::TooLong { chars });
    }
    if !password.chars().any(|c| c.is_ascii_uppercase()) {
        out.push(PasswordViolation::MissingUppercase);
    }
    if !password.chars().any(|c| c.is_ascii_lowercase()) {
        out.push(PasswordViolation::MissingLowercase);
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        out.push(PasswordViolation::MissingDigit);
    }
    let mut seen: Vec<char> = Vec::new();
    for c in password.chars() {
        if seen.contains(&c) {
            continue;
        }
        seen.push(c);
        if c == ' ' {
            out.push(PasswordViolation::Space);
        } else if FORBIDDEN.contains(&c) {
            out.push(PasswordViolation::ForbiddenCharacter(c));
        } else if !('!'..='~').contains(&c) {
            out.push(PasswordViolation::NotPrintableAscii(c));
        }
    }
    out
}

/// The operating system's random source failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not read random bytes from the operating system: {0}")]
pub struct RandomSourceError(pub String);

/// A generated password. `Debug` and `Display` never show it; use [`GeneratedPassword::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedPassword(String);

impl GeneratedPassword {
    /// The clear text, for the caller to put into a plan or a clipboard.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for GeneratedPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GeneratedPassword(<{} chars>)", self.0.len())
    }
}

/// A fresh password of `len` characters (clamped to [`MIN_LEN`]..=[`MAX_LEN`]) from the OS random
/// source, using only `[A-Za-z0-9]` plus [`GENERATOR_PUNCTUATION`], always with an upper-case
/// letter, a lower-case letter and a digit.
pub fn generate_password(len: usize) -> Result<GeneratedPassword, RandomSourceError> {
    generate_password_with(len, |buf| {
        getrandom::fill(buf).map_err(|e| RandomSourceError(e.to_string()))
    })
}

/// [`generate_password`] with an explicit byte source (for deterministic tests).
pub fn generate_password_with<F>(
    len: usize,
    mut fill: F,
) -> Result<GeneratedPassword, RandomSourceError>
where
    F: FnMut(&mut [u8]) -> Result<(), RandomSourceError>,
{
    let len = len.clamp(MIN_LEN, MAX_LEN);
    let all: Vec<char> = UPPER
        .chars()
        .chain(LOWER.chars())
        .chain(DIGITS.chars())
        .chain(GENERATOR_PUNCTUATION.chars())
        .collect();
    let upper: Vec<char> = UPPER.chars().collect();
    let lower: Vec<char> = LOWER.chars().collect();
    let digits: Vec<char> = DIGITS.chars().collect();

    // A u32 reduced modulo an alphabet of < 100 symbols has a bias below 1e-7: negligible here,
    // and unlike rejection sampling it always terminates whatever the byte source returns.
    let mut pick = |n: usize| -> Result<usize, RandomSourceError> {
        let mut b = [0u8; 4];
        fill(&mut b)?;
        Ok(u32::from_le_bytes(b) as usize % n)
    };

    let mut out: Vec<char> = Vec::with_capacity(len);
    out.push(upper[pick(upper.len())?]);
    out.push(lower[pick(lower.len())?]);
    out.push(digits[pick(digits.len())?]);
    while out.len() < len {
        out.push(all[pick(all.len())?]);
    }
    // Fisher–Yates, so the guaranteed classes are not always at the front.
    for i in (1..out.len()).rev() {
        let j = pick(i + 1)?;
        out.swap(i, j);
    }
    Ok(GeneratedPassword(out.into_iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use PasswordViolation as V;

    #[test]
    fn good_password_passes() {
        assert!(check_password("Secret_Pass1").is_empty());
        assert!(check_password("Abcdefg1").is_empty());
        assert!(check_password(&format!("Ab1{}", "x".repeat(61))).is_empty());
    }

    #[test]
    fn each_violation_is_reported() {
        assert_eq!(check_password("Abc1"), vec![V::TooShort { chars: 4 }]);
        assert_eq!(
            check_password(&format!("Ab1{}", "x".repeat(62))),
            vec![V::TooLong { chars: 65 }]
        );
        assert_eq!(check_password("abcdefg1"), vec![V::MissingUppercase]);
        assert_eq!(check_password("ABCDEFG1"), vec![V::MissingLowercase]);
        assert_eq!(check_password("Abcdefgh"), vec![V::MissingDigit]);
        assert_eq!(check_password("Abcdef1'"), vec![V::ForbiddenCharacter('\'')]);
        assert_eq!(check_password("Abcdef1\""), vec![V::ForbiddenCharacter('"')]);
        assert_eq!(check_password("Abcdef1\\"), vec![V::ForbiddenCharacter('\\')]);
        assert_eq!(check_password("Abcdef1/"), vec![V::ForbiddenCharacter('/')]);
        assert_eq!(check_password("@AbC4321!"), vec![V::ForbiddenCharacter('@')]);
        assert_eq!(check_password("Abc def1"), vec![V::Space]);
        assert_eq!(check_password("Abcdef1\t"), vec![V::NotPrintableAscii('\t')]);
        assert_eq!(check_password("Abcdéf12"), vec![V::NotPrintableAscii('é')]);
    }

    #[test]
    fn several_violations_and_duplicates_once() {
        assert_eq!(
            check_password("a//"),
            vec![
                V::TooShort { chars: 3 },
                V::MissingUppercase,
                V::MissingDigit,
                V::ForbiddenCharacter('/')
            ]
        );
        assert_eq!(
            check_password(""),
            vec![
                V::TooShort { chars: 0 },
                V::MissingUppercase,
                V::MissingLowercase,
                V::MissingDigit
            ]
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 8 characters, 9 bytes: too-short must not fire, non-ASCII must.
        assert_eq!(check_password("Abcdef1é"), vec![V::NotPrintableAscii('é')]);
    }

    #[test]
    fn generator_satisfies_policy_and_alphabet() {
        for len in [0, 8, 24, 64, 200] {
            let pw = generate_password(len).map(|p| p.expose().to_owned()).unwrap_or_default();
            assert_eq!(pw.chars().count(), len.clamp(MIN_LEN, MAX_LEN));
            assert!(check_password(&pw).is_empty(), "{pw}");
            assert!(
                pw.chars().all(|c| c.is_ascii_alphanumeric() || GENERATOR_PUNCTUATION.contains(c))
            );
        }
    }

    #[test]
    fn generator_with_degenerate_source_still_meets_policy() {
        let pw = generate_password_with(DEFAULT_GENERATED_LEN, |b| {
            b.fill(0);
            Ok(())
        });
        let pw = pw.map(|p| p.expose().to_owned()).unwrap_or_default();
        assert_eq!(pw.len(), DEFAULT_GENERATED_LEN);
        assert!(check_password(&pw).is_empty(), "{pw}");
    }

    #[test]
    fn generator_reports_source_failure() {
        let r = generate_password_with(24, |_| Err(RandomSourceError("boom".into())));
        assert_eq!(r, Err(RandomSourceError("boom".into())));
    }

    #[test]
    fn generated_password_debug_hides_value() {
        let pw = generate_password(24).map(|p| format!("{p:?}")).unwrap_or_default();
        assert_eq!(pw, "GeneratedPassword(<24 chars>)");
    }

    #[test]
    fn generator_punctuation_is_policy_clean() {
        assert!(GENERATOR_PUNCTUATION.chars().all(|c| !FORBIDDEN.contains(&c) && c != ' '));
    }
}
