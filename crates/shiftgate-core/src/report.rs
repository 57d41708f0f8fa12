//! The staged test report: steps with status and timing, what the server and TLS said, and the
//! diagnosis of a failure. Rendered as text (CLI, "Copy report") and JSON (`--json`).

use crate::diagnose::Diagnosis;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// One stage of a connection attempt, in the order they run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepKind {
    /// SSH: TCP connection to hop `hop` (0 = first).
    SshTcp {
        hop: usize,
        host: String,
    },
    /// SSH: server identification / protocol banner.
    SshBanner {
        hop: usize,
    },
    /// SSH: server host key checked against known_hosts.
    SshHostKey {
        hop: usize,
    },
    /// SSH: client authentication.
    SshAuth {
        hop: usize,
    },
    /// SSH: direct-tcpip channel from the last hop to the database (or to the next hop).
    SshChannel {
        hop: usize,
        target: String,
    },
    Resolve,
    /// IAM: `sts:GetCallerIdentity`, who the AWS credentials belong to.
    AwsIdentity,
    /// IAM: the temporary database user and password from Redshift.
    IamCredentials,
    Tcp,
    Tls,
    Authenticate,
    Query,
    Detect,
}

impl StepKind {
    pub fn label(&self) -> String {
        match self {
            StepKind::SshTcp { hop, host } => format!("SSH hop {}: TCP to {host}", hop + 1),
            StepKind::SshBanner { hop } => format!("SSH hop {}: server banner", hop + 1),
            StepKind::SshHostKey { hop } => format!("SSH hop {}: host key", hop + 1),
            StepKind::SshAuth { hop } => format!("SSH hop {}: authenticate", hop + 1),
            StepKind::SshChannel { hop, target } => {
                format!("SSH hop {}: channel to {target}", hop + 1)
            }
            StepKind::Resolve => "Resolve host".into(),
            StepKind::AwsIdentity => "AWS identity".into(),
            StepKind::IamCredentials => "IAM credentials".into(),
            StepKind::Tcp => "TCP connect".into(),
            StepKind::Tls => "TLS".into(),
            StepKind::Authenticate => "Authenticate".into(),
            StepKind::Query => "Query".into(),
            StepKind::Detect => "Detect server".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Running,
    Ok,
    /// Completed, but with something the user should know (e.g. TLS not verified).
    Warning,
    Failed,
    Skipped,
    Cancelled,
}

impl StepStatus {
    pub fn symbol(self) -> &'static str {
        match self {
            StepStatus::Running => "…",
            StepStatus::Ok => "✓",
            StepStatus::Warning => "!",
            StepStatus::Failed => "✗",
            StepStatus::Skipped => "-",
            StepStatus::Cancelled => "⊘",
        }
    }

    pub fn is_final(self) -> bool {
        !matches!(self, StepStatus::Running)
    }
}

/// A step as shown in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub kind: StepKind,
    pub status: StepStatus,
    /// Milliseconds the step took (for a running step: so far).
    pub elapsed_ms: u64,
    /// One line of detail: addresses found, cipher, auth method, …
    pub detail: String,
}

/// TLS facts of an established connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TlsInfo {
    pub protocol: String,
    pub cipher: String,
    pub subject: String,
    pub issuer: String,
    pub not_after: String,
    /// `true` when the chain was verified against `verified_against`.
    pub verified_chain: bool,
    /// `true` when the host name was checked against the certificate.
    pub verified_host: bool,
    /// What the chain was verified against: a CA file path or "built-in web roots".
    pub verified_against: String,
}

/// What the server said about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ServerInfo {
    pub version_string: String,
    pub current_user: String,
    pub current_database: String,
    /// `server_version` parameter status (Redshift reports 8.0.2).
    pub server_version_param: Option<String>,
    pub is_redshift: bool,
    /// e.g. "1.0.12103" parsed from `Redshift 1.0.12103`.
    pub redshift_version: Option<String>,
    /// e.g. "15.18" for PostgreSQL.
    pub postgres_version: Option<String>,
    /// Authentication method the server asked for: "md5", "SCRAM-SHA-256", "cleartext", "trust".
    pub auth_method: Option<String>,
}

impl ServerInfo {
    /// Fill `is_redshift`, `redshift_version` and `postgres_version` from `version_string`.
    pub fn detect(&mut self) {
        let v = &self.version_string;
        self.redshift_version = parse_redshift_version(v);
        self.is_redshift = self.redshift_version.is_some() || v.contains("Redshift");
        self.postgres_version = if self.is_redshift {
            None
        } else {
            v.strip_prefix("PostgreSQL ")
                .and_then(|rest| rest.split_whitespace().next())
                .map(|s| s.trim_end_matches(',').to_string())
        };
    }

    pub fn product_line(&self) -> String {
        if self.is_redshift {
            format!(
                "Amazon Redshift {}",
                self.redshift_version.as_deref().unwrap_or("(version unknown)")
            )
        } else if let Some(v) = &self.postgres_version {
            format!("PostgreSQL {v}")
        } else {
            self.version_string.clone()
        }
    }
}

/// `Redshift\s+([\d.]+)` (redshift.md §3.2).
pub fn parse_redshift_version(version: &str) -> Option<String> {
    let idx = version.find("Redshift")?;
    let rest = version[idx + "Redshift".len()..].trim_start();
    let num: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let num = num.trim_end_matches('.');
    if num.is_empty() { None } else { Some(num.to_string()) }
}

/// What the IAM stages got: who the AWS identity is and the temporary database login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct IamInfo {
    /// `GetClusterCredentials`, `GetClusterCredentialsWithIAM` or `GetCredentials`.
    pub api: String,
    /// The database user the credentials are for (`IAM:…`, `IAMA:…`, `IAMR:…`).
    pub db_user: String,
    /// When the temporary password stops working (Unix seconds), for a countdown.
    pub expires_at_unix: u64,
    pub account: String,
    pub arn: String,
    /// Reused from the in-memory cache.
    pub cached: bool,
}

impl IamInfo {
    /// "expires in 14m 59s" / "expired 2m 3s ago", at Unix time `now`: the report's countdown.
    pub fn countdown(&self, now: u64) -> String {
        let span = |secs: u64| {
            let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
            match (h, m) {
                (0, 0) => format!("{s}s"),
                (0, _) => format!("{m}m {s:02}s"),
                _ => format!("{h}h {m:02}m {s:02}s"),
            }
        };
        if self.expires_at_unix > now {
            format!("expires in {}", span(self.expires_at_unix - now))
        } else {
            format!("expired {} ago", span(now - self.expires_at_unix))
        }
    }
}

/// The whole result of a staged test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Report {
    pub target: String,
    pub sslmode: String,
    pub steps: Vec<Step>,
    pub tls: Option<TlsInfo>,
    pub server: Option<ServerInfo>,
    /// IAM profiles: the AWS identity and the temporary login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam: Option<IamInfo>,
    pub diagnosis: Option<Diagnosis>,
    pub total_ms: u64,
}

impl Report {
    pub fn succeeded(&self) -> bool {
        self.diagnosis.is_none()
            && !self.steps.is_empty()
            && self.steps.iter().all(|s| {
                matches!(s.status, StepStatus::Ok | StepStatus::Warning | StepStatus::Skipped)
            })
    }

    /// Insert or replace the step of the same kind (steps arrive Running, then final).
    pub fn upsert_step(&mut self, step: Step) {
        if let Some(existing) = self.steps.iter_mut().find(|s| s.kind == step.kind) {
            *existing = step;
        } else {
            self.steps.push(step);
        }
    }

    /// Plain-text rendering used by the CLI and "Copy report".
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let _ =
            writeln!(out, "Shiftgate connection test: {} (sslmode={})", self.target, self.sslmode);
        for s in &self.steps {
            let detail =
                if s.detail.is_empty() { String::new() } else { format!("  {}", s.detail) };
            let _ = writeln!(
                out,
                "  {} {:<28} {:>6} ms{}",
                s.status.symbol(),
                s.kind.label(),
                s.elapsed_ms,
                detail
            );
        }
        if let Some(t) = &self.tls {
            let _ = writeln!(out, "TLS: {} {}", t.protocol, t.cipher);
            let _ = writeln!(out, "  certificate subject: {}", t.subject);
            let _ = writeln!(out, "  issuer: {}   expires: {}", t.issuer, t.not_after);
            let verified = match (t.verified_chain, t.verified_host) {
                (true, true) => {
                    format!("chain and host name verified against {}", t.verified_against)
                }
                (true, false) => {
                    format!("chain verified against {} (host name not checked)", t.verified_against)
                }
                _ => "NOT verified (encrypted only)".to_string(),
            };
            let _ = writeln!(out, "  {verified}");
        }
        if let Some(i) = &self.iam {
            let cached = if i.cached { " (cached)" } else { "" };
            let _ = writeln!(out, "IAM: {} as {}{cached}", i.api, i.db_user);
            let _ = writeln!(out, "  AWS account {}, {}", i.account, i.arn);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let _ = writeln!(
                out,
                "  temporary password {} (Unix time {})",
                i.countdown(now),
                i.expires_at_unix
            );
        }
        if let Some(sv) = &self.server {
            let _ = writeln!(out, "Server: {}", sv.product_line());
            let _ = writeln!(out, "  version(): {}", sv.version_string);
            let _ = writeln!(out, "  user {} on database {}", sv.current_user, sv.current_database);
            if let Some(m) = &sv.auth_method {
                let _ = writeln!(out, "  authentication: {m}");
            }
        }
        if let Some(d) = &self.diagnosis {
            let _ = writeln!(out, "FAILED: {}", d.summary);
            let _ = writeln!(out, "  hint: {}", d.hint);
            if let Some(t) = &d.server_text {
                let _ = writeln!(out, "  server said: {t}");
            }
        } else if self.succeeded() {
            let _ = writeln!(out, "OK in {} ms", self.total_ms);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn iam_countdown_counts_down_then_says_how_long_ago() {
        let i = IamInfo { expires_at_unix: 10_000, ..Default::default() };
        assert_eq!(i.countdown(10_000 - 899), "expires in 14m 59s");
        assert_eq!(i.countdown(10_000 - 3_600), "expires in 1h 00m 00s");
        assert_eq!(i.countdown(10_000 - 5), "expires in 5s");
        assert_eq!(i.countdown(10_000 + 123), "expired 2m 03s ago");
    }

    use super::*;

    #[test]
    fn redshift_version_is_parsed() {
        let v = "PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0.12103";
        let mut s = ServerInfo { version_string: v.into(), ..Default::default() };
        s.detect();
        assert!(s.is_redshift);
        assert_eq!(s.redshift_version.as_deref(), Some("1.0.12103"));
        assert_eq!(s.product_line(), "Amazon Redshift 1.0.12103");
    }

    #[test]
    fn postgres_version_is_parsed() {
        let mut s = ServerInfo {
            version_string:
                "PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc"
                    .into(),
            ..Default::default()
        };
        s.detect();
        assert!(!s.is_redshift);
        assert_eq!(s.postgres_version.as_deref(), Some("15.18"));
    }

    #[test]
    fn upsert_replaces_running_step() {
        let mut r = Report::default();
        r.upsert_step(Step {
            kind: StepKind::Tcp,
            status: StepStatus::Running,
            elapsed_ms: 0,
            detail: String::new(),
        });
        r.upsert_step(Step {
            kind: StepKind::Tcp,
            status: StepStatus::Ok,
            elapsed_ms: 3,
            detail: "127.0.0.1:5432".into(),
        });
        assert_eq!(r.steps.len(), 1);
        assert_eq!(r.steps[0].status, StepStatus::Ok);
        assert!(r.succeeded());
        assert!(r.render_text().contains("✓ TCP connect"));
    }
}
