//! Parse pasted connection text into profile fields, and render a profile back as text.
//!
//! Accepted (see [`EndpointFormat`]): Redshift console endpoints (provisioned, serverless, China),
//! `host[:port][/db]` and `[v6]:port/db`, `postgres://` / `postgresql://` / `redshift://` URIs,
//! `jdbc:redshift://`, `jdbc:redshift:iam://` and `jdbc:postgresql://` URLs, libpq `key=value`
//! strings, `psql` command lines and `PG*` environment blocks (`export`, `set`, `$env:`, `setenv`).
//!
//! Owns the libpq keyword mapping that `import::pg_service` reuses. Must not read files or the
//! environment, and never puts a password into a [`Profile`]: a pasted password comes back in
//! [`ParsedEndpoint::password`] for the caller to hand to the secret store.
//!
//! Engine inference: Redshift when the host is an AWS Redshift name, the scheme says `redshift`, or
//! the port is 5439; PostgreSQL when the port is 5432, or when a libpq-style format gives no port
//! (libpq then uses 5432); otherwise `None` and the caller keeps the form's engine.

use crate::profile::{DEFAULT_CONNECT_TIMEOUT_SECS, Engine, Profile, SslMode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use std::fmt;
use std::net::Ipv6Addr;
use std::path::PathBuf;

mod conninfo;
mod shell;

use conninfo::{conninfo_quote, is_c_space, parse_conninfo};
pub use shell::shell_quote;
use shell::{parse_env_block, parse_psql, shell_words};

/// Which kind of text was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointFormat {
    /// `cluster.abc123.us-west-2.redshift.amazonaws.com[:5439][/dev]` and serverless / China forms.
    RedshiftEndpoint,
    /// `host[:port][/database]`, `[::1]:5432/db`.
    HostPort,
    /// `postgres://`, `postgresql://`, `redshift://`.
    Uri,
    /// `jdbc:redshift://`, `jdbc:redshift:iam://`, `jdbc:postgresql://`.
    Jdbc,
    /// libpq `host=… port=… dbname=…`.
    KeyValue,
    /// `psql -h … -p … -U … -d …` or `psql "host=…"`.
    PsqlCommand,
    /// `export PGHOST=…` lines (also `set`, `$env:`, `setenv`, `DATABASE_URL=postgres://…`).
    EnvBlock,
}

impl EndpointFormat {
    pub fn label(self) -> &'static str {
        match self {
            EndpointFormat::RedshiftEndpoint => "Redshift endpoint",
            EndpointFormat::HostPort => "host:port/database",
            EndpointFormat::Uri => "connection URL",
            EndpointFormat::Jdbc => "JDBC URL",
            EndpointFormat::KeyValue => "libpq key=value string",
            EndpointFormat::PsqlCommand => "psql command line",
            EndpointFormat::EnvBlock => "PG* environment variables",
        }
    }
}

/// Provisioned cluster or serverless workgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RedshiftKind {
    Provisioned,
    Serverless,
}

/// What an AWS Redshift host name says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RedshiftHost {
    pub kind: RedshiftKind,
    /// Cluster identifier or workgroup name (the first label).
    pub name: String,
    pub region: String,
    /// An AWS China region (`.amazonaws.com.cn`).
    pub china: bool,
}

impl RedshiftHost {
    pub fn describe(&self) -> String {
        let what = match self.kind {
            RedshiftKind::Provisioned => "provisioned cluster",
            RedshiftKind::Serverless => "serverless workgroup",
        };
        let china = if self.china { ", AWS China" } else { "" };
        format!("{what} \"{}\" in {}{china}", self.name, self.region)
    }
}

/// Recognise `<cluster>.<id>.<region>.redshift.amazonaws.com` and
/// `<workgroup>.<account>.<region>.redshift-serverless.amazonaws.com` (also `-dev` and `.com.cn`),
/// the shapes the AWS JDBC and Python drivers match.
pub fn redshift_host(host: &str) -> Option<RedshiftHost> {
    let lower = host.trim_end_matches('.').to_ascii_lowercase();
    let (rest, china) = match lower.strip_suffix(".amazonaws.com.cn") {
        Some(r) => (r, true),
        None => (lower.strip_suffix(".amazonaws.com")?, false),
    };
    let labels: Vec<&str> = rest.split('.').collect();
    let (service, prefix) = labels.split_last()?;
    let kind = match *service {
        "redshift" | "redshift-dev" => RedshiftKind::Provisioned,
        "redshift-serverless" | "redshift-serverless-dev" => RedshiftKind::Serverless,
        _ => return None,
    };
    if prefix.len() < 3 || prefix.iter().any(|l| l.is_empty()) {
        return None;
    }
    Some(RedshiftHost {
        kind,
        name: prefix[0].to_string(),
        region: prefix[prefix.len() - 1].to_string(),
        china,
    })
}

const ACCEPTED: &str = "Paste one of: a Redshift endpoint (cluster.abc123.us-west-2.redshift.amazonaws.com:5439/dev), \
host:port/database, a postgresql:// or redshift:// URL, a jdbc:redshift:// URL, libpq settings \
(host=… port=… dbname=… user=…), a psql command, or export PGHOST=… lines.";

/// Why pasted text could not be used. Messages say what was wrong and what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("Nothing to parse. {ACCEPTED}")]
    Empty,
    #[error("Not a connection format Shiftgate knows{detail}. {ACCEPTED}")]
    UnknownFormat { detail: String },
    #[error("Port \"{value}\" is not a number between 1 and 65535.")]
    InvalidPort { value: String },
    #[error("{key} \"{value}\" is not valid: expected {expected}.")]
    InvalidValue { key: String, value: String, expected: String },
    #[error(
        "Unterminated {quote} quote starting at character {position}: add the closing {quote}."
    )]
    UnterminatedQuote { quote: char, position: usize },
    #[error("Syntax error at character {position}: {message}")]
    Syntax { position: usize, message: String },
    #[error("Option {option} needs a value after it.")]
    MissingValue { option: String },
    #[error("The {part} is not valid percent-encoding (each %XX must form UTF-8 text).")]
    InvalidEncoding { part: String },
}

fn unknown(detail: impl Into<String>) -> EndpointError {
    EndpointError::UnknownFormat { detail: detail.into() }
}

/// What the text implies about the engine before the host and port are looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
enum EngineHint {
    #[default]
    None,
    /// libpq semantics: no port means 5432.
    Libpq,
    Redshift,
}

/// Fields found in pasted text. Only `Some` fields are applied to a profile.
#[derive(Clone, PartialEq)]
pub struct ParsedEndpoint {
    pub format: EndpointFormat,
    pub engine: Option<Engine>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub database: Option<String>,
    pub user: Option<String>,
    /// A SECRET: route it to the secret store, never into a [`Profile`].
    pub password: Option<String>,
    pub sslmode: Option<SslMode>,
    pub ca_file: Option<PathBuf>,
    pub application_name: Option<String>,
    pub connect_timeout_secs: Option<u32>,
    /// The text asked for IAM authentication (`jdbc:redshift:iam://`).
    pub iam: bool,
    /// IAM settings the text named (cluster and region of the short form, DbGroups, AutoCreate,
    /// ClusterID, Region, Profile, IAMDuration); applied with the method when `iam`.
    pub iam_auth: crate::profile::AuthSettings,
    /// Set when the host is an AWS Redshift name.
    pub redshift: Option<RedshiftHost>,
    /// Human lines for the paste preview, e.g. `host: db.example.com`. Never shows the password.
    pub recognised: Vec<String>,
    /// What was not used and why.
    pub ignored: Vec<String>,
    hint: EngineHint,
    hostaddr: Option<String>,
    fallback_application_name: Option<String>,
}

impl fmt::Debug for ParsedEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedEndpoint")
            .field("format", &self.format)
            .field("engine", &self.engine)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("sslmode", &self.sslmode)
            .field("ca_file", &self.ca_file)
            .field("application_name", &self.application_name)
            .field("connect_timeout_secs", &self.connect_timeout_secs)
            .field("iam", &self.iam)
            .field("recognised", &self.recognised)
            .field("ignored", &self.ignored)
            .finish()
    }
}

/// libpq connection keywords (PostgreSQL 17); the ones Shiftgate does not use are reported as such.
const LIBPQ_KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "require_auth",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "sslmode",
    "sslnegotiation",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcertmode",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "service",
    "target_session_attrs",
    "load_balance_hosts",
];

/// Redshift JDBC settings that only matter for IAM / identity-provider authentication.
const JDBC_IAM_KEYS: &[&str] = &[
    "dbgroups",
    "autocreate",
    "clusterid",
    "region",
    "profile",
    "accesskeyid",
    "secretaccesskey",
    "sessiontoken",
    "iamduration",
    "plugin_name",
    "credentials_provider",
    "authprofile",
    "groupfederation",
    "idp_host",
    "idp_port",
    "idp_tenant",
    "preferred_role",
    "iam",
    "forcelowercase",
    "serverless_acct_id",
    "serverless_work_group",
];

/// Shown form of `key=value` in the ignored list; values of secret-looking keys are hidden.
fn shown(label: &str, value: &str) -> String {
    let lower = label.to_ascii_lowercase();
    if ["pass", "pwd", "secret", "token", "key"].iter().any(|s| lower.contains(s)) {
        return format!("{label}=…");
    }
    let mut v: String = value.chars().take(60).collect();
    if v.len() < value.len() {
        v.push('…');
    }
    format!("{label}={v}")
}

fn parse_port(value: &str) -> Result<u16, EndpointError> {
    match value.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(EndpointError::InvalidPort { value: value.to_string() }),
    }
}

impl ParsedEndpoint {
    pub(crate) fn new(format: EndpointFormat) -> Self {
        ParsedEndpoint {
            format,
            engine: None,
            host: None,
            port: None,
            database: None,
            user: None,
            password: None,
            sslmode: None,
            ca_file: None,
            application_name: None,
            connect_timeout_secs: None,
            iam: false,
            iam_auth: Default::default(),
            redshift: None,
            recognised: Vec::new(),
            ignored: Vec::new(),
            hint: EngineHint::None,
            hostaddr: None,
            fallback_application_name: None,
        }
    }

    /// Libpq-style parse state for file importers (`pg_service.conf`): no port means 5432.
    pub(crate) fn new_libpq(format: EndpointFormat) -> Self {
        let mut out = ParsedEndpoint::new(format);
        out.hint = EngineHint::Libpq;
        out
    }

    /// Copy what was found into `profile`: the engine first (so its defaults follow), then each
    /// field that is present. The password is not touched: it belongs in the secret store.
    pub fn apply_to(&self, profile: &mut Profile) {
        if let Some(engine) = self.engine {
            profile.set_engine(engine);
        }
        if let Some(host) = &self.host {
            profile.host = host.clone();
        }
        if let Some(port) = self.port {
            profile.port = port;
        }
        if let Some(db) = &self.database {
            profile.database = db.clone();
        }
        if let Some(user) = &self.user {
            profile.user = user.clone();
        }
        if let Some(mode) = self.sslmode {
            profile.sslmode = mode;
        }
        if let Some(ca) = &self.ca_file {
            profile.ca_file = Some(ca.clone());
        }
        if let Some(app) = &self.application_name {
            profile.application_name = Some(app.clone());
        }
        if let Some(secs) = self.connect_timeout_secs {
            profile.connect_timeout_secs = secs;
        }
        if self.iam {
            let (from, to) = (&self.iam_auth, &mut profile.auth);
            to.method = crate::profile::AuthMethod::Iam;
            for (src, dst) in [
                (&from.cluster_id, &mut to.cluster_id),
                (&from.region, &mut to.region),
                (&from.aws_profile, &mut to.aws_profile),
            ] {
                if !src.is_empty() {
                    *dst = src.clone();
                }
            }
            if !from.db_groups.is_empty() {
                to.db_groups = from.db_groups.clone();
            }
            to.auto_create |= from.auto_create;
            if from.duration_secs != crate::profile::IAM_DURATION_MAX {
                to.duration_secs = from.duration_secs;
            }
            if let Some(user) = &self.user {
                to.db_user = user.clone();
            }
            let host = profile.host.clone();
            if profile.auth.fill_from_host(&host) == Some(crate::profile::AuthMethod::IamServerless)
                && profile.auth.cluster_id.is_empty()
            {
                profile.auth.method = crate::profile::AuthMethod::IamServerless;
            }
        }
    }

    /// A profile name for a new profile: the Redshift cluster / workgroup, else `database@host`.
    pub fn suggested_name(&self) -> Option<String> {
        if let Some(rs) = &self.redshift {
            return Some(match &self.database {
                Some(db) => format!("{} ({db})", rs.name),
                None => rs.name.clone(),
            });
        }
        let host = self.host.as_deref()?;
        Some(match &self.database {
            Some(db) => format!("{db}@{host}"),
            None => host.to_string(),
        })
    }

    /// Apply one libpq keyword. `label` is what the user wrote (`PGPORT`, `Port`), for messages.
    pub(crate) fn set_param(
        &mut self,
        key: &str,
        label: &str,
        value: &str,
    ) -> Result<(), EndpointError> {
        let first_of_list = |v: &str, ignored: &mut Vec<String>| -> String {
            let mut parts = v.split(',');
            let first = parts.next().unwrap_or_default().trim().to_string();
            let rest: Vec<&str> = parts.collect();
            if !rest.is_empty() {
                ignored.push(format!(
                    "{label}: more values ({}) skipped; Shiftgate connects to the first one",
                    rest.join(",")
                ));
            }
            first
        };
        match key {
            "host" => {
                let host = first_of_list(value, &mut self.ignored);
                if host.starts_with('/') || host.starts_with('@') {
                    self.ignored.push(format!("{label}={host}: a Unix socket directory; Shiftgate connects over TCP, enter a host name"));
                } else if !host.is_empty() {
                    self.host = Some(host);
                }
            }
            "hostaddr" => {
                let addr = first_of_list(value, &mut self.ignored);
                if !addr.is_empty() {
                    self.hostaddr = Some(addr);
                }
            }
            "port" => {
                let port = first_of_list(value, &mut self.ignored);
                if !port.is_empty() {
                    self.port = Some(parse_port(&port)?);
                }
            }
            "dbname" if !value.is_empty() => self.database = Some(value.to_string()),
            "user" if !value.is_empty() => self.user = Some(value.to_string()),
            "dbname" | "user" => {}
            "password" => self.password = Some(value.to_string()),
            "sslmode" => {
                let mode = SslMode::parse(value).ok_or_else(|| EndpointError::InvalidValue {
                    key: label.to_string(),
                    value: value.to_string(),
                    expected: "disable, allow, prefer, require, verify-ca or verify-full".into(),
                })?;
                self.sslmode = Some(mode);
            }
            "ssl" | "requiressl" => match value.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "on" | "yes" => {
                    if self.sslmode.is_none() {
                        self.sslmode = Some(SslMode::Require);
                    }
                }
                "false" | "0" | "off" | "no" => self.sslmode = Some(SslMode::Disable),
                _ => {
                    return Err(EndpointError::InvalidValue {
                        key: label.to_string(),
                        value: value.to_string(),
                        expected: "true or false".into(),
                    });
                }
            },
            "sslrootcert" if value == "system" => {
                self.recognised.push(format!(
                    "{label}=system: the system trust store (Shiftgate's default without a CA file)"
                ));
            }
            "sslrootcert" if !value.is_empty() => self.ca_file = Some(PathBuf::from(value)),
            "sslrootcert" => {}
            "application_name" => self.application_name = Some(value.to_string()),
            "fallback_application_name" => self.fallback_application_name = Some(value.to_string()),
            "connect_timeout" => match value.trim().parse::<u32>() {
                Ok(0) => self.ignored.push(format!(
                    "{label}=0 (wait forever) is not supported; the profile keeps its timeout"
                )),
                Ok(secs) => self.connect_timeout_secs = Some(secs),
                Err(_) => {
                    return Err(EndpointError::InvalidValue {
                        key: label.to_string(),
                        value: value.to_string(),
                        expected: "a whole number of seconds".into(),
                    });
                }
            },
            "service" => self.ignored.push(format!(
                "{}: names an entry in pg_service.conf; import that file to get its settings",
                shown(label, value)
            )),
            "passfile" => self.ignored.push(format!(
                "{}: password files are not read from here; import ~/.pgpass to look passwords up",
                shown(label, value)
            )),
            k if LIBPQ_KEYWORDS.contains(&k) => {
                self.ignored.push(format!("{}: not supported by Shiftgate", shown(label, value)));
            }
            _ => self.ignored.push(format!("{}: unknown setting, not used", shown(label, value))),
        }
        Ok(())
    }

    /// Take every field `other` found; its notes are appended.
    fn merge(&mut self, other: ParsedEndpoint) {
        macro_rules! take {
            ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f; } )* };
        }
        take!(
            host,
            port,
            database,
            user,
            password,
            sslmode,
            ca_file,
            application_name,
            connect_timeout_secs,
            hostaddr
        );
        take!(fallback_application_name);
        self.iam |= other.iam;
        self.hint = self.hint.max(other.hint);
        self.recognised.extend(other.recognised);
        self.ignored.extend(other.ignored);
    }

    /// Resolve libpq fallbacks, infer the engine and write the field lines of `recognised`.
    pub(crate) fn finish(mut self) -> Self {
        if self.application_name.is_none() {
            self.application_name = self.fallback_application_name.take();
        }
        match (self.host.is_some(), self.hostaddr.take()) {
            (false, Some(addr)) => self.host = Some(addr),
            (true, Some(addr)) => {
                self.ignored.push(format!("hostaddr={addr}: skipped; Shiftgate resolves the host name itself (verify-full needs the name)"))
            }
            _ => {}
        }
        self.redshift = self.host.as_deref().and_then(redshift_host);
        if self.format == EndpointFormat::HostPort && self.redshift.is_some() {
            self.format = EndpointFormat::RedshiftEndpoint;
        }
        let (engine, why) = if let Some(rs) = &self.redshift {
            (Some(Engine::Redshift), rs.describe())
        } else if self.hint == EngineHint::Redshift {
            (Some(Engine::Redshift), "the URL says redshift".to_string())
        } else if self.port == Some(5439) {
            (Some(Engine::Redshift), "port 5439".to_string())
        } else if self.port == Some(5432) {
            (Some(Engine::Postgres), "port 5432".to_string())
        } else if self.hint == EngineHint::Libpq && self.port.is_none() {
            (Some(Engine::Postgres), "no port given, libpq's default is 5432".to_string())
        } else {
            (None, String::new())
        };
        self.engine = engine;
        let mut lines = vec![format!("format: {}", self.format.label())];
        if let Some(e) = engine {
            lines.push(format!("engine: {e} ({why})"));
        }
        let mut line = |label: &str, v: Option<String>| {
            if let Some(v) = v {
                lines.push(format!("{label}: {v}"));
            }
        };
        line("host", self.host.clone());
        line("port", self.port.map(|p| p.to_string()));
        line("database", self.database.clone());
        line("user", self.user.clone());
        line(
            "password",
            self.password.as_ref().map(|_| "given (goes to the keychain, not the profile)".into()),
        );
        line("sslmode", self.sslmode.map(|m| m.to_string()));
        line("CA file", self.ca_file.as_ref().map(|p| p.display().to_string()));
        line("application name", self.application_name.clone());
        line("connect timeout", self.connect_timeout_secs.map(|s| format!("{s} s")));
        lines.append(&mut self.recognised);
        self.recognised = lines;
        self
    }
}

/// Parse whatever connection text a user pasted. See the module doc for the accepted formats.
pub fn parse_pasted(text: &str) -> Result<ParsedEndpoint, EndpointError> {
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err(EndpointError::Empty);
    }
    let text = strip_wrapping_quotes(text);
    Ok(parse_any(text)?.finish())
}

fn strip_wrapping_quotes(text: &str) -> &str {
    for q in ['"', '\'', '`'] {
        if let Some(inner) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q))
            && !inner.contains(q)
        {
            return inner.trim();
        }
    }
    text
}

fn parse_any(text: &str) -> Result<ParsedEndpoint, EndpointError> {
    if let Some((scheme, rest)) = scheme_of(text) {
        return parse_url(&scheme, rest);
    }
    if starts_with_libpq_keyword(text) {
        return parse_conninfo(text);
    }
    let words = shell_words(text);
    if let Ok(words) = &words
        && let Some(parsed) = parse_psql(words)?
    {
        return Ok(parsed);
    }
    if let Some(parsed) = parse_env_block(text)? {
        return Ok(parsed);
    }
    if let Err(e) = words
        && text.contains("psql")
    {
        return Err(e);
    }
    if !text.chars().any(char::is_whitespace) {
        return parse_host_port(text);
    }
    Err(unknown(""))
}

/// `scheme://rest` with a plausible scheme (`jdbc:redshift:iam` included); the scheme lower-cased.
fn scheme_of(text: &str) -> Option<(String, &str)> {
    let (scheme, rest) = text.split_once("://")?;
    let first = scheme.chars().next()?;
    if !first.is_ascii_alphabetic()
        || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+.-:".contains(c))
    {
        return None;
    }
    Some((scheme.to_ascii_lowercase(), rest))
}

fn is_pg_scheme(scheme: &str) -> bool {
    matches!(
        scheme,
        "postgres"
            | "postgresql"
            | "redshift"
            | "jdbc:redshift"
            | "jdbc:redshift:iam"
            | "jdbc:postgresql"
    )
}

fn starts_with_libpq_keyword(text: &str) -> bool {
    let key: String = text.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let rest = text[key.len()..].trim_start_matches(is_c_space);
    rest.starts_with('=') && LIBPQ_KEYWORDS.contains(&key.to_ascii_lowercase().as_str())
}

fn decode(s: &str, part: &str) -> Result<String, EndpointError> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| EndpointError::InvalidEncoding { part: part.to_string() })
}

/// `host[:port]` or `[v6][:port]` (an empty port means the default).
fn split_host_port(s: &str) -> Result<(String, Option<u16>), EndpointError> {
    let port_of = |p: &str| {
        if p.is_empty() { Ok(None) } else { parse_port(p).map(Some) }
    };
    if let Some(inner) = s.strip_prefix('[') {
        let (host, tail) = inner
            .split_once(']')
            .ok_or_else(|| unknown(" (an IPv6 address in [ ] is missing its closing ])"))?;
        let port = match tail {
            "" => None,
            t => port_of(
                t.strip_prefix(':')
                    .ok_or_else(|| unknown(format!(" (unexpected \"{t}\" after ])")))?,
            )?,
        };
        return Ok((host.to_string(), port));
    }
    if s.parse::<Ipv6Addr>().is_ok() {
        return Ok((s.to_string(), None));
    }
    match s.rsplit_once(':') {
        Some((h, _)) if h.contains(':') => {
            Err(unknown(" (an IPv6 address with a port needs brackets: [::1]:5432)"))
        }
        Some((h, p)) => Ok((h.to_string(), port_of(p)?)),
        None => Ok((s.to_string(), None)),
    }
}

fn parse_url(scheme: &str, rest: &str) -> Result<ParsedEndpoint, EndpointError> {
    let (format, hint, iam) = match scheme {
        "postgres" | "postgresql" => (EndpointFormat::Uri, EngineHint::Libpq, false),
        "redshift" => (EndpointFormat::Uri, EngineHint::Redshift, false),
        "jdbc:redshift" => (EndpointFormat::Jdbc, EngineHint::Redshift, false),
        "jdbc:redshift:iam" => (EndpointFormat::Jdbc, EngineHint::Redshift, true),
        "jdbc:postgresql" => (EndpointFormat::Jdbc, EngineHint::Libpq, false),
        s if s.starts_with("jdbc:") => {
            return Err(unknown(format!(" (a {s} JDBC URL is not for PostgreSQL or Redshift)")));
        }
        s => {
            return Err(unknown(format!(" (a {s}:// URL is not for PostgreSQL or Redshift)")));
        }
    };
    let jdbc = format == EndpointFormat::Jdbc;
    let mut out = ParsedEndpoint::new(format);
    out.hint = hint;
    if iam {
        out.iam = true;
        out.recognised.push("IAM authentication (jdbc:redshift:iam): the profile logs in with IAM temporary credentials".into());
    }
    let is_sep = |c: char| c == '?' || (jdbc && c == ';');
    let auth_end = rest.find(|c: char| c == '/' || is_sep(c)).unwrap_or(rest.len());
    // A password with an unencoded '/' or '?' still parses when an '@' follows it.
    let auth_end = match rest.rfind('@') {
        Some(at) if at >= auth_end && !rest[auth_end..at].contains('=') => {
            rest[at..].find(|c: char| c == '/' || is_sep(c)).map_or(rest.len(), |i| at + i)
        }
        _ => auth_end,
    };
    let (authority, tail) = rest.split_at(auth_end);
    let hostlist = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            out.set_param("user", "user", &decode(user, "user name")?)?;
            if let Some(p) = password {
                out.password = Some(decode(p, "password")?);
            }
            hosts
        }
        None => authority,
    };
    let mut hosts = hostlist.split(',');
    let first = hosts.next().unwrap_or_default();
    let others: Vec<&str> = hosts.collect();
    if !others.is_empty() {
        out.ignored.push(format!(
            "other hosts {} skipped; Shiftgate connects to the first one",
            others.join(", ")
        ));
    }
    let short_iam = iam
        && !first.starts_with('[')
        && first.rsplit_once(':').is_some_and(|(_, p)| !p.chars().all(|c| c.is_ascii_digit()));
    if short_iam {
        let (cluster, region) = first.rsplit_once(':').unwrap_or((first, ""));
        out.iam_auth.cluster_id = cluster.to_string();
        out.iam_auth.region = region.to_string();
        out.recognised.push(format!("IAM cluster \"{cluster}\" in {region}"));
        out.ignored.push(format!("cluster \"{cluster}\" in {region} (IAM short form): enter the cluster's endpoint host (or the tunnel / VPC endpoint) as Host"));
    } else if !first.is_empty() {
        let (host, port) = split_host_port(first)?;
        let host = decode(&host, "host")?;
        if !host.is_empty() {
            out.set_param("host", "host", &host)?;
        }
        out.port = port.or(out.port);
    }
    let (path, query) = match tail.strip_prefix('/') {
        Some(t) => t.split_at(t.find(is_sep).unwrap_or(t.len())),
        None => ("", tail),
    };
    let db = decode(path, "database name")?;
    if !db.is_empty() {
        out.database = Some(db);
    }
    for pair in query.split(|c: char| c == '&' || is_sep(c)).filter(|p| !p.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            // Not echoed: it may be the tail of a password that contained a ';' or '&'.
            out.ignored.push("a part without \"=\" was not used (a ; or & inside a value must be written %3B or %26)".into());
            continue;
        };
        let k = decode(k, "parameter name")?;
        let v = decode(v, &format!("value of {k}"))?;
        if jdbc {
            out.set_jdbc_param(&k, &v)?;
        } else {
            out.set_param(&k.to_ascii_lowercase(), &k, &v)?;
        }
    }
    Ok(out)
}

impl ParsedEndpoint {
    fn set_jdbc_param(&mut self, key: &str, value: &str) -> Result<(), EndpointError> {
        let lower = key.to_ascii_lowercase();
        let libpq = match lower.as_str() {
            "user" | "uid" => "user",
            "password" | "pwd" => "password",
            "applicationname" => "application_name",
            "logintimeout" | "connecttimeout" => "connect_timeout",
            "dbuser" => {
                self.recognised
                    .push(format!("{key}: the database user IAM credentials would be issued for"));
                "user"
            }
            "dbgroups" | "autocreate" | "clusterid" | "region" | "profile" | "iamduration" => {
                let a = &mut self.iam_auth;
                match lower.as_str() {
                    "dbgroups" => {
                        a.db_groups = value
                            .split(',')
                            .map(|g| g.trim().to_string())
                            .filter(|g| !g.is_empty())
                            .collect()
                    }
                    "autocreate" => a.auto_create = value.trim().eq_ignore_ascii_case("true"),
                    "clusterid" => a.cluster_id = value.trim().to_string(),
                    "region" => a.region = value.trim().to_string(),
                    "profile" => a.aws_profile = value.trim().to_string(),
                    _ => a.duration_secs = value.trim().parse().unwrap_or(0),
                }
                self.recognised.push(format!("{}: IAM setting", shown(key, value)));
                return Ok(());
            }
            k if JDBC_IAM_KEYS.contains(&k) => {
                self.ignored.push(format!(
                    "{}: IAM setting Shiftgate does not use (AWS credentials come from the AWS configuration)",
                    shown(key, value)
                ));
                return Ok(());
            }
            k => k,
        };
        self.set_param(libpq, key, value)
    }
}

fn parse_host_port(text: &str) -> Result<ParsedEndpoint, EndpointError> {
    let mut out = ParsedEndpoint::new(EndpointFormat::HostPort);
    let rest = match text.rsplit_once('@') {
        Some((user, rest)) if !user.is_empty() && !user.contains('/') => {
            out.user = Some(user.to_string());
            rest
        }
        _ => text,
    };
    let (hostport, db) = if rest.starts_with('[') {
        match rest.find(']') {
            Some(close) => match rest[close..].find('/') {
                Some(i) => (&rest[..close + i], Some(&rest[close + i + 1..])),
                None => (rest, None),
            },
            None => (rest, None),
        }
    } else if rest.parse::<Ipv6Addr>().is_ok() {
        (rest, None)
    } else {
        match rest.split_once('/') {
            Some((hp, db)) => (hp, Some(db)),
            None => (rest, None),
        }
    };
    let (host, port) = split_host_port(hostport)?;
    let host_ok = host.parse::<Ipv6Addr>().is_ok()
        || (!host.is_empty()
            && host.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_')));
    if !host_ok {
        return Err(unknown(format!(" (\"{host}\" is not a host name)")));
    }
    out.host = Some(host);
    out.port = port;
    if let Some(db) = db {
        let (name, extra) = db.split_once(['?', '/']).unwrap_or((db, ""));
        if !extra.is_empty() {
            out.ignored.push(format!("\"{extra}\" after the database name: not used"));
        }
        if !name.is_empty() {
            out.database = Some(name.to_string());
        }
    }
    Ok(out)
}

/// Characters left as they are in URL parts: RFC 3986 unreserved.
const URL_PART: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Inside `[ ]`: an IPv6 literal keeps its colons (a zone's `%` is still encoded).
const URL_IPV6: &AsciiSet = &URL_PART.remove(b':');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, URL_PART).to_string()
}

/// libpq settings of a profile beyond host/port/dbname/user, for URLs and psql commands.
fn extra_params(p: &Profile) -> Vec<(&'static str, String)> {
    let mut params = vec![("sslmode", p.sslmode.as_str().to_string())];
    if let Some(ca) = &p.ca_file {
        params.push(("sslrootcert", ca.to_string_lossy().into_owned()));
    }
    if p.connect_timeout_secs != DEFAULT_CONNECT_TIMEOUT_SECS {
        params.push(("connect_timeout", p.connect_timeout_secs.to_string()));
    }
    if let Some(app) = p.application_name.as_deref().filter(|a| *a != "shiftgate") {
        params.push(("application_name", app.to_string()));
    }
    params
}

/// `postgresql://user@host:port/db?sslmode=…` — never with a password; every part percent-encoded.
pub fn profile_url(p: &Profile) -> String {
    let mut url = String::from("postgresql://");
    if !p.user.is_empty() {
        url.push_str(&enc(&p.user));
        url.push('@');
    }
    if p.host.contains(':') {
        url.push('[');
        url.push_str(&utf8_percent_encode(&p.host, URL_IPV6).to_string());
        url.push(']');
    } else {
        url.push_str(&enc(&p.host));
    }
    url.push_str(&format!(":{}/{}", p.port, enc(&p.database)));
    let query: Vec<String> =
        extra_params(p).into_iter().map(|(k, v)| format!("{k}={}", enc(&v))).collect();
    url.push('?');
    url.push_str(&query.join("&"));
    url
}

/// `psql 'host=… port=… dbname=… user=… sslmode=…'` — one conninfo argument, no password.
pub fn psql_command(p: &Profile) -> String {
    let mut parts = vec![
        format!("host={}", conninfo_quote(&p.host)),
        format!("port={}", p.port),
        format!("dbname={}", conninfo_quote(&p.database)),
    ];
    if !p.user.is_empty() {
        parts.push(format!("user={}", conninfo_quote(&p.user)));
    }
    parts.extend(extra_params(p).into_iter().map(|(k, v)| format!("{k}={}", conninfo_quote(&v))));
    format!("psql {}", shell_quote(&parts.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redshift_host_shapes() {
        let rs =
            redshift_host("examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com").unwrap();
        assert_eq!(
            (rs.kind, rs.name.as_str(), rs.region.as_str(), rs.china),
            (RedshiftKind::Provisioned, "examplecluster", "us-west-2", false)
        );
        let rs = redshift_host("wg.123456789012.cn-north-1.redshift-serverless.amazonaws.com.cn")
            .unwrap();
        assert_eq!((rs.kind, rs.china), (RedshiftKind::Serverless, true));
        assert_eq!(redshift_host("redshift.amazonaws.com"), None);
        assert_eq!(redshift_host("db.example.com"), None);
    }
}
