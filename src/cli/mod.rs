//! Headless subcommands. Every GUI capability is scriptable here; the CLI prints the same task
//! events the GUI draws. Exit code 0 only on success.

pub mod args;
pub mod audit_cmd;
pub mod connection;
#[cfg(feature = "demo")]
pub mod demo_cmd;
pub mod profiles_cmd;
pub mod provision_cmd;
pub mod secrets_cmd;
pub mod test_cmd;
pub mod transfer_cmd;

pub use args::{Cli, CliCommand};

use crate::store::profiles::{ProfileStore, default_config_dir};
use std::path::PathBuf;

/// A failure that ends the command with a message and exit code.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub code: i32,
}

impl CliError {
    pub fn new(message: impl Into<String>) -> Self {
        CliError { message: message.into(), code: 2 }
    }
    /// The command ran but its check failed (connection failed, verify found gaps): exit 1.
    pub fn failed(message: impl Into<String>) -> Self {
        CliError { message: message.into(), code: 1 }
    }
}

impl<E: std::fmt::Display> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError::new(e.to_string())
    }
}

pub type CliResult = Result<(), CliError>;

/// The config directory from `--config-dir`, else `$SHIFTGATE_CONFIG_DIR`, else the platform's.
pub fn config_dir(flag: &Option<PathBuf>) -> Result<PathBuf, CliError> {
    match flag {
        Some(d) => Ok(d.clone()),
        None => default_config_dir().map_err(CliError::from),
    }
}

pub fn open_store(flag: &Option<PathBuf>) -> Result<ProfileStore, CliError> {
    let dir = config_dir(flag)?;
    let store = ProfileStore::open(&dir)?;
    match &store.notice {
        Some(crate::store::profiles::LoadNotice::MovedAside { backup, reason }) => eprintln!(
            "warning: the profiles file could not be read ({reason}); it was moved to {}",
            backup.display()
        ),
        Some(notice @ crate::store::profiles::LoadNotice::ReadOnly { .. }) => {
            eprintln!("note: {}", notice.describe())
        }
        None => {}
    }
    Ok(store)
}

/// Run a parsed command line on the given runtime.
pub fn run(cli: Cli, rt: &tokio::runtime::Runtime) -> CliResult {
    match cli.command {
        Some(CliCommand::Profiles { action }) => profiles_cmd::run(&cli.config_dir, action),
        Some(CliCommand::Test(args)) => {
            test_cmd::run(&cli.config_dir, cli.accept_new_host_key, args, rt)
        }
        Some(CliCommand::Setup(args)) => {
            provision_cmd::setup(&cli.config_dir, cli.accept_new_host_key, args, rt)
        }
        Some(CliCommand::Verify(args)) => {
            provision_cmd::verify(&cli.config_dir, cli.accept_new_host_key, args, rt)
        }
        Some(CliCommand::Audit(args)) => {
            audit_cmd::run(&cli.config_dir, cli.accept_new_host_key, args, rt)
        }
        Some(CliCommand::Teardown(args)) => {
            provision_cmd::teardown(&cli.config_dir, cli.accept_new_host_key, args, rt)
        }
        Some(CliCommand::CleanupVendor(args)) => {
            provision_cmd::cleanup_vendor(&cli.config_dir, cli.accept_new_host_key, args, rt)
        }
        Some(CliCommand::Import { file, format, dry_run, on_conflict, choose }) => {
            let choices = transfer_cmd::Choices::parse(&on_conflict, &choose)?;
            transfer_cmd::import_file(&cli.config_dir, &file, format, dry_run, &choices)
        }
        Some(CliCommand::Export { profiles, json, output }) => {
            transfer_cmd::export(&cli.config_dir, &profiles, json, output.as_deref())
        }
        Some(CliCommand::Secrets { action: args::SecretsAction::Status }) => secrets_cmd::status(),
        Some(CliCommand::Secrets { action: args::SecretsAction::Forget { profile } }) => {
            secrets_cmd::forget(&cli.config_dir, &profile)
        }
        Some(CliCommand::Completions { shell }) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "shiftgate", &mut std::io::stdout());
            Ok(())
        }
        Some(CliCommand::Manpage) => write_manpage(&mut std::io::stdout()),
        #[cfg(feature = "demo")]
        Some(CliCommand::Demo { port, no_gui }) => demo_cmd::run(&cli.config_dir, port, no_gui, rt),
        None => Err(CliError::new("no subcommand (the GUI is started by main)")),
    }
}

/// The man page, generated from the same clap definition as `--help` (never hand-written).
pub fn write_manpage(out: &mut dyn std::io::Write) -> CliResult {
    let command = <Cli as clap::CommandFactory>::command();
    let man = clap_mangen::Man::new(command);
    let io = |e: std::io::Error| CliError::new(format!("could not write the man page: {e}"));
    man.render_title(out).map_err(io)?;
    man.render_name_section(out).map_err(io)?;
    man.render_synopsis_section(out).map_err(io)?;
    man.render_description_section(out).map_err(io)?;
    man.render_options_section(out).map_err(io)?;
    man.render_subcommands_section(out).map_err(io)?;
    writeln!(out, ".SH ENVIRONMENT").map_err(io)?;
    for line in args::ENVIRONMENT_HELP.lines().skip(1) {
        let line = line.trim_start();
        let (name, what) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        writeln!(out, ".TP\n\\fB{}\\fR\n{}", name, what.trim().replace('-', "\\-")).map_err(io)?;
    }
    writeln!(out, ".SH FILES\n.TP\n\\fI$XDG_CONFIG_HOME/shiftgate/profiles.toml\\fR")
        .map_err(io)?;
    writeln!(out, "Connection profiles (mode 0600, directory 0700). No password is stored there.")
        .map_err(io)?;
    man.render_version_section(out).map_err(io)?;
    Ok(())
}
