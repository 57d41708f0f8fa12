//! Connection profile model: what a user saves about one server, its defaults and its validation.
//!
//! A profile never holds a secret. Passwords, SSH passphrases and tokens live in a secret store keyed
//! by the profile id (see the main crate's `store::secrets`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// Stable identifier of a profile (survives renames; keys secrets in the keychain).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProfileId(pub String);

impl ProfileId {
    pub fn new_random() -> Self {
        ProfileId(uuid::Uuid::new_v4().to_string())
    }
}

impl fmt::Display for ProfileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which server product a profile points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    #[default]
    Redshift,
    Postgres,
}

impl Engine {
    pub const ALL: [Engine; 2] = [Engine::Redshift, Engine::Postgres];

    pub fn default_port(self) -> u16 {
        match self {
            Engine::Redshift => 5439,
            Engine::Postgres => 5432,
        }
    }

    pub fn default_database(self) -> &'static str {
        match self {
            Engine::Redshift => "dev",
            Engine::Postgres => "postgres",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Engine::Redshift => "Redshift",
            Engine::Postgres => "PostgreSQL",
        }
    }

    pub fn parse(s: &str) -> Option<Engine> {
        match s.trim().to_ascii_lowercase().as_str() {
            "redshift" | "rs" => Some(Engine::Redshift),
            "postgres" | "postgresql" | "pg" => Some(Engine::Postgres),
            _ => None,
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// libpq's six sslmode values, with libpq's meaning (the connector implements them with rustls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    #[default]
    VerifyFull,
}

impl SslMode {
    pub const ALL: [SslMode; 6] = [
        SslMode::Disable,
        SslMode::Allow,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyCa,
        SslMode::VerifyFull,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    pub fn parse(s: &str) -> Option<SslMode> {
        SslMode::ALL.into_iter().find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// One line a user can read next to the combo box.
    pub fn explanation(self) -> &'static str {
        match self {
            SslMode::Disable => "No encryption. Password and data cross the network in clear text.",
            SslMode::Allow => {
                "Plain first; encrypt only if the server insists. Certificate not checked."
            }
            SslMode::Prefer => {
                "Encrypt if the server offers it, else plain. Certificate not checked."
            }
            SslMode::Require => {
                "Always encrypt; fail if the server can't. Certificate not checked."
            }
            SslMode::VerifyCa => {
                "Always encrypt and check the certificate chain, but not the host name (CNAME / VPC endpoints)."
            }
            SslMode::VerifyFull => {
                "Always encrypt, check the chain and that the certificate names this host. Recommended."
            }
        }
    }

    /// Whether a server that refuses TLS makes the connection fail.
    pub fn requires_tls(self) -> bool {
        matches!(self, SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull)
    }

    pub fn verifies_chain(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a secret (database password, SSH passphrase or password) is obtained for a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SecretMode {
    /// Saved in the OS keychain under this profile's id.
    #[default]
    Keychain,
    /// Kept only in memory; asked for when a task needs it.
    AskEveryTime,
}

/// How the SSH client proves who it is to one hop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum SshAuth {
    /// A private key file (OpenSSH / PEM / PKCS#8); its passphrase, if any, is a secret.
    Key { path: PathBuf },
    /// A password, kept as a secret.
    Password,
    /// The running agent at `SSH_AUTH_SOCK`.
    #[default]
    Agent,
}

/// One SSH hop (a bastion or a jump host).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SshHop {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub auth: SshAuth,
}

impl Default for SshHop {
    fn default() -> Self {
        SshHop { host: String::new(), port: 22, user: String::new(), auth: SshAuth::Agent }
    }
}

/// SSH tunnel settings of a profile. Either explicit hops, or an `~/.ssh/config` alias resolved at
/// connect time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SshSettings {
    pub enabled: bool,
    /// `Host` alias from `~/.ssh/config`; when set, `bastion` fields left empty are filled from it.
    pub config_alias: Option<String>,
    /// The hop that opens the channel to the database (the last one).
    pub bastion: SshHop,
    /// Jump hosts, in order, before the bastion (like `ProxyJump a,b`).
    pub jump_hosts: Vec<SshHop>,
    pub keepalive_secs: u32,
    pub connect_timeout_secs: u32,
    pub secret_mode: SecretMode,
}

impl SshSettings {
    /// No tunnel and nothing set: what a missing `ssh` table reads as.
    pub fn is_default(&self) -> bool {
        *self == SshSettings::default()
    }
}

impl Default for SshSettings {
    fn default() -> Self {
        SshSettings {
            enabled: false,
            config_alias: None,
            bastion: SshHop::default(),
            jump_hosts: Vec::new(),
            keepalive_secs: 30,
            connect_timeout_secs: 10,
            secret_mode: SecretMode::Keychain,
        }
    }
}

/// How the database password is obtained: typed / kept (password), or temporary credentials
/// from AWS IAM for a provisioned cluster or a serverless workgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    #[default]
    Password,
    /// `redshift:GetClusterCredentials` (or `…WithIAM` without a DbUser) on a provisioned cluster.
    Iam,
    /// `redshift-serverless:GetCredentials` on a serverless workgroup.
    IamServerless,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 3] =
        [AuthMethod::Password, AuthMethod::Iam, AuthMethod::IamServerless];

    /// The CLI / file spelling (`password`, `iam`, `iam-serverless`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Password => "password",
            AuthMethod::Iam => "iam",
            AuthMethod::IamServerless => "iam-serverless",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AuthMethod::Password => "Password",
            AuthMethod::Iam => "IAM, provisioned cluster",
            AuthMethod::IamServerless => "IAM, serverless workgroup",
        }
    }

    pub fn parse(s: &str) -> Option<AuthMethod> {
        AuthMethod::ALL.into_iter().find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bounds of the temporary credentials' lifetime, in seconds (the AWS API's).
pub const IAM_DURATION_MIN: u32 = 900;
pub const IAM_DURATION_MAX: u32 = 3600;

/// The auth method and, for IAM, what to ask AWS for. Stored explicitly (never re-guessed from
/// the host at connect time), so a tunnel, a VPC endpoint or a CNAME never breaks IAM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    pub method: AuthMethod,
    /// Cluster identifier (provisioned).
    pub cluster_id: String,
    /// Workgroup name (serverless).
    pub workgroup: String,
    /// AWS region of the cluster or workgroup (`us-east-1`).
    pub region: String,
    /// `DbUser` for GetClusterCredentials; empty = GetClusterCredentialsWithIAM (the database
    /// user is the IAM identity).
    pub db_user: String,
    /// `DbGroups` joined for the session (provisioned, with a DbUser).
    pub db_groups: Vec<String>,
    /// `AutoCreate`: create the database user if it does not exist.
    pub auto_create: bool,
    /// `DurationSeconds`, 900–3600.
    pub duration_secs: u32,
    /// Profile name in `~/.aws/config`; empty = the default credential chain.
    pub aws_profile: String,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            method: AuthMethod::Password,
            cluster_id: String::new(),
            workgroup: String::new(),
            region: String::new(),
            db_user: String::new(),
            db_groups: Vec::new(),
            auto_create: false,
            duration_secs: IAM_DURATION_MAX,
            aws_profile: String::new(),
        }
    }
}

impl AuthSettings {
    /// Password auth with nothing else set: what a missing `auth` table reads as.
    pub fn is_default(&self) -> bool {
        *self == AuthSettings::default()
    }

    pub fn is_iam(&self) -> bool {
        self.method != AuthMethod::Password
    }

    /// Fill the cluster identifier or workgroup name and the region from an AWS Redshift host
    /// name (`cluster.abc123.us-east-1.redshift.amazonaws.com`,
    /// `wg.123456789012.us-east-1.redshift-serverless.amazonaws.com`), only where they are still
    /// empty. Returns the IAM method the host suggests, if it is such a host.
    pub fn fill_from_host(&mut self, host: &str) -> Option<AuthMethod> {
        let rs = crate::endpoint::redshift_host(host)?;
        let method = match rs.kind {
            crate::endpoint::RedshiftKind::Provisioned => {
                if self.cluster_id.trim().is_empty() {
                    self.cluster_id = rs.name.clone();
                }
                AuthMethod::Iam
            }
            crate::endpoint::RedshiftKind::Serverless => {
                if self.workgroup.trim().is_empty() {
                    self.workgroup = rs.name.clone();
                }
                AuthMethod::IamServerless
            }
        };
        if self.region.trim().is_empty() {
            self.region = rs.region;
        }
        Some(method)
    }

    /// The cluster identifier or workgroup name the method uses.
    pub fn target(&self) -> &str {
        match self.method {
            AuthMethod::IamServerless => &self.workgroup,
            _ => &self.cluster_id,
        }
    }

    /// One line for `profiles show`.
    pub fn describe(&self) -> String {
        let mut s = match self.method {
            AuthMethod::Password => return "password".into(),
            AuthMethod::Iam => {
                let user = if self.db_user.is_empty() {
                    "the IAM identity (GetClusterCredentialsWithIAM)".to_string()
                } else {
                    format!("DbUser {}", self.db_user)
                };
                format!("IAM, cluster {} in {}, as {user}", self.cluster_id, self.region)
            }
            AuthMethod::IamServerless => {
                format!("IAM, serverless workgroup {} in {}", self.workgroup, self.region)
            }
        };
        if !self.db_groups.is_empty() {
            s.push_str(&format!(", groups {}", self.db_groups.join(",")));
        }
        if self.auto_create {
            s.push_str(", auto-create");
        }
        s.push_str(&format!(", {} s", self.duration_secs));
        if self.aws_profile.is_empty() {
            s.push_str(", AWS default credential chain");
        } else {
            s.push_str(&format!(", AWS profile {}", self.aws_profile));
        }
        s
    }

    fn validate(&self, push: &mut impl FnMut(Field, String)) {
        if !self.is_iam() {
            return;
        }
        let ident_ok = |s: &str| {
            s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && s.starts_with(|c: char| c.is_ascii_lowercase())
        };
        match self.method {
            AuthMethod::Iam => {
                let id = self.cluster_id.trim();
                if id.is_empty() {
                    push(Field::IamTarget, "Cluster identifier is empty: enter the cluster's name (the first label of its endpoint).".into());
                } else if id.len() > 63 || !ident_ok(id) {
                    push(
                        Field::IamTarget,
                        format!(
                            "Cluster identifier \"{id}\" is not valid: lowercase letters, digits and hyphens, starting with a letter, at most 63."
                        ),
                    );
                }
            }
            AuthMethod::IamServerless => {
                let wg = self.workgroup.trim();
                if wg.is_empty() {
                    push(
                        Field::IamTarget,
                        "Workgroup name is empty: enter the serverless workgroup's name.".into(),
                    );
                } else if wg.len() < 3
                    || wg.len() > 64
                    || !wg.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    push(
                        Field::IamTarget,
                        format!(
                            "Workgroup name \"{wg}\" is not valid: 3 to 64 lowercase letters, digits and hyphens."
                        ),
                    );
                }
                if !self.db_user.trim().is_empty() || !self.db_groups.is_empty() || self.auto_create
                {
                    push(Field::IamDbUser, "A serverless workgroup takes the database user from the IAM identity: clear DB user, DB groups and auto-create.".into());
                }
            }
            AuthMethod::Password => {}
        }
        let region = self.region.trim();
        if region.is_empty() {
            push(
                Field::IamRegion,
                "Region is empty: enter the cluster's AWS region (us-east-1).".into(),
            );
        } else if region.split('-').count() < 3
            || !region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            push(
                Field::IamRegion,
                format!(
                    "Region \"{region}\" does not look like an AWS region (us-east-1, eu-west-2)."
                ),
            );
        }
        if !(IAM_DURATION_MIN..=IAM_DURATION_MAX).contains(&self.duration_secs) {
            push(
                Field::IamDuration,
                format!(
                    "Duration must be between {IAM_DURATION_MIN} and {IAM_DURATION_MAX} seconds."
                ),
            );
        }
        let user = self.db_user.trim();
        if user != self.db_user || user.len() > 128 || user.contains(char::is_whitespace) {
            push(Field::IamDbUser, "DB user must be at most 128 characters without spaces.".into());
        }
        for g in &self.db_groups {
            if g.trim().is_empty() || g.contains(|c: char| c.is_whitespace() || c == ',') {
                push(
                    Field::IamDbUser,
                    format!("DB group \"{g}\" is not a group name (no spaces or commas)."),
                );
            }
        }
        if self.method == AuthMethod::Iam
            && user.is_empty()
            && (!self.db_groups.is_empty() || self.auto_create)
        {
            push(Field::IamDbUser, "DB groups and auto-create need a DB user (without one, the IAM identity logs in as itself).".into());
        }
        if self.aws_profile.contains(char::is_whitespace) {
            push(
                Field::AwsProfile,
                format!("AWS profile \"{}\" contains spaces.", self.aws_profile),
            );
        }
    }
}

/// One saved connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    pub id: ProfileId,
    pub name: String,
    pub engine: Engine,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub sslmode: SslMode,
    pub ca_file: Option<PathBuf>,
    pub connect_timeout_secs: u32,
    pub application_name: Option<String>,
    pub notes: String,
    /// Colour shown in the profile list (RGB).
    pub color: Option<[u8; 3]>,
    pub password_mode: SecretMode,
    /// Optional command whose standard output is the password (short-lived tokens).
    pub password_command: Option<String>,
    /// Left out of the file when it is the default (no tunnel): a smaller file loads faster.
    #[serde(skip_serializing_if = "SshSettings::is_default")]
    pub ssh: SshSettings,
    /// Password or IAM; left out of the file for password auth (files without it load as
    /// password).
    #[serde(skip_serializing_if = "AuthSettings::is_default")]
    pub auth: AuthSettings,
    /// Setups applied with this profile as the admin, one per (catalog user, database); no
    /// passwords. Read by verify, audit, drift and teardown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub applied_plans: Vec<crate::sql::AppliedPlan>,
}

pub const DEFAULT_CONNECT_TIMEOUT_SECS: u32 = 10;

impl Default for Profile {
    fn default() -> Self {
        Profile::new(Engine::Redshift)
    }
}

impl Profile {
    pub fn new(engine: Engine) -> Self {
        Profile {
            id: ProfileId::new_random(),
            name: String::new(),
            engine,
            host: String::new(),
            port: engine.default_port(),
            database: engine.default_database().to_string(),
            user: String::new(),
            sslmode: SslMode::VerifyFull,
            ca_file: None,
            connect_timeout_secs: DEFAULT_CONNECT_TIMEOUT_SECS,
            application_name: Some("shiftgate".to_string()),
            notes: String::new(),
            color: None,
            password_mode: SecretMode::Keychain,
            password_command: None,
            ssh: SshSettings::default(),
            auth: AuthSettings::default(),
            applied_plans: Vec::new(),
        }
    }

    /// Switch engine; port and database follow only if they still hold the old engine's defaults.
    pub fn set_engine(&mut self, engine: Engine) {
        if self.port == self.engine.default_port() {
            self.port = engine.default_port();
        }
        if self.database == self.engine.default_database() || self.database.is_empty() {
            self.database = engine.default_database().to_string();
        }
        self.engine = engine;
    }

    /// A name to show when the user has not named the profile.
    pub fn display_name(&self) -> String {
        if !self.name.trim().is_empty() {
            self.name.trim().to_string()
        } else if !self.host.is_empty() {
            format!("{}@{}", self.user, self.host)
        } else {
            "Untitled".to_string()
        }
    }

    /// A copy with a new id and a "(copy)" name.
    pub fn duplicate(&self) -> Profile {
        let mut p = self.clone();
        p.id = ProfileId::new_random();
        p.name = format!("{} (copy)", self.display_name());
        p
    }

    /// Everything wrong with the profile, field by field. Empty means it can be used to connect.
    pub fn validate(&self) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let mut push =
            |field: Field, message: String| issues.push(ValidationIssue { field, message });
        let host = self.host.trim();
        if host.is_empty() {
            push(Field::Host, "Host is empty: enter the server's name or IP address.".into());
        } else if host != self.host {
            push(Field::Host, "Host has leading or trailing spaces.".into());
        } else if let Some(split) = split_pasted_host(host) {
            let mut msg = format!("Host looks like a pasted endpoint: use host \"{}\"", split.host);
            if let Some(p) = split.port {
                msg.push_str(&format!(", port {p}"));
            }
            if let Some(d) = &split.database {
                msg.push_str(&format!(", database \"{d}\""));
            }
            msg.push_str(" (paste it into the paste box to split it).");
            push(Field::Host, msg);
        } else if host.chars().any(|c| c.is_whitespace() || c == '/' || c == '@') {
            push(
                Field::Host,
                format!("Host \"{host}\" contains characters a host name can't have."),
            );
        }
        if self.port == 0 {
            push(Field::Port, "Port must be between 1 and 65535.".into());
        }
        if self.database.trim().is_empty() {
            push(
                Field::Database,
                format!(
                    "Database is empty (the {} default is \"{}\").",
                    self.engine,
                    self.engine.default_database()
                ),
            );
        }
        if self.user.trim().is_empty() && !self.auth.is_iam() {
            push(Field::User, "User is empty.".into());
        }
        if self.connect_timeout_secs == 0 || self.connect_timeout_secs > 600 {
            push(
                Field::ConnectTimeout,
                "Connect timeout must be between 1 and 600 seconds.".into(),
            );
        }
        if let Some(ca) = &self.ca_file {
            if ca.as_os_str().is_empty() {
                push(Field::CaFile, "CA file path is empty; clear it or pick a file.".into());
            } else if !self.sslmode.verifies_chain() && self.sslmode != SslMode::Disable {
                // libpq would verify the chain when a root cert is present under require; we do not
                // silently upgrade, we say so.
                push(
                    Field::CaFile,
                    format!(
                        "A CA file is set but sslmode {} does not check certificates; choose verify-ca or verify-full.",
                        self.sslmode
                    ),
                );
            }
        }
        if let Some(app) = &self.application_name
            && app.len() > 63
        {
            push(
                Field::ApplicationName,
                "Application name is longer than 63 bytes; the server would cut it.".into(),
            );
        }
        if self.ssh.enabled {
            self.validate_ssh(&mut push);
        }
        self.auth.validate(&mut push);
        issues
    }
}

impl Profile {
    /// SSH tunnel settings, field by field (only called when the tunnel is on).
    fn validate_ssh(&self, push: &mut impl FnMut(Field, String)) {
        let s = &self.ssh;
        match s.config_alias.as_deref() {
            Some(alias) if alias.trim().is_empty() => push(
                Field::SshAlias,
                "SSH config alias is empty: enter a Host name from ~/.ssh/config.".into(),
            ),
            Some(alias) if alias.trim().contains(char::is_whitespace) => {
                push(Field::SshAlias, format!("SSH config alias \"{alias}\" contains spaces."))
            }
            Some(_) => {}
            None => {
                let hops = std::iter::once(&s.bastion).chain(s.jump_hosts.iter()).enumerate();
                for (i, hop) in hops {
                    let which =
                        if i == 0 { "Bastion".to_string() } else { format!("Jump host {i}") };
                    let host = hop.host.trim();
                    if host.is_empty() {
                        push(Field::SshHop(i), format!("{which} host is empty."));
                    } else if host.chars().any(|c| c.is_whitespace() || c == '/' || c == '@') {
                        push(
                            Field::SshHop(i),
                            format!(
                                "{which} host \"{host}\" contains characters a host name can't have."
                            ),
                        );
                    }
                    if hop.port == 0 {
                        push(
                            Field::SshHop(i),
                            format!("{which} port must be between 1 and 65535."),
                        );
                    }
                    if let SshAuth::Key { path } = &hop.auth
                        && path.as_os_str().is_empty()
                    {
                        push(Field::SshHop(i), format!("{which}: choose a private key file."));
                    }
                }
            }
        }
        if s.keepalive_secs > 3600 {
            push(
                Field::SshTimeouts,
                "SSH keepalive must be between 0 (off) and 3600 seconds.".into(),
            );
        }
        if s.connect_timeout_secs == 0 || s.connect_timeout_secs > 600 {
            push(Field::SshTimeouts, "SSH timeout must be between 1 and 600 seconds.".into());
        }
    }
}

/// Form fields a validation message can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Field {
    Name,
    Host,
    Port,
    Database,
    User,
    SslMode,
    CaFile,
    ConnectTimeout,
    ApplicationName,
    Ssh,
    /// The `~/.ssh/config` alias.
    SshAlias,
    /// SSH hop in profile order: 0 = the bastion, `i` = `jump_hosts[i - 1]`.
    SshHop(usize),
    /// SSH keepalive interval and timeout.
    SshTimeouts,
    /// IAM: cluster identifier or workgroup name.
    IamTarget,
    IamRegion,
    IamDuration,
    /// IAM: DB user, DB groups, auto-create.
    IamDbUser,
    AwsProfile,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationIssue {
    pub field: Field,
    pub message: String,
}

impl fmt::Display for ValidationIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parts of a host field into which someone pasted `host:port/db`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastedHost {
    pub host: String,
    pub port: Option<u16>,
    pub database: Option<String>,
}

/// If `host` carries a `:port` and/or `/database` tail (or a scheme), return the split parts.
pub fn split_pasted_host(host: &str) -> Option<PastedHost> {
    let mut rest = host;
    let mut had_scheme = false;
    if let Some(i) = rest.find("://") {
        rest = &rest[i + 3..];
        had_scheme = true;
    }
    if let Some(i) = rest.rfind('@') {
        rest = &rest[i + 1..];
        had_scheme = true;
    }
    let (hostport, database) = match rest.split_once('/') {
        Some((hp, db)) => {
            let db = db.split(['?', '/']).next().unwrap_or("").to_string();
            (hp, if db.is_empty() { None } else { Some(db) })
        }
        None => (rest, None),
    };
    // An IPv6 literal in brackets keeps its colons.
    let (h, port) = if let Some(stripped) = hostport.strip_prefix('[') {
        match stripped.split_once(']') {
            Some((h6, tail)) => {
                (h6.to_string(), tail.strip_prefix(':').and_then(|p| p.parse::<u16>().ok()))
            }
            None => return None,
        }
    } else if hostport.matches(':').count() == 1 {
        let (h, p) = hostport.split_once(':').unwrap_or((hostport, ""));
        match p.parse::<u16>() {
            Ok(port) => (h.to_string(), Some(port)),
            Err(_) => return None,
        }
    } else {
        (hostport.to_string(), None)
    };
    if h.is_empty() {
        return None;
    }
    if port.is_none() && database.is_none() && !had_scheme {
        return None;
    }
    Some(PastedHost { host: h, port, database })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Profile {
        let mut p = Profile::new(Engine::Redshift);
        p.host = "examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com".into();
        p.user = "admin".into();
        p
    }

    fn iam_profile() -> Profile {
        let mut p = Profile::new(Engine::Redshift);
        p.host = "bastion-side.example.internal".into();
        p.auth.method = AuthMethod::Iam;
        p.auth.cluster_id = "examplecluster".into();
        p.auth.region = "us-west-2".into();
        p
    }

    #[test]
    fn iam_auth_round_trips_and_old_files_read_as_password() {
        let mut p = iam_profile();
        p.auth.db_user = "etl".into();
        p.auth.db_groups = vec!["analysts".into(), "readers".into()];
        p.auth.auto_create = true;
        p.auth.duration_secs = 900;
        p.auth.aws_profile = "prod-sso".into();
        let text = toml::to_string(&p).unwrap();
        assert!(text.contains("[auth]") && text.contains("method = \"iam\""), "{text}");
        let back: Profile = toml::from_str(&text).unwrap();
        assert_eq!(back, p);
        let plain = toml::to_string(&Profile::new(Engine::Postgres)).unwrap();
        assert!(!plain.contains("[auth]"), "password auth is not written: {plain}");
        let old: Profile = toml::from_str("name = \"old\"\nhost = \"h\"\nuser = \"u\"\n").unwrap();
        assert_eq!(old.auth.method, AuthMethod::Password);
        assert!(old.validate().is_empty(), "{:?}", old.validate());
        let serverless: Profile =
            toml::from_str("host = \"h\"\n[auth]\nmethod = \"iam-serverless\"\nworkgroup = \"wg-1\"\nregion = \"eu-west-1\"\n")
                .unwrap();
        assert_eq!(serverless.auth.method, AuthMethod::IamServerless);
        assert_eq!(serverless.auth.duration_secs, 3600, "a missing duration is the maximum");
        assert!(serverless.validate().is_empty(), "{:?}", serverless.validate());
    }

    #[test]
    fn iam_validation_names_each_field() {
        let p = iam_profile();
        assert!(p.validate().is_empty(), "no user needed with IAM: {:?}", p.validate());
        let fields = |p: &Profile| p.validate().into_iter().map(|i| i.field).collect::<Vec<_>>();
        let mut bad = iam_profile();
        bad.auth.cluster_id = "Bad Cluster".into();
        bad.auth.region = "mars".into();
        bad.auth.duration_secs = 899;
        bad.auth.db_groups = vec!["a b".into()];
        bad.auth.aws_profile = "x y".into();
        let f = fields(&bad);
        for want in [
            Field::IamTarget,
            Field::IamRegion,
            Field::IamDuration,
            Field::IamDbUser,
            Field::AwsProfile,
        ] {
            assert!(f.contains(&want), "{want:?} missing from {f:?}");
        }
        let mut long = iam_profile();
        long.auth.duration_secs = 3601;
        assert_eq!(fields(&long), vec![Field::IamDuration]);
        long.auth.duration_secs = 3600;
        assert!(fields(&long).is_empty());
        let mut sl = iam_profile();
        sl.auth.method = AuthMethod::IamServerless;
        assert_eq!(fields(&sl), vec![Field::IamTarget], "serverless needs a workgroup");
        sl.auth.workgroup = "wg".into();
        assert_eq!(fields(&sl), vec![Field::IamTarget], "too short");
        sl.auth.workgroup = "analytics-wg".into();
        sl.auth.db_user = "etl".into();
        assert_eq!(fields(&sl), vec![Field::IamDbUser]);
        let mut pw = iam_profile();
        pw.auth.method = AuthMethod::Password;
        assert_eq!(fields(&pw), vec![Field::User], "password auth needs a user again");
    }

    #[test]
    fn iam_fields_prefill_from_aws_host_names_only_where_empty() {
        let mut a = AuthSettings::default();
        assert_eq!(
            a.fill_from_host("examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com"),
            Some(AuthMethod::Iam)
        );
        assert_eq!((a.cluster_id.as_str(), a.region.as_str()), ("examplecluster", "us-west-2"));
        assert_eq!(
            a.fill_from_host("other.abc.eu-west-1.redshift.amazonaws.com"),
            Some(AuthMethod::Iam)
        );
        assert_eq!(a.cluster_id, "examplecluster", "typed values are kept");
        let mut s = AuthSettings::default();
        assert_eq!(
            s.fill_from_host("wg.123456789012.eu-central-1.redshift-serverless.amazonaws.com"),
            Some(AuthMethod::IamServerless)
        );
        assert_eq!((s.workgroup.as_str(), s.region.as_str()), ("wg", "eu-central-1"));
        assert_eq!(AuthSettings::default().fill_from_host("db.internal.example.com"), None);
        assert_eq!(AuthMethod::parse("IAM-Serverless"), Some(AuthMethod::IamServerless));
        assert_eq!(AuthMethod::parse("kerberos"), None);
    }

    #[test]
    fn defaults_follow_engine() {
        let p = Profile::new(Engine::Redshift);
        assert_eq!((p.port, p.database.as_str(), p.sslmode), (5439, "dev", SslMode::VerifyFull));
        assert_eq!(p.connect_timeout_secs, 10);
        let p = Profile::new(Engine::Postgres);
        assert_eq!((p.port, p.database.as_str()), (5432, "postgres"));
    }

    #[test]
    fn switching_engine_keeps_typed_values() {
        let mut p = Profile::new(Engine::Redshift);
        p.set_engine(Engine::Postgres);
        assert_eq!((p.port, p.database.as_str()), (5432, "postgres"));
        p.port = 6543;
        p.database = "analytics".into();
        p.set_engine(Engine::Redshift);
        assert_eq!((p.port, p.database.as_str()), (6543, "analytics"));
    }

    #[test]
    fn valid_profile_has_no_issues() {
        assert!(valid().validate().is_empty(), "{:?}", valid().validate());
    }

    #[test]
    fn empty_host_and_user_are_reported() {
        let mut p = valid();
        p.host.clear();
        p.user.clear();
        let fields: Vec<Field> = p.validate().iter().map(|i| i.field).collect();
        assert_eq!(fields, vec![Field::Host, Field::User]);
    }

    #[test]
    fn pasted_tail_suggests_split() {
        let mut p = valid();
        p.host = "examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com:5439/dev".into();
        let issues = p.validate();
        assert_eq!(issues.len(), 1);
        assert!(
            issues[0].message.contains(
                "use host \"examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com\""
            )
        );
        assert!(issues[0].message.contains("port 5439"));
        assert!(issues[0].message.contains("database \"dev\""));
    }

    #[test]
    fn port_zero_and_timeout_out_of_range() {
        let mut p = valid();
        p.port = 0;
        p.connect_timeout_secs = 0;
        let fields: Vec<Field> = p.validate().iter().map(|i| i.field).collect();
        assert_eq!(fields, vec![Field::Port, Field::ConnectTimeout]);
    }

    #[test]
    fn ca_file_with_non_verifying_mode_is_flagged() {
        let mut p = valid();
        p.ca_file = Some("/tmp/ca.pem".into());
        p.sslmode = SslMode::Require;
        assert_eq!(p.validate()[0].field, Field::CaFile);
        p.sslmode = SslMode::VerifyCa;
        assert!(p.validate().is_empty());
    }

    #[test]
    fn split_handles_ipv6_and_plain_hosts() {
        assert_eq!(split_pasted_host("db.example.com"), None);
        assert_eq!(split_pasted_host("::1"), None);
        let s = split_pasted_host("[::1]:5432/postgres").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.database.as_deref()),
            ("::1", Some(5432), Some("postgres"))
        );
        let s = split_pasted_host("postgresql://u@h.example/db?sslmode=require").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.database.as_deref()),
            ("h.example", None, Some("db"))
        );
    }

    #[test]
    fn ssh_issues_point_at_their_hop_alias_or_timeouts() {
        let mut p = valid();
        p.ssh.enabled = true;
        p.ssh.bastion.host = "bastion.example.com".into();
        p.ssh
            .jump_hosts
            .push(SshHop { auth: SshAuth::Key { path: "".into() }, ..SshHop::default() });
        p.ssh.connect_timeout_secs = 0;
        let fields: Vec<Field> = p.validate().iter().map(|i| i.field).collect();
        assert_eq!(fields, vec![Field::SshHop(1), Field::SshHop(1), Field::SshTimeouts]);
        p.ssh.config_alias = Some("  ".into());
        p.ssh.connect_timeout_secs = 10;
        let fields: Vec<Field> = p.validate().iter().map(|i| i.field).collect();
        assert_eq!(fields, vec![Field::SshAlias], "an alias replaces the hop fields");
        p.ssh.config_alias = Some("db-bastion".into());
        assert!(p.validate().is_empty());
        p.ssh.enabled = false;
        p.ssh.config_alias = Some(String::new());
        assert!(p.validate().is_empty(), "direct connections ignore the SSH fields");
    }

    #[test]
    fn sslmode_round_trips_through_text() {
        for m in SslMode::ALL {
            assert_eq!(SslMode::parse(m.as_str()), Some(m));
        }
        assert_eq!(SslMode::parse("VERIFY-FULL"), Some(SslMode::VerifyFull));
        assert_eq!(SslMode::parse("bogus"), None);
    }
}
