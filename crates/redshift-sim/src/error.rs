//! Error types: `SqlError` is what the simulated server reports to a client (an ErrorResponse with a
//! SQLSTATE), `SimError` is what starting the simulator can fail with. Owns no protocol or SQL logic.

use std::fmt;

/// Severity of an ErrorResponse: `ERROR` ends the statement, `FATAL` ends the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Fatal,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Fatal => "FATAL",
        }
    }
}

/// An error the simulated Redshift reports on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub severity: Severity,
    /// Five-character SQLSTATE, e.g. `42501`.
    pub code: &'static str,
    pub message: String,
    /// The ErrorResponse `D` (detail) field, e.g. Redshift's serializable-isolation cycle.
    pub detail: Option<String>,
}

impl SqlError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        SqlError { severity: Severity::Error, code, message: message.into(), detail: None }
    }

    pub fn fatal(code: &'static str, message: impl Into<String>) -> Self {
        SqlError { severity: Severity::Fatal, code, message: message.into(), detail: None }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// `syntax error at or near "<token>"` (42601), the PostgreSQL/Redshift parser's wording.
    pub fn syntax_near(token: &str) -> Self {
        if token.is_empty() {
            SqlError::new("42601", "syntax error at end of input")
        } else {
            SqlError::new("42601", format!("syntax error at or near \"{token}\""))
        }
    }

    /// Anything the simulator does not implement: never a fake success.
    pub fn unsupported(head: impl fmt::Display) -> Self {
        SqlError::new("0A000", format!("not supported by the simulator: {head}"))
    }

    pub fn permission_denied(what: impl fmt::Display) -> Self {
        SqlError::new("42501", format!("permission denied {what}"))
    }

    pub fn undefined_object(message: impl Into<String>) -> Self {
        SqlError::new("42704", message)
    }

    pub fn duplicate_object(message: impl Into<String>) -> Self {
        SqlError::new("42710", message)
    }
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.severity.as_str(), self.message, self.code)
    }
}

impl std::error::Error for SqlError {}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("could not bind {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("could not generate the test certificates: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("could not build the TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
}
