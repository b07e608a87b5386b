//! `keyhaven-emulator`: serves the Runloop, Runtype and RunTools secrets APIs on
//! local listeners, prints the bound addresses as one JSON line, and runs until
//! killed.

use std::{net::SocketAddr, path::PathBuf};

use clap::Parser;
use keyhaven_emulator::{Config, Dialect, serve};

#[derive(Parser)]
#[command(name = "keyhaven-emulator", version, about)]
struct Args {
    /// Serve the Runloop dialect here (e.g. 127.0.0.1:0 for any free port)
    #[arg(long, value_name = "ADDR")]
    runloop: Option<SocketAddr>,
    /// Serve the Runtype dialect here
    #[arg(long, value_name = "ADDR")]
    runtype: Option<SocketAddr>,
    /// Serve the RunTools dialect here
    #[arg(long, value_name = "ADDR")]
    runtools: Option<SocketAddr>,
    /// Keep state in this SQLite file (survives restarts) instead of memory
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// An accepted API token (repeatable). Default: `emulator-token`
    #[arg(long = "token", value_name = "T")]
    tokens: Vec<String>,
    /// A RunTools org-admin token (repeatable): may write and reveal org-wide secrets
    #[arg(long = "admin-token", value_name = "T")]
    admin_tokens: Vec<String>,
    /// Enable the test-only /_emulator/… routes (faults, state dump, reset)
    #[arg(long)]
    admin: bool,
    /// Runtype intake manifests to serve, as a JSON file
    #[arg(long, value_name = "FILE")]
    intake: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let mut listeners: Vec<(Dialect, SocketAddr)> = [
        (Dialect::Runloop, args.runloop),
        (Dialect::Runtype, args.runtype),
        (Dialect::RunTools, args.runtools),
    ]
    .into_iter()
    .filter_map(|(dialect, addr)| addr.map(|addr| (dialect, addr)))
    .collect();
    if listeners.is_empty() {
        listeners = Dialect::ALL.iter().map(|&dialect| (dialect, loopback)).collect();
    }
    for (dialect, addr) in listeners.iter().filter(|(_, addr)| !addr.ip().is_loopback()) {
        eprintln!(
            "keyhaven-emulator: warning: {dialect} listens on {addr}, beyond this machine; its tokens guard test data only"
        );
    }
    let tokens = if args.tokens.is_empty() { vec!["emulator-token".to_owned()] } else { args.tokens };
    let config = Config {
        listeners,
        db: args.db,
        tokens,
        admin_tokens: args.admin_tokens,
        admin_routes: args.admin,
        intake: args.intake,
    };
    match serve(config).await {
        Ok(running) => {
            println!("{}", running.ready_line());
            running.wait().await;
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("keyhaven-emulator: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
