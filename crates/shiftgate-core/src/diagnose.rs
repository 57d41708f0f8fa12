//! Failure diagnosis: turn what went wrong at a stage (SQLSTATE, server text, I/O kind, TLS error)
//! into a cause a person understands and one line saying what to do next.
//!
//! Pure: the network layer describes a failure as [`FailureFacts`]; this module never sees a socket.

use crate::profile::{Engine, SslMode};
use crate::report::StepKind;
use serde::{Deserialize, Serialize};

/// Broad kind of an I/O failure, independent of the runtime that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IoKind {
    NotFound,
    Refused,
    Reset,
    TimedOut,
    Unreachable,
    Other,
}

/// What went wrong with certificate checking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsProblem {
    /// The chain does not lead to a trusted root (or a CA file could not be used).
    UntrustedCertificate,
    /// The chain is fine but the certificate is for other names.
    HostnameMismatch {
        names: Vec<String>,
    },
    Expired,
    /// The server answered 'N' to SSLRequest while the sslmode requires TLS.
    ServerRefusedTls,
    /// The CA file could not be read or holds no certificate.
    CaFile {
        path: String,
        reason: String,
    },
    Other,
}

/// What went wrong in an SSH tunnel (one hop of it, or the channel to the database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum SshProblem {
    /// The hop itself could not be reached (TCP to it, or a channel to it through the previous hop).
    HopUnreachable {
        hop_host: String,
        hop_port: u16,
        io: Option<IoKind>,
        timed_out: bool,
        through: Option<String>,
    },
    /// The server's host key is in no known_hosts file and nobody confirmed it.
    HostKeyUnknown { hop_host: String, hop_port: u16, key_type: String, fingerprint: String },
    /// The server presented a different key than the one recorded (possible man-in-the-middle).
    HostKeyChanged {
        hop_host: String,
        hop_port: u16,
        key_type: String,
        fingerprint: String,
        recorded_at: String,
        recorded_fingerprint: String,
    },
    /// Every method tried was rejected. `allowed` is what the server said may continue.
    AuthRejected { hop_host: String, user: String, tried: Vec<String>, allowed: Vec<String> },
    /// The key file is encrypted and the passphrase is missing (`missing`) or wrong.
    KeyPassphrase { path: String, missing: bool },
    /// The key file could not be read or parsed.
    KeyUnreadable { path: String, reason: String },
    /// No agent could be reached, or it holds no keys.
    AgentUnavailable { reason: String },
    /// The `~/.ssh/config` alias could not be used.
    ConfigUnusable { reason: String },
    /// The server refused to forward (`AllowTcpForwarding no`, `PermitOpen`): administratively prohibited.
    ForwardingRefused { hop_host: String, target: String },
    /// The last hop could not connect to the target (connection refused, no route, DNS on the bastion).
    TargetUnreachable { hop_host: String, target: String, reason: String },
}

/// What went wrong getting IAM credentials from AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AwsProblem {
    /// No source of the credential chain had credentials; `tried` names them in order.
    NoCredentials { tried: Vec<String>, detail: String },
    /// The AWS profile's SSO session has expired (or was never started).
    SsoExpired { profile: String },
    /// The credentials were refused (expired session token, unknown key, bad signature).
    CredentialsRejected { code: String },
    /// The identity may not call `action` on `resource`.
    AccessDenied { action: String, resource: String, identity: String },
    /// No cluster with this identifier in the region.
    ClusterNotFound { cluster: String, region: String, host_region: Option<String> },
    /// No serverless workgroup with this name in the region.
    WorkgroupNotFound { workgroup: String, region: String, host_region: Option<String> },
    /// The region has no endpoint (misspelt region) or the endpoint could not be reached.
    Unreachable { endpoint: String, region: String },
    /// AWS refused a parameter (`InvalidParameterValue`, …).
    Other { code: String },
}

/// Everything known about one failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FailureFacts {
    pub stage: Option<StepKind>,
    pub sqlstate: Option<String>,
    /// The server's exact words (ErrorResponse message), if it said something.
    pub server_message: Option<String>,
    pub io_kind: Option<IoKind>,
    pub tls: Option<TlsProblem>,
    /// Set when the failure happened in the SSH tunnel.
    #[serde(default)]
    pub ssh: Option<SshProblem>,
    /// Set when the failure happened getting IAM credentials.
    #[serde(default)]
    pub aws: Option<AwsProblem>,
    /// The client library's own text for the error.
    pub text: String,
    pub timed_out: bool,
    pub cancelled: bool,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub engine: Option<Engine>,
    pub sslmode: Option<SslMode>,
    pub timeout_secs: u32,
}

/// Classified cause of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    DnsFailure,
    Refused,
    Timeout,
    NetworkUnreachable,
    ConnectionReset,
    ServerRequiresTls,
    ServerDoesNotOfferTls,
    CertificateUntrusted,
    HostnameMismatch,
    CertificateExpired,
    CaFileUnusable,
    WrongPassword,
    UnknownDatabase,
    UnknownUser,
    Sha256Password,
    UnsupportedAuth,
    TooManyConnections,
    ServerShuttingDown,
    PermissionDenied,
    UnrecognizedStartupParameter,
    Cancelled,
    SshHostKeyUnknown,
    SshHostKeyChanged,
    SshAuthRejected,
    SshKeyPassphrase,
    SshForwardingRefused,
    SshTargetUnreachable,
    SshKeyUnreadable,
    SshAgentUnavailable,
    SshConfigUnusable,
    /// IAM: no AWS credentials found by the credential chain.
    AwsNoCredentials,
    /// IAM: the AWS SSO session has expired.
    AwsSsoExpired,
    /// IAM: AWS refused the credentials themselves.
    AwsCredentialsRejected,
    /// IAM: the identity lacks a permission.
    AwsAccessDenied,
    /// IAM: no such cluster or workgroup in the region.
    ClusterNotFound,
    /// IAM: the cluster exists under another region than the one set.
    AwsWrongRegion,
    /// 2BP01: other objects (privileges, default privileges, members) still depend on it.
    DependentObjects,
    /// 42704: the named user, group, role or object does not exist.
    ObjectMissing,
    /// 3F000: the named schema does not exist.
    SchemaMissing,
    /// 25001: the statement can't run inside a transaction block.
    NotInTransaction,
    /// 55006: the user or group still owns objects or holds privileges (Redshift DROP).
    StillInUse,
    Other,
}

/// A cause with a summary, a hint and the server's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub cause: Cause,
    /// What happened, in plain words.
    pub summary: String,
    /// What to do next, one line.
    pub hint: String,
    /// Exact server (or library) text, quoted so users can search for it.
    pub server_text: Option<String>,
}

fn is_redshift_host(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h.contains(".redshift.amazonaws.com") || h.contains(".redshift-serverless.amazonaws.com")
}

/// Classify a failure.
pub fn diagnose(f: &FailureFacts) -> Diagnosis {
    let server_text = f
        .server_message
        .clone()
        .or_else(|| if f.text.is_empty() { None } else { Some(f.text.clone()) });
    let msg = f.server_message.as_deref().unwrap_or(&f.text);
    let lower_all = format!("{} {}", msg, f.text).to_ascii_lowercase();
    let redshift = f.engine == Some(Engine::Redshift) || is_redshift_host(&f.host);
    let target = format!("{}:{}", f.host, f.port);
    let mk = |cause: Cause, summary: String, hint: String| Diagnosis {
        cause,
        summary,
        hint,
        server_text: server_text.clone(),
    };

    if f.cancelled {
        return mk(
            Cause::Cancelled,
            "Cancelled before it finished.".into(),
            "Run the test again when ready.".into(),
        );
    }

    if let Some(problem) = &f.ssh {
        return diagnose_ssh(problem, f, mk);
    }
    if let Some(problem) = &f.aws {
        return diagnose_aws(problem, mk);
    }

    // SQLSTATE first: it is the most reliable signal (redshift.md §4.3).
    if let Some(state) = f.sqlstate.as_deref() {
        let script = f.stage == Some(StepKind::Query);
        if let Some(d) = statement_failure(state, msg, redshift, script, &mk) {
            return d;
        }
        match state {
            "28P01" => return wrong_password(f, mk),
            "28000" => {
                if lower_all.contains("no pg_hba.conf entry")
                    || lower_all.contains("pg_hba.conf rejects")
                {
                    if lower_all.contains("ssl off") || lower_all.contains("no encryption") {
                        return mk(
                            Cause::ServerRequiresTls,
                            "The server only accepts encrypted connections, and this one was not encrypted.".into(),
                            if redshift {
                                "Set sslmode to verify-full (or require); the cluster has require_ssl on and pg_hba can't be edited on Redshift.".into()
                            } else {
                                "Set sslmode to require or stronger; the server's pg_hba.conf allows this user only over TLS (hostssl)."
                                    .into()
                            },
                        );
                    }
                    return mk(
                        Cause::PermissionDenied,
                        format!(
                            "The server has no pg_hba.conf rule letting user \"{}\" reach database \"{}\" from this address.",
                            f.user, f.database
                        ),
                        "Ask the server's administrator to add a host/hostssl rule for this client address, user and database.".into(),
                    );
                }
                if lower_all.contains("password authentication failed") {
                    return wrong_password(f, mk);
                }
                return mk(
                    Cause::WrongPassword,
                    format!("The server refused to log in user \"{}\".", f.user),
                    "Check the user name (case matters for quoted names), the password, and that the user may log in.".into(),
                );
            }
            "3D000" => {
                let hint = if redshift {
                    "Check the database name; the Redshift default is \"dev\". Datashare consumer databases can't be connected to directly — connect to \"dev\" and use three-part names.".to_string()
                } else {
                    "Check the database name; list databases with `psql -l` or connect to \"postgres\".".to_string()
                };
                return mk(
                    Cause::UnknownDatabase,
                    format!("Database \"{}\" does not exist on {target}.", f.database),
                    hint,
                );
            }
            "53300" => {
                return mk(
                    Cause::TooManyConnections,
                    "The server (or this user's CONNECTION LIMIT) has no free connection slots.".into(),
                    "Close idle sessions (Redshift: STV_SESSIONS; PostgreSQL: pg_stat_activity) or raise the user's CONNECTION LIMIT, then retry.".into(),
                );
            }
            "57P01" | "57P02" | "57P03" => {
                let summary = if state == "57P03" {
                    "The server is starting up or shutting down and is not accepting connections."
                        .to_string()
                } else {
                    "The server is shutting down (or an administrator ended the session)."
                        .to_string()
                };
                return mk(
                    Cause::ServerShuttingDown,
                    summary,
                    "Wait for the server (or cluster maintenance/resize) to finish, then retry."
                        .into(),
                );
            }
            "42704" if lower_all.contains("unrecognized configuration parameter") => {
                return mk(
                    Cause::UnrecognizedStartupParameter,
                    "The server rejected a startup parameter.".into(),
                    "Clear the profile's application name and retry; some servers refuse unknown startup parameters.".into(),
                );
            }
            "42501" => {
                return mk(
                    Cause::PermissionDenied,
                    "Permission denied.".into(),
                    "The user lacks a privilege for this statement (USAGE on the schema or SELECT on the table); run Verify for the fix SQL.".into(),
                );
            }
            "57014" => {
                return mk(
                    Cause::Cancelled,
                    "The query was cancelled.".into(),
                    "Run it again when ready.".into(),
                );
            }
            _ => {}
        }
    }

    if lower_all.contains("authentication tag `13`")
        || lower_all.contains("authentication tag 13")
        || lower_all.contains("authentication method 13")
        || lower_all.contains("authentication request 13")
    {
        return mk(
            Cause::Sha256Password,
            format!("The server asked for Redshift's SHA-256 digest login (auth code 13) for user \"{}\", which standard PostgreSQL clients can't do.", f.user),
            "The password is stored as SHA-256: reset it as plain text (ALTER USER … PASSWORD '<plain>'), which Redshift stores as MD5, or use IAM temporary credentials.".into(),
        );
    }
    if lower_all.contains("unknown authentication tag")
        || lower_all.contains("unsupported authentication")
    {
        return mk(
            Cause::UnsupportedAuth,
            "The server asked for an authentication method this client does not support.".into(),
            "Use password (md5 or SCRAM) authentication for this user.".into(),
        );
    }

    if let Some(tls) = &f.tls {
        return match tls {
            TlsProblem::ServerRefusedTls => mk(
                Cause::ServerDoesNotOfferTls,
                format!("The server at {target} does not offer TLS, and sslmode={} requires it.", f.sslmode.map(|m| m.as_str()).unwrap_or("require")),
                "Enable ssl on the server, or (only on a trusted network) choose sslmode prefer or disable.".into(),
            ),
            TlsProblem::UntrustedCertificate => mk(
                Cause::CertificateUntrusted,
                "The server's certificate is not signed by a trusted certificate authority.".into(),
                if redshift {
                    "Pick the AWS CA bundle (amazon-trust-ca-bundle.crt) as CA file, or check for a proxy intercepting TLS.".into()
                } else {
                    "Pick the CA file that signed the server certificate (the server's root.crt), or use sslmode require to encrypt without verifying.".into()
                },
            ),
            TlsProblem::HostnameMismatch { names } => mk(
                Cause::HostnameMismatch,
                format!(
                    "The certificate is valid but is not for \"{}\"{}.",
                    f.host,
                    if names.is_empty() { String::new() } else { format!(" (it names {})", names.join(", ")) }
                ),
                "If you connect through a CNAME, VPC endpoint or tunnel, use sslmode verify-ca; otherwise connect with a host name the certificate lists.".into(),
            ),
            TlsProblem::Expired => mk(
                Cause::CertificateExpired,
                "The server's certificate has expired (or is not yet valid).".into(),
                "Renew the server certificate, or check this computer's clock.".into(),
            ),
            TlsProblem::CaFile { path, reason } => mk(
                Cause::CaFileUnusable,
                format!("The CA file {path} could not be used: {reason}."),
                "Pick a PEM file holding one or more CA certificates (-----BEGIN CERTIFICATE-----).".into(),
            ),
            TlsProblem::Other => mk(
                Cause::Other,
                "The TLS handshake failed.".into(),
                "Check that the port is a PostgreSQL/Redshift port and that no proxy interferes; the library's words are below.".into(),
            ),
        };
    }

    if f.timed_out || f.io_kind == Some(IoKind::TimedOut) {
        let stage = f.stage.as_ref().map(|s| s.label()).unwrap_or_else(|| "connecting".into());
        let hint = if redshift {
            "Likely a network path problem: the VPC security group must allow inbound TCP on the port from your IP, the cluster must be publicly accessible (or use an SSH bastion / VPN / VPC endpoint).".to_string()
        } else if matches!(f.stage, Some(StepKind::Tcp) | None) {
            "A firewall may be dropping packets, or the host is down; check the host, port and any security group or VPN.".to_string()
        } else {
            "The server accepted the connection but did not answer; check that this port is really PostgreSQL and the server is not overloaded.".to_string()
        };
        return mk(
            Cause::Timeout,
            format!("No answer within {} s at stage \"{stage}\" ({target}).", f.timeout_secs),
            hint,
        );
    }

    if let Some(kind) = f.io_kind {
        match kind {
            IoKind::NotFound => {
                return mk(
                    Cause::DnsFailure,
                    format!("The host name \"{}\" could not be resolved.", f.host),
                    if redshift {
                        "Copy the endpoint again from the Redshift console (without :port/db) and check your DNS/VPN; private endpoints only resolve inside the VPC.".into()
                    } else {
                        "Check the spelling of the host and your DNS or VPN settings.".into()
                    },
                );
            }
            IoKind::Refused => {
                return mk(
                    Cause::Refused,
                    format!("{target} refused the connection: nothing is listening on that port."),
                    if redshift {
                        "Check the port (Redshift default 5439) and that the cluster is available (not paused or resizing).".into()
                    } else {
                        "Check the port (PostgreSQL default 5432), that the server runs and listens on this address (listen_addresses)."
                            .into()
                    },
                );
            }
            IoKind::Reset => {
                return mk(
                    Cause::ConnectionReset,
                    "The server closed the connection unexpectedly.".into(),
                    "The port may belong to another service, or a proxy/firewall cut the connection; check the port and any TLS-inspecting proxy.".into(),
                );
            }
            IoKind::Unreachable => {
                return mk(
                    Cause::NetworkUnreachable,
                    format!("No network route to {target}."),
                    "Check your network/VPN; for a private cluster connect through a bastion (SSH tunnel).".into(),
                );
            }
            IoKind::Other | IoKind::TimedOut => {}
        }
    }

    if lower_all.contains("password authentication failed") {
        return wrong_password(f, mk);
    }
    if lower_all.contains("does not exist") && lower_all.contains("database") {
        return mk(
            Cause::UnknownDatabase,
            format!("Database \"{}\" does not exist.", f.database),
            "Check the database name.".into(),
        );
    }
    if lower_all.contains("too many connections") || lower_all.contains("connection limit") {
        return mk(
            Cause::TooManyConnections,
            "No free connection slots.".into(),
            "Close idle sessions or raise the connection limit.".into(),
        );
    }
    if lower_all.contains("shutting down") {
        return mk(
            Cause::ServerShuttingDown,
            "The server is shutting down.".into(),
            "Wait and retry.".into(),
        );
    }
    if lower_all.contains("password missing") || lower_all.contains("password not provided") {
        return mk(
            Cause::WrongPassword,
            "The server asked for a password and none was given.".into(),
            "Enter the password (or save it in the keychain) and retry.".into(),
        );
    }

    mk(
        Cause::Other,
        format!(
            "The connection failed at stage \"{}\".",
            f.stage.as_ref().map(|s| s.label()).unwrap_or_else(|| "connect".into())
        ),
        "See the exact text below; check host, port, sslmode and credentials.".into(),
    )
}

/// A failed setup / teardown / cleanup statement (SQLSTATEs a connection never produces), with
/// what to do. 42501 is handled here only when the words are not about a relation or schema read.
fn statement_failure(
    state: &str,
    msg: &str,
    redshift: bool,
    script: bool,
    mk: &impl Fn(Cause, String, String) -> Diagnosis,
) -> Option<Diagnosis> {
    let lower = msg.to_ascii_lowercase();
    Some(match state {
        "2BP01" => mk(
            Cause::DependentObjects,
            format!("The drop was refused because other objects still depend on it: {msg}."),
            "Revoke what still names it (the objects are listed below, read from the catalog) — or run Teardown, which reads pg_default_acl and every grant — then drop again. Nothing was changed: the transaction was rolled back.".into(),
        ),
        "55006" => mk(
            Cause::StillInUse,
            format!("The user or group still owns objects or holds privileges: {msg}."),
            if redshift {
                "Revoke its privileges in every database first (Redshift checks only the current one), and transfer ownership (ALTER TABLE … OWNER TO) of what it owns; then drop again.".into()
            } else {
                "Revoke its privileges and reassign what it owns (REASSIGN OWNED BY … TO …), then drop again.".into()
            },
        ),
        "42704" if !lower.contains("unrecognized configuration parameter") => mk(
            Cause::ObjectMissing,
            format!("A user, group, role or object named in the statement does not exist: {msg}."),
            "Discover again: it was dropped or renamed since the script was generated (Redshift folds unquoted-case names to lower case unless enable_case_sensitive_identifier is on).".into(),
        ),
        "3F000" => mk(
            Cause::SchemaMissing,
            format!("The schema named in the statement does not exist in this database: {msg}."),
            "Check that the script runs in the database that holds the schema (privileges are per database), or drop the schema from the plan and generate it again.".into(),
        ),
        "25001" => mk(
            Cause::NotInTransaction,
            format!("The statement can't run inside a transaction block: {msg}."),
            "Run it on its own outside BEGIN … COMMIT (Redshift: GRANT / REVOKE on external schemas and datashare databases); Shiftgate marks such statements, so regenerate the script.".into(),
        ),
        "42501" if script => mk(
            Cause::PermissionDenied,
            format!("Permission denied while running the script: {msg}."),
            "Run setup and teardown as a superuser (ALTER DEFAULT PRIVILEGES FOR USER and CREATE USER need one); if the words name a schema, the FOR USER owner may lack CREATE on it — Discover again, setup then skips such owners.".into(),
        ),
        _ => return None,
    })
}

/// Appends the objects that still depend on a dropped user / group / role to a 2BP01 or 55006
/// diagnosis (read from the catalog after the failure).
pub fn with_dependents(mut d: Diagnosis, dependents: &[String]) -> Diagnosis {
    if dependents.is_empty() {
        return d;
    }
    let shown: Vec<&str> = dependents.iter().take(20).map(String::as_str).collect();
    let more = dependents.len().saturating_sub(shown.len());
    d.summary.push_str(&format!(" Still depending on it: {}", shown.join("; ")));
    if more > 0 {
        d.summary.push_str(&format!(" and {more} more"));
    }
    d.summary.push('.');
    d
}

fn diagnose_aws(p: &AwsProblem, mk: impl Fn(Cause, String, String) -> Diagnosis) -> Diagnosis {
    let wrong_region = |what: &str, region: &str, host_region: &Option<String>| {
        host_region.as_ref().filter(|h| *h != region).map(|h| {
            mk(
                Cause::AwsWrongRegion,
                format!("No {what} in region {region}; the host name says region {h}."),
                format!("Set the profile's IAM region to {h} (CLI: --region {h})."),
            )
        })
    };
    match p {
        AwsProblem::NoCredentials { tried, detail } => {
            let mut summary = format!("No AWS credentials found. Tried: {}.", tried.join("; "));
            if !detail.is_empty() {
                summary.push_str(&format!(" ({detail})"));
            }
            mk(
                Cause::AwsNoCredentials,
                summary,
                "Run `aws configure` or `aws configure sso`, set AWS_PROFILE or the profile's AWS profile (CLI: --aws-profile), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.".into(),
            )
        }
        AwsProblem::SsoExpired { profile } => mk(
            Cause::AwsSsoExpired,
            format!("The AWS SSO session of profile \"{profile}\" has expired."),
            format!("Run `aws sso login --profile {profile}`, then test again."),
        ),
        AwsProblem::CredentialsRejected { code } => mk(
            Cause::AwsCredentialsRejected,
            format!("AWS refused the credentials ({code})."),
            "Refresh them: a new session token, `aws sso login`, or check the access key in ~/.aws/credentials.".into(),
        ),
        AwsProblem::AccessDenied { action, resource, identity } => {
            let who = if identity.is_empty() { "Your AWS identity".to_string() } else { identity.clone() };
            mk(
                Cause::AwsAccessDenied,
                format!("{who} may not call {action} on {resource}."),
                format!("Add an IAM policy statement allowing \"{action}\" on \"{resource}\" to that identity (Setup can print the policy)."),
            )
        }
        AwsProblem::ClusterNotFound { cluster, region, host_region } => {
            wrong_region(&format!("cluster \"{cluster}\""), region, host_region).unwrap_or_else(|| {
                mk(
                    Cause::ClusterNotFound,
                    format!("There is no Redshift cluster \"{cluster}\" in region {region} for this AWS account."),
                    "Check the cluster identifier (the first label of its endpoint), the region and the AWS account (profile).".into(),
                )
            })
        }
        AwsProblem::WorkgroupNotFound { workgroup, region, host_region } => {
            wrong_region(&format!("workgroup \"{workgroup}\""), region, host_region).unwrap_or_else(|| {
                mk(
                    Cause::ClusterNotFound,
                    format!("There is no Redshift Serverless workgroup \"{workgroup}\" in region {region} for this AWS account."),
                    "Check the workgroup name, the region and the AWS account (profile).".into(),
                )
            })
        }
        AwsProblem::Unreachable { endpoint, region } => mk(
            Cause::AwsWrongRegion,
            format!("The AWS endpoint {endpoint} for region \"{region}\" could not be reached."),
            "Check the region's spelling (us-east-1) and your network or proxy; AWS_ENDPOINT_URL_* override the endpoint.".into(),
        ),
        AwsProblem::Other { code } => mk(
            Cause::Other,
            format!("AWS refused the request ({code})."),
            "Check the IAM settings of the profile against the AWS error below.".into(),
        ),
    }
}

fn diagnose_ssh(
    p: &SshProblem,
    f: &FailureFacts,
    mk: impl Fn(Cause, String, String) -> Diagnosis,
) -> Diagnosis {
    match p {
        SshProblem::HopUnreachable { hop_host, hop_port, io, timed_out, through } => {
            let at = format!("{hop_host}:{hop_port}");
            let via = through.as_ref().map(|t| format!(" (through {t})")).unwrap_or_default();
            if *timed_out || *io == Some(IoKind::TimedOut) {
                return mk(
                    Cause::Timeout,
                    format!("The SSH server {at}{via} did not answer within {} s.", f.timeout_secs),
                    "Check the SSH host and port, and that a firewall or security group lets you reach port 22 (or the port set) on it.".into(),
                );
            }
            match io {
                Some(IoKind::NotFound) => mk(
                    Cause::DnsFailure,
                    format!("The SSH host name \"{hop_host}\"{via} could not be resolved."),
                    "Check the spelling of the SSH host and your DNS or VPN settings.".into(),
                ),
                Some(IoKind::Refused) => mk(
                    Cause::Refused,
                    format!("{at}{via} refused the connection: no SSH server listens there."),
                    "Check the SSH port (default 22) and that sshd runs on that host.".into(),
                ),
                Some(IoKind::Unreachable) => mk(
                    Cause::NetworkUnreachable,
                    format!("No network route to the SSH server {at}{via}."),
                    "Check your network or VPN.".into(),
                ),
                _ => mk(
                    Cause::ConnectionReset,
                    format!("The connection to the SSH server {at}{via} failed before SSH was established."),
                    "Check that the port belongs to an SSH server (the exact text is below).".into(),
                ),
            }
        }
        SshProblem::HostKeyUnknown { hop_host, hop_port, key_type, fingerprint } => mk(
            Cause::SshHostKeyUnknown,
            format!("The SSH server {hop_host}:{hop_port} is not known yet; its {key_type} key is {fingerprint}. It was not trusted because nobody confirmed it."),
            "Compare the fingerprint with the server's (ask its administrator: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then accept it when asked (CLI: --accept-new-host-key).".into(),
        ),
        SshProblem::HostKeyChanged { hop_host, hop_port, key_type, fingerprint, recorded_at, recorded_fingerprint } => mk(
            Cause::SshHostKeyChanged,
            format!(
                "WARNING: the SSH server {hop_host}:{hop_port} presented a DIFFERENT {key_type} host key ({fingerprint}) than the one recorded in {recorded_at} ({recorded_fingerprint}). Someone may be intercepting the connection (man-in-the-middle), or the server was reinstalled. The connection was refused."
            ),
            format!("Ask the server's administrator whether its host key changed. Only if it did, delete the old entry ({recorded_at}) and connect again to review the new key."),
        ),
        SshProblem::AuthRejected { hop_host, user, tried, allowed } => {
            let allowed_text = if allowed.is_empty() { "none it would name".to_string() } else { allowed.join(", ") };
            let mut hint = format!("The server accepts: {allowed_text}. ");
            if !allowed.iter().any(|m| m == "password") && tried.iter().any(|t| t.starts_with("password")) {
                hint.push_str("Password login is off on this server: use a key or the agent.");
            } else if !allowed.iter().any(|m| m == "publickey") && tried.iter().any(|t| !t.starts_with("password")) {
                hint.push_str("Key login is off on this server: use a password.");
            } else {
                hint.push_str(&format!("Check the SSH user name (\"{user}\"), and that the public key is in ~{user}/.ssh/authorized_keys on the server (or the password)."));
            }
            mk(
                Cause::SshAuthRejected,
                format!("The SSH server {hop_host} rejected user \"{user}\" (tried: {}).", if tried.is_empty() { "nothing".to_string() } else { tried.join(", ") }),
                hint,
            )
        }
        SshProblem::KeyPassphrase { path, missing } => mk(
            Cause::SshKeyPassphrase,
            if *missing {
                format!("The SSH key {path} is encrypted and no passphrase was given.")
            } else {
                format!("The passphrase for the SSH key {path} is wrong.")
            },
            "Enter the key's passphrase (the one set with ssh-keygen) and retry.".into(),
        ),
        SshProblem::KeyUnreadable { path, reason } => mk(
            Cause::SshKeyUnreadable,
            format!("The SSH key {path} could not be used: {reason}."),
            "Pick the private key file (not the .pub); OpenSSH, PEM and PKCS#8 keys (ed25519, ECDSA, RSA) work.".into(),
        ),
        SshProblem::AgentUnavailable { reason } => mk(
            Cause::SshAgentUnavailable,
            format!("The SSH agent could not be used: {reason}."),
            "Start an agent and add your key (ssh-add), check SSH_AUTH_SOCK, or choose a key file instead.".into(),
        ),
        SshProblem::ConfigUnusable { reason } => mk(
            Cause::SshConfigUnusable,
            format!("The SSH config alias could not be used: {reason}."),
            "Fix the ~/.ssh/config entry, or clear the alias and enter the SSH host, port, user and key in the profile.".into(),
        ),
        SshProblem::ForwardingRefused { hop_host, target } => mk(
            Cause::SshForwardingRefused,
            format!("The SSH server {hop_host} refused to forward a connection to {target} (administratively prohibited)."),
            "The server has TCP forwarding turned off for this user: ask its administrator for AllowTcpForwarding yes (or local), and PermitOpen allowing this target.".into(),
        ),
        SshProblem::TargetUnreachable { hop_host, target, reason } => mk(
            Cause::SshTargetUnreachable,
            format!("The SSH server {hop_host} could not connect to {target} ({reason})."),
            "The tunnel works, but the bastion can't reach the target: check the host and port as seen from the bastion (private DNS name or IP), and the target's security group allows the bastion.".into(),
        ),
    }
}

fn wrong_password(f: &FailureFacts, mk: impl Fn(Cause, String, String) -> Diagnosis) -> Diagnosis {
    mk(
        Cause::WrongPassword,
        format!("Wrong password for user \"{}\" (or the user does not exist / may not log in).", f.user),
        "Re-enter the password; check the user name's case, an expired VALID UNTIL, or a password DISABLEd for IAM-only users.".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> FailureFacts {
        FailureFacts {
            host: "db.example.com".into(),
            port: 5432,
            database: "app".into(),
            user: "bob".into(),
            timeout_secs: 10,
            ..Default::default()
        }
    }

    #[test]
    fn sqlstate_classes() {
        let cases = [
            ("28P01", "password authentication failed for user \"bob\"", Cause::WrongPassword),
            ("28000", "password authentication failed for user \"bob\"", Cause::WrongPassword),
            (
                "28000",
                "no pg_hba.conf entry for host \"1.2.3.4\", user \"bob\", database \"app\", SSL off",
                Cause::ServerRequiresTls,
            ),
            (
                "28000",
                "no pg_hba.conf entry for host \"127.0.0.1\", user \"bob\", database \"app\", no encryption",
                Cause::ServerRequiresTls,
            ),
            ("3D000", "database \"app\" does not exist", Cause::UnknownDatabase),
            ("53300", "sorry, too many clients already", Cause::TooManyConnections),
            ("57P03", "the database system is shutting down", Cause::ServerShuttingDown),
        ];
        for (state, msg, cause) in cases {
            let mut f = facts();
            f.sqlstate = Some(state.into());
            f.server_message = Some(msg.into());
            let d = diagnose(&f);
            assert_eq!(d.cause, cause, "{state} {msg}");
            assert_eq!(d.server_text.as_deref(), Some(msg), "hint cites the server text");
        }
    }

    #[test]
    fn script_statement_sqlstates_each_get_their_own_diagnosis() {
        let cases = [
            (
                "2BP01",
                "role \"g\" cannot be dropped because some objects depend on it",
                Cause::DependentObjects,
                "Revoke what still names it",
            ),
            (
                "55006",
                "user \"u\" can't be dropped because the user owns some object",
                Cause::StillInUse,
                "every database",
            ),
            ("42704", "role \"nobody\" does not exist", Cause::ObjectMissing, "Discover again"),
            (
                "3F000",
                "schema \"nope\" does not exist",
                Cause::SchemaMissing,
                "database that holds the schema",
            ),
            (
                "25001",
                "GRANT on external resources can't run inside a transaction block",
                Cause::NotInTransaction,
                "outside BEGIN",
            ),
            (
                "42501",
                "must be superuser to alter default privileges",
                Cause::PermissionDenied,
                "superuser",
            ),
        ];
        for (state, msg, cause, hint) in cases {
            let mut f = facts();
            f.engine = Some(Engine::Redshift);
            f.stage = Some(StepKind::Query);
            f.sqlstate = Some(state.into());
            f.server_message = Some(msg.into());
            let d = diagnose(&f);
            assert_eq!(d.cause, cause, "{state}");
            assert!(d.summary.contains(msg), "{state}: server words in the summary: {d:?}");
            assert!(d.hint.contains(hint), "{state}: {d:?}");
            assert!(!d.summary.contains("connection failed"), "{d:?}");
        }
        let mut f = facts();
        f.sqlstate = Some("42501".into());
        f.server_message = Some("permission denied for relation t".into());
        assert!(diagnose(&f).hint.contains("run Verify"), "reads keep the verify hint");
        let d = with_dependents(
            diagnose(&FailureFacts { sqlstate: Some("2BP01".into()), ..facts() }),
            &["USAGE on schema sales".into()],
        );
        assert!(d.summary.contains("USAGE on schema sales"), "{d:?}");
    }

    #[test]
    fn redshift_unknown_database_mentions_dev() {
        let mut f = facts();
        f.engine = Some(Engine::Redshift);
        f.sqlstate = Some("3D000".into());
        assert!(diagnose(&f).hint.contains("\"dev\""));
    }

    #[test]
    fn auth_13_is_sha256() {
        let mut f = facts();
        f.text = "unknown authentication tag `13`".into();
        let d = diagnose(&f);
        assert_eq!(d.cause, Cause::Sha256Password);
        assert!(d.hint.contains("plain text"));
    }

    #[test]
    fn io_kinds() {
        for (k, c) in [
            (IoKind::NotFound, Cause::DnsFailure),
            (IoKind::Refused, Cause::Refused),
            (IoKind::TimedOut, Cause::Timeout),
        ] {
            let mut f = facts();
            f.io_kind = Some(k);
            assert_eq!(diagnose(&f).cause, c);
        }
    }

    #[test]
    fn redshift_timeout_hints_security_group() {
        let mut f = facts();
        f.host = "c.abc.us-west-2.redshift.amazonaws.com".into();
        f.timed_out = true;
        f.stage = Some(StepKind::Tcp);
        let d = diagnose(&f);
        assert_eq!(d.cause, Cause::Timeout);
        assert!(d.hint.contains("security group"));
    }

    #[test]
    fn tls_problems() {
        let mut f = facts();
        f.tls = Some(TlsProblem::HostnameMismatch { names: vec!["localhost".into()] });
        let d = diagnose(&f);
        assert_eq!(d.cause, Cause::HostnameMismatch);
        assert!(d.hint.contains("verify-ca"));
        f.tls = Some(TlsProblem::ServerRefusedTls);
        f.sslmode = Some(SslMode::VerifyFull);
        assert!(diagnose(&f).summary.contains("verify-full"));
        f.tls = Some(TlsProblem::UntrustedCertificate);
        assert_eq!(diagnose(&f).cause, Cause::CertificateUntrusted);
    }

    #[test]
    fn aws_problems_name_what_to_do() {
        let d = |p: AwsProblem| diagnose(&FailureFacts { aws: Some(p), ..Default::default() });
        let x = d(AwsProblem::NoCredentials {
            tried: vec!["environment variables".into(), "EC2 instance metadata (IMDS)".into()],
            detail: String::new(),
        });
        assert_eq!(x.cause, Cause::AwsNoCredentials);
        assert!(
            x.summary.contains("Tried: environment variables; EC2 instance metadata"),
            "{}",
            x.summary
        );
        let x = d(AwsProblem::SsoExpired { profile: "prod".into() });
        assert_eq!(x.cause, Cause::AwsSsoExpired);
        assert!(x.hint.contains("aws sso login --profile prod"));
        let x = d(AwsProblem::AccessDenied {
            action: "redshift:JoinGroup".into(),
            resource: "arn:aws:redshift:us-east-1:1:dbgroup:c/g".into(),
            identity: "arn:aws:iam::1:user/a".into(),
        });
        assert_eq!(x.cause, Cause::AwsAccessDenied);
        assert!(x.summary.contains(
            "may not call redshift:JoinGroup on arn:aws:redshift:us-east-1:1:dbgroup:c/g"
        ));
        let x = d(AwsProblem::ClusterNotFound {
            cluster: "c".into(),
            region: "us-east-1".into(),
            host_region: None,
        });
        assert_eq!(x.cause, Cause::ClusterNotFound);
        let x = d(AwsProblem::ClusterNotFound {
            cluster: "c".into(),
            region: "us-east-1".into(),
            host_region: Some("eu-west-1".into()),
        });
        assert_eq!(x.cause, Cause::AwsWrongRegion);
        assert!(x.hint.contains("--region eu-west-1"));
        let x = d(AwsProblem::WorkgroupNotFound {
            workgroup: "w".into(),
            region: "us-east-1".into(),
            host_region: Some("us-east-1".into()),
        });
        assert_eq!(x.cause, Cause::ClusterNotFound, "same region: not a region problem");
    }

    #[test]
    fn ssh_problems() {
        let mut f = facts();
        f.ssh = Some(SshProblem::ForwardingRefused {
            hop_host: "bastion".into(),
            target: "db:5432".into(),
        });
        assert_eq!(diagnose(&f).cause, Cause::SshForwardingRefused);
        f.ssh = Some(SshProblem::AuthRejected {
            hop_host: "b".into(),
            user: "u".into(),
            tried: vec!["password".into()],
            allowed: vec!["publickey".into()],
        });
        let d = diagnose(&f);
        assert_eq!(d.cause, Cause::SshAuthRejected);
        assert!(d.hint.contains("Password login is off"), "{d:?}");
        f.ssh = Some(SshProblem::HostKeyChanged {
            hop_host: "b".into(),
            hop_port: 22,
            key_type: "ssh-ed25519".into(),
            fingerprint: "SHA256:new".into(),
            recorded_at: "/x/known_hosts line 3".into(),
            recorded_fingerprint: "SHA256:old".into(),
        });
        let d = diagnose(&f);
        assert_eq!(d.cause, Cause::SshHostKeyChanged);
        assert!(d.summary.contains("man-in-the-middle") && d.summary.contains("line 3"), "{d:?}");
        f.ssh = Some(SshProblem::HopUnreachable {
            hop_host: "b".into(),
            hop_port: 22,
            io: Some(IoKind::Refused),
            timed_out: false,
            through: None,
        });
        assert_eq!(diagnose(&f).cause, Cause::Refused);
        f.ssh = Some(SshProblem::KeyPassphrase { path: "/k".into(), missing: false });
        assert!(diagnose(&f).summary.contains("wrong"));
    }
}
