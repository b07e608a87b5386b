//! `keyhaven`: the vault from terminals and scripts. Thin over keyhaven-core:
//! parse, read input, call core, print.

mod cli;
mod commands;
mod exit;
mod input;
mod output;
mod terminal;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // First, while this is the only thread: nothing started later inherits them.
    let passphrases = input::PassphraseEnv::take();
    let cli = cli::Cli::parse();
    init_logging();
    match commands::dispatch(cli, passphrases) {
        Ok(code) => code,
        // A reader that went away (`keyhaven ls | head`) is not an error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("keyhaven: {err:#}");
            exit::code_for(&err)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Logs go to stderr, off unless RUST_LOG asks. Nothing logged carries a value.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
