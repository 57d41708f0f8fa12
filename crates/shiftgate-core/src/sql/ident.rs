//! Quoting of identifiers and string literals: the only place user text becomes SQL text.
//!
//! Every name or value that reaches a statement goes through [`Ident`] or [`Literal`], whose
//! `Display` always quotes. Nothing else in `sql/` may `format!` user text into SQL. This module
//! knows nothing about statements, dialect grammar or policies.

use std::fmt;

/// Why a piece of user text can't be carried into SQL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlTextError {
    /// PostgreSQL and Redshift reject NUL anywhere in a query string.
    #[error("{what} contains a NUL character, which no SQL statement can carry")]
    Nul {
        /// What the text was (e.g. "schema name").
        what: &'static str,
    },
    /// A zero-length delimited identifier (`""`) is a syntax error on both servers.
    #[error("{what} is empty")]
    EmptyIdentifier {
        /// What the text was.
        what: &'static str,
    },
    /// Redshift string literals treat `\` as an escape (its PostgreSQL 8.0 lineage: the LIKE page
    /// documents the escape character as "two backslashes"), PostgreSQL 15 treats it literally
    /// (`standard_conforming_strings = on`). No spelling means the same on both, so it is refused.
    #[error(
        "{what} contains a backslash, which Redshift and PostgreSQL read differently in a string literal"
    )]
    Backslash {
        /// What the text was.
        what: &'static str,
    },
}

/// A quoted SQL identifier: `"name"` with every `"` doubled.
///
/// Always quoted, even when lower case, so the output is predictable. Note that Redshift still
/// folds ASCII letters of quoted identifiers to lower case unless `enable_case_sensitive_identifier`
/// is on — except user names, whose case is always preserved (redshift.md §1.1).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ident(String);

impl Ident {
    /// Wraps a name; refuses NUL and the empty string. `what` names the text in errors.
    pub fn new(name: &str, what: &'static str) -> Result<Self, SqlTextError> {
        if name.is_empty() {
            return Err(SqlTextError::EmptyIdentifier { what });
        }
        if name.contains('\0') {
            return Err(SqlTextError::Nul { what });
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as given (unquoted).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        f.write_str(&self.0.replace('"', "\"\""))?;
        f.write_str("\"")
    }
}

impl fmt::Debug for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ident({self})")
    }
}

/// A quoted SQL string literal: `'text'` with every `'` doubled.
///
/// Refuses NUL and backslash (see [`SqlTextError::Backslash`]); the empty string is allowed (`''`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Literal(String);

impl Literal {
    /// Wraps a value; refuses NUL and backslash. `what` names the text in errors.
    pub fn new(value: &str, what: &'static str) -> Result<Self, SqlTextError> {
        if value.contains('\0') {
            return Err(SqlTextError::Nul { what });
        }
        if value.contains('\\') {
            return Err(SqlTextError::Backslash { what });
        }
        Ok(Self(value.to_owned()))
    }

    /// The value as given (unquoted).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("'")?;
        f.write_str(&self.0.replace('\'', "''"))?;
        f.write_str("'")
    }
}

/// Literals may hold passwords: `Debug` never shows the value.
impl fmt::Debug for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Literal(<{} chars>)", self.0.chars().count())
    }
}

/// `('a', 'b', …)` for an `IN` list; `None` when the list is empty (`IN ()` is a syntax error).
pub fn literal_list(values: &[Literal]) -> Option<String> {
    if values.is_empty() {
        return None;
    }
    let items: Vec<String> = values.iter().map(Literal::to_string).collect();
    Some(format!("({})", items.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(s: &str) -> String {
        Ident::new(s, "name").map(|i| i.to_string()).unwrap_or_default()
    }
    fn lit(s: &str) -> String {
        Literal::new(s, "value").map(|l| l.to_string()).unwrap_or_default()
    }

    #[test]
    fn ident_always_quotes_and_doubles_double_quotes() {
        assert_eq!(ident("sales"), r#""sales""#);
        assert_eq!(ident("Sales Data"), r#""Sales Data""#);
        assert_eq!(ident(r#"we"ird"#), r#""we""ird""#);
        assert_eq!(ident(r#""""#), r#""""""""#);
        assert_eq!(ident("o'brien"), r#""o'brien""#);
        assert_eq!(ident("ETL_Loader"), r#""ETL_Loader""#);
        assert_eq!(ident("ünïcode"), "\"ünïcode\"");
        assert_eq!(ident("a;DROP TABLE x"), r#""a;DROP TABLE x""#);
    }

    #[test]
    fn ident_rejects_empty_and_nul() {
        assert_eq!(
            Ident::new("", "schema name"),
            Err(SqlTextError::EmptyIdentifier { what: "schema name" })
        );
        assert_eq!(
            Ident::new("a\0b", "schema name"),
            Err(SqlTextError::Nul { what: "schema name" })
        );
    }

    #[test]
    fn literal_quotes_and_doubles_single_quotes() {
        assert_eq!(lit("abc"), "'abc'");
        assert_eq!(lit(""), "''");
        assert_eq!(lit("it's"), "'it''s'");
        assert_eq!(lit("''"), "''''''");
        assert_eq!(lit(r#"say "hi""#), r#"'say "hi"'"#);
        assert_eq!(lit("Sales Data"), "'Sales Data'");
        assert_eq!(lit("ünïcode"), "'ünïcode'");
    }

    #[test]
    fn literal_rejects_nul_and_backslash() {
        assert_eq!(Literal::new("a\0", "password"), Err(SqlTextError::Nul { what: "password" }));
        assert_eq!(
            Literal::new(r"a\b", "password"),
            Err(SqlTextError::Backslash { what: "password" })
        );
    }

    #[test]
    fn literal_debug_hides_value() {
        let l = Literal::new("Secret_Pass1", "password").map(|l| format!("{l:?}"));
        assert_eq!(l, Ok("Literal(<12 chars>)".to_owned()));
    }

    #[test]
    fn literal_list_forms() {
        assert_eq!(literal_list(&[]), None);
        let a = Literal::new("a", "v");
        let b = Literal::new("b'c", "v");
        if let (Ok(a), Ok(b)) = (a, b) {
            assert_eq!(literal_list(&[a, b]).as_deref(), Some("('a', 'b''c')"));
        } else {
            panic!("test literals are valid");
        }
    }
}
