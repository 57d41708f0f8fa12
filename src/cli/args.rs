//! Command-line grammar (clap derive).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "shiftgate", version, about = "Connection profiles, connection diagnosis and least-privilege catalog users for Amazon Redshift and PostgreSQL.\nWithout a subcommand, opens the desktop app.")]
pub struct Cli {
    /// Directory holding profiles.toml (default: the platform config dir; env SHIFTGATE_CONFIG_DIR).
    #[arg(long, global = true, env = "SHIFTGATE_CONFIG_DIR")]
    pub config_dir: Option<PathBuf>,
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
    Rm {
        name: String,
    },
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
