//! Entry point: parse the command line; no subcommand opens the desktop app.
//! The process owns one multi-thread tokio runtime; the GUI gets its handle injected.

use clap::Parser;

/// mimalloc, not the system allocator: the embedded simulator's catalog queries build and drop
/// tens of megabytes of rows per query, which glibc returns to the kernel and faults back in every
/// time (README, Stack: measured 25 % on the 10,000-table columns listing). The simulator's
/// benchmark uses the same allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = shiftgate::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SHIFTGATE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("shiftgate-io")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            std::process::exit(2);
        }
    };
    let result = if cli.command.is_none() {
        let mut opts = shiftgate::gui::GuiOptions::new(rt.handle().clone());
        opts.config_dir = cli.config_dir.clone();
        opts.exit_after_frames = cli.exit_after_frames;
        let (secrets, why_not_keychain) = shiftgate::store::secret_choice::open_secret_store(true);
        if let Some(line) = why_not_keychain {
            eprintln!("{line}");
        }
        opts.secrets = Some(secrets);
        shiftgate::gui::run(opts).map_err(shiftgate::cli::CliError::new)
    } else {
        shiftgate::cli::run(cli, &rt)
    };
    if let Err(e) = result {
        if !e.message.is_empty() {
            eprintln!("error: {}", e.message);
        }
        std::process::exit(e.code);
    }
}
