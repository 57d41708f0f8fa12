//! Command-line grammar (clap derive).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// The environment variables Shiftgate reads, listed under `--help` and in the man page.
pub const ENVIRONMENT_HELP: &str = "\
Environment:
  SHIFTGATE_CONFIG_DIR      Directory of profiles.toml, known_hosts and UI state (like --config-dir)
  SHIFTGATE_LOG             Log filter for standard error, e.g. info or shiftgate=debug (default: warn)
  PGPASSWORD                Database password when a profile has none saved (CLI)
  SHIFTGATE_SSH_PASSPHRASE  SSH key passphrase when none is saved (CLI, every hop)
  SHIFTGATE_SSH_PASSWORD    SSH password when none is saved (CLI, every hop)
  PGSYSCONFDIR              Where `import` looks for pg_service.conf
  SSH_AUTH_SOCK             The SSH agent used by profiles with agent authentication
  USER, LOGNAME             Default SSH user when a profile names none
  DBUS_SESSION_BUS_ADDRESS  The session bus of the Secret Service keychain (Linux)
  XDG_CONFIG_HOME           Base of the default config dir (Linux): $XDG_CONFIG_HOME/shiftgate
  DISPLAY, WAYLAND_DISPLAY  The display the window opens on
  AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION,
  AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_WEB_IDENTITY_TOKEN_FILE,
  AWS_EC2_METADATA_DISABLED and the rest of the AWS SDK's credential chain
                            AWS credentials of IAM profiles (read by aws-config; never saved)
  AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_REDSHIFT,
  AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS
                            Endpoint overrides for the IAM calls (VPC endpoints, test doubles)";

#[derive(Debug, Parser)]
#[command(
    name = "shiftgate",
    version,
    about = "Connection profiles, connection diagnosis and least-privilege catalog users for Amazon Redshift and PostgreSQL.\nWithout a subcommand, opens the desktop app.",
    after_help = ENVIRONMENT_HELP
)]
pub struct Cli {
    /// Directory holding profiles.toml (default: the platform config dir; env SHIFTGATE_CONFIG_DIR).
    #[arg(long, global = true, env = "SHIFTGATE_CONFIG_DIR")]
    pub config_dir: Option<PathBuf>,
    /// Trust and remember an SSH host key seen for the first time (otherwise unknown keys are refused).
    #[arg(long, global = true)]
    pub accept_new_host_key: bool,
    /// GUI only: exit after this many frames (smoke tests).
    #[arg(long, hide = true)]
    pub exit_after_frames: Option<u64>,
    #[command(subcommand)]
    pub command: Option<CliCommand>,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Manage saved connection profiles.
    Profiles {
        #[command(subcommand)]
        action: ProfilesAction,
    },
    /// Staged connection test of a saved profile (or of --host … without one).
    Test(TestArgs),
    /// Create the read-only catalog user (discovers schemas and owners as the admin profile).
    Setup(SetupArgs),
    /// Log in as the catalog user and prove what it can see and read.
    Verify(VerifyArgs),
    /// Remove the catalog user, its group/role, grants and default privileges.
    Teardown(TeardownArgs),
    /// As the admin: who can read and write what, and drift against the applied setup plans.
    Audit(AuditArgs),
    /// Remove what the vendor's original setup SQL left behind.
    CleanupVendor(CleanupArgs),
    /// Import profiles from pgpass, pg_service.conf, dbt profiles.yml, pgAdmin, DBeaver or a Shiftgate export.
    Import {
        file: PathBuf,
        /// pgpass | pg_service | dbt | pgadmin | dbeaver | shiftgate (default: detected).
        #[arg(long)]
        format: Option<String>,
        /// Show what would be created / updated / skipped, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// What to do with every entry that matches an existing profile: replace (update it),
        /// skip, or keep-both (import it as a new profile, renamed if the name is taken).
        #[arg(long, value_name = "CHOICE", default_value = "replace")]
        on_conflict: String,
        /// The choice for one such entry, by the existing profile's name: NAME=replace|skip|keep-both
        /// (repeatable; overrides --on-conflict for it).
        #[arg(long, value_name = "NAME=CHOICE")]
        choose: Vec<String>,
    },
    /// Export profiles (all, or the named ones) as TOML or JSON, without any secret.
    Export {
        profiles: Vec<String>,
        #[arg(long)]
        json: bool,
        /// Write to this file instead of standard output.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// Which secret store is active; forget saved secrets.
    Secrets {
        #[command(subcommand)]
        action: SecretsAction,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard output.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to standard output; packages install it as shiftgate(1).
    Manpage,
    /// Start the built-in Redshift simulator and open the app on a demo profile.
    #[cfg(feature = "demo")]
    Demo {
        /// Loopback port for the simulator (a free one is used if it is taken).
        #[arg(long, default_value_t = 5439)]
        port: u16,
        /// Only run the simulator (until Ctrl+C), no window.
        #[arg(long)]
        no_gui: bool,
    },
}

/// Group or RBAC role for the catalog user's privileges.
#[derive(Debug, Args, Clone, Default)]
pub struct AccessArgs {
    /// Use a Redshift RBAC role instead of a user group.
    #[arg(long)]
    pub rbac: bool,
    /// Group name (default: <user>_ro).
    #[arg(long, conflicts_with_all = ["rbac", "role"])]
    pub group: Option<String>,
    /// Role name (default with --rbac: <user>_reader).
    #[arg(long)]
    pub role: Option<String>,
}

/// What the catalog user gets: schemas, group/role, extra owners, datashares, svv_table_info.
#[derive(Debug, Args, Clone)]
pub struct PlanArgs {
    /// Schemas, comma-separated ('*' = all discovered; teardown reads them from the setup record).
    #[arg(long, default_value = "")]
    pub schemas: String,
    #[command(flatten)]
    pub access: AccessArgs,
    /// Extra creators of future tables: SCHEMA=OWNER[,OWNER…] (repeatable).
    #[arg(long)]
    pub owner: Vec<String>,
    /// Datashare consumer databases to grant USAGE on (Redshift), comma-separated.
    #[arg(long)]
    pub datashares: Option<String>,
    /// Also grant SELECT on pg_catalog.svv_table_info (Redshift table statistics).
    #[arg(long)]
    pub svv_table_info: bool,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Admin profile to run as.
    #[arg(long)]
    pub profile: String,
    /// Catalog user to create.
    #[arg(long)]
    pub user: String,
    #[command(flatten)]
    pub plan: PlanArgs,
    #[arg(long)]
    pub connection_limit: Option<u32>,
    /// Read the catalog user's password from this environment variable (default: generate one).
    #[arg(long)]
    pub password_env: Option<String>,
    /// Print the SQL (default).
    #[arg(long, conflicts_with = "apply")]
    pub print_sql: bool,
    /// Run it as the admin.
    #[arg(long)]
    pub apply: bool,
    /// Show the password in printed SQL instead of ********.
    #[arg(long)]
    pub reveal_password: bool,
    /// Also REVOKE CREATE ON SCHEMA public from the group/role.
    #[arg(long)]
    pub revoke_public_create: bool,
    /// The catalog tool logs in with IAM temporary credentials: the user gets PASSWORD DISABLE
    /// (no password to keep or rotate), and the IAM policy its AWS identity needs is printed.
    #[arg(long)]
    pub iam_login: bool,
    /// IAM policy: cluster identifier (default: the admin profile's IAM settings or host name).
    #[arg(long, requires = "iam_login")]
    pub cluster_id: Option<String>,
    /// IAM policy: AWS region (default: the admin profile's IAM settings or host name).
    #[arg(long, requires = "iam_login")]
    pub region: Option<String>,
    /// IAM policy: the 12-digit AWS account id (default: * , any account).
    #[arg(long, requires = "iam_login")]
    pub aws_account: Option<String>,
    /// Write the IAM policy JSON to this file too (with --iam-login).
    #[arg(long, requires = "iam_login")]
    pub iam_policy_out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The catalog user's profile.
    #[arg(long)]
    pub profile: String,
    #[command(flatten)]
    pub plan: PlanArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Admin profile to run as (its applied setup plans are the drift baseline).
    #[arg(long)]
    pub profile: String,
    /// A user, group or role to report (repeatable; default: every non-superuser).
    #[arg(long)]
    pub grantee: Vec<String>,
    /// Schemas to report, comma-separated (default: all but the system schemas).
    #[arg(long)]
    pub schemas: Option<String>,
    /// Print the whole audit as JSON (every schema and table, readable or not).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print the matrix as CSV (one row per grantee and schema).
    #[arg(long)]
    pub csv: bool,
    /// Print the SQL that converges the drift.
    #[arg(long, conflicts_with = "apply")]
    pub print_sql: bool,
    /// Run the converge SQL as the admin, then record the converged plan with the profile.
    #[arg(long)]
    pub apply: bool,
    /// Also grant schemas no plan covers (adding them to the plan) when converging.
    #[arg(long)]
    pub adopt_new_schemas: bool,
}

#[derive(Debug, Args)]
pub struct TeardownArgs {
    #[arg(long)]
    pub profile: String,
    #[arg(long)]
    pub user: String,
    #[command(flatten)]
    pub plan: PlanArgs,
    #[arg(long, conflicts_with = "apply")]
    pub print_sql: bool,
    #[arg(long)]
    pub apply: bool,
    /// Keep the user: remove only the catalog grants (a reused user is always kept).
    #[arg(long)]
    pub grants_only: bool,
    /// Other databases setup granted in, comma-separated: one revoke script each, then the drops.
    #[arg(long)]
    pub databases: Option<String>,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    #[arg(long)]
    pub profile: String,
    /// The user the vendor script created (e.g. metamapper).
    #[arg(long)]
    pub user: String,
    /// Schemas the vendor script granted on, comma-separated.
    #[arg(long, default_value = "")]
    pub schemas: String,
    /// Who ran the vendor script (its default privileges belong to them; default: the admin).
    #[arg(long)]
    pub ran_by: Vec<String>,
    #[arg(long, conflicts_with = "apply")]
    pub print_sql: bool,
    #[arg(long)]
    pub apply: bool,
}

/// Connection fields shared by `profiles add|edit` and `test`.
#[derive(Debug, Args, Default, Clone)]
pub struct ConnectionFields {
    /// redshift | postgres
    #[arg(long)]
    pub engine: Option<String>,
    #[arg(long)]
    pub host: Option<String>,
    #[arg(long)]
    pub port: Option<u16>,
    #[arg(long, short = 'd')]
    pub database: Option<String>,
    #[arg(long, short = 'U')]
    pub user: Option<String>,
    /// disable | allow | prefer | require | verify-ca | verify-full
    #[arg(long)]
    pub sslmode: Option<String>,
    /// PEM file with the CA certificate(s) to trust (verify-ca / verify-full).
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// Connect timeout in seconds.
    #[arg(long)]
    pub timeout: Option<u32>,
    #[arg(long)]
    pub application_name: Option<String>,
}

/// SSH tunnel and password-command flags of `profiles add|edit`.
#[derive(Debug, Args, Default, Clone)]
pub struct SshFields {
    /// SSH bastion host (turns the tunnel on).
    #[arg(long)]
    pub ssh_host: Option<String>,
    /// SSH port of the bastion (default 22).
    #[arg(long)]
    pub ssh_port: Option<u16>,
    /// SSH user on the bastion (default: your local user name).
    #[arg(long)]
    pub ssh_user: Option<String>,
    /// Private key file for the bastion (implies --ssh-auth key).
    #[arg(long, value_name = "FILE")]
    pub ssh_key: Option<PathBuf>,
    /// How to log in to the bastion: key | password | agent.
    #[arg(long, value_name = "METHOD")]
    pub ssh_auth: Option<String>,
    /// Take the hops from this ~/.ssh/config Host alias (turns the tunnel on).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["ssh_host", "jump"])]
    pub ssh_alias: Option<String>,
    /// Jump host before the bastion, [user@]host[:port][,key=FILE|,password|,agent]; repeat in
    /// connection order. Replaces the profile's jump hosts.
    #[arg(long, value_name = "SPEC")]
    pub jump: Vec<String>,
    /// Remove every jump host.
    #[arg(long, conflicts_with = "jump")]
    pub no_jump: bool,
    /// SSH keepalive interval in seconds (0 = off).
    #[arg(long, value_name = "SECS")]
    pub ssh_keepalive: Option<u32>,
    /// Timeout of each SSH connect, handshake, login and channel open, in seconds.
    #[arg(long, value_name = "SECS")]
    pub ssh_timeout: Option<u32>,
    /// Ask for SSH passphrases and passwords every time instead of the keychain.
    #[arg(long)]
    pub ssh_ask_every_time: bool,
    /// Connect directly (turn the SSH tunnel off; its settings are kept).
    #[arg(long, conflicts_with_all = ["ssh_host", "ssh_alias", "jump"])]
    pub no_ssh: bool,
    /// Command whose standard output is the database password (e.g. a token helper); "" clears it.
    #[arg(long, value_name = "CMD")]
    pub password_command: Option<String>,
}

/// Auth method and IAM flags of `profiles add|edit`.
#[derive(Debug, Args, Default, Clone)]
pub struct IamFields {
    /// password | iam (provisioned cluster) | iam-serverless (serverless workgroup).
    #[arg(long, value_name = "METHOD")]
    pub auth: Option<String>,
    /// IAM: cluster identifier (filled from a *.redshift.amazonaws.com host when omitted).
    #[arg(long, value_name = "ID")]
    pub cluster_id: Option<String>,
    /// IAM: serverless workgroup name (filled from a *.redshift-serverless host when omitted).
    #[arg(long, value_name = "NAME")]
    pub workgroup: Option<String>,
    /// IAM: AWS region of the cluster or workgroup.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// IAM: DbUser for GetClusterCredentials; "" = GetClusterCredentialsWithIAM (log in as the
    /// IAM identity).
    #[arg(long, value_name = "USER")]
    pub db_user: Option<String>,
    /// IAM: database groups to join, comma-separated; "" clears.
    #[arg(long, value_name = "G1,G2")]
    pub db_groups: Option<String>,
    /// IAM: create the database user if it does not exist (AutoCreate).
    #[arg(long, conflicts_with = "no_auto_create")]
    pub auto_create: bool,
    /// IAM: turn AutoCreate off.
    #[arg(long)]
    pub no_auto_create: bool,
    /// IAM: lifetime of the temporary password, 900–3600 seconds.
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<u32>,
    /// IAM: profile in ~/.aws/config; "" = the default credential chain.
    #[arg(long, value_name = "PROFILE")]
    pub aws_profile: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SecretsAction {
    /// Show the active store (OS keychain or memory only) and why the keychain is not used.
    Status,
    /// Delete a profile's saved database password and SSH secrets from the keychain.
    Forget { profile: String },
}

#[derive(Debug, Subcommand)]
pub enum ProfilesAction {
    /// Add a profile.
    Add {
        /// Profile name.
        name: String,
        #[command(flatten)]
        fields: ConnectionFields,
        #[command(flatten)]
        ssh: Box<SshFields>,
        #[command(flatten)]
        iam: Box<IamFields>,
        #[arg(long)]
        notes: Option<String>,
        /// Ask for the password every time instead of saving it in the keychain.
        #[arg(long)]
        ask_every_time: bool,
    },
    /// List profiles.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one profile.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Change fields of a profile.
    Edit {
        name: String,
        /// New name.
        #[arg(long)]
        rename: Option<String>,
        #[command(flatten)]
        fields: ConnectionFields,
        #[command(flatten)]
        ssh: Box<SshFields>,
        #[command(flatten)]
        iam: Box<IamFields>,
        #[arg(long)]
        notes: Option<String>,
    },
    /// Remove a profile.
    Rm { name: String },
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Saved profile name or id; omit to test the --host … fields alone.
    pub profile: Option<String>,
    #[command(flatten)]
    pub fields: ConnectionFields,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Only the SSH tunnel: every hop, then a channel to the database host and port (no TLS, no
    /// login), like "Test tunnel" in the app.
    #[arg(long)]
    pub tunnel_only: bool,
}
