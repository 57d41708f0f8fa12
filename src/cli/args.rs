//! Command-line grammar (clap derive).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// The environment variables Shiftgate reads, listed under `--help` and in the man page.
pub const ENVIRONMENT_HELP: &str = "\
Environment:
  SHIFTGATE_CONFIG_DIR      Directory of profiles.toml, known_hosts and UI state (like --config-dir)
  SHIFTGATE_LOG             Log filter for standard error, e.g. info or shiftgate=debug (default: warn)
  PGPASSWORD                Database password when a profile has none saved (CLI)
  PGSYSCONFDIR              Where `import` looks for pg_service.conf
  SSH_AUTH_SOCK             The SSH agent used by profiles with agent authentication
  USER, LOGNAME             Default SSH user when a profile names none
  DBUS_SESSION_BUS_ADDRESS  The session bus of the Secret Service keychain (Linux)
  XDG_CONFIG_HOME           Base of the default config dir (Linux): $XDG_CONFIG_HOME/shiftgate
  DISPLAY, WAYLAND_DISPLAY  The display the window opens on";

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
    /// Schemas, comma-separated ('*' = all discovered).
    #[arg(long)]
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
}
