//! Keyhaven's desktop app: a Tauri 2 shell. Every command is a thin call into
//! keyhaven-core (commands.rs); the session (session.rs) holds the one open
//! vault; values reach the webview only when the user reveals one, and copies
//! go to the clipboard from Rust (clipboard.rs), which clears them again.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod clipboard;
mod commands;
mod error;
mod session;

use std::sync::Mutex;

use keyhaven_core::Vault;

/// Everything the commands share.
pub struct AppState {
    pub session: Mutex<session::Session>,
    pub clipboard: clipboard::Clipboard,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let path = match std::env::var_os("KEYHAVEN_VAULT") {
        Some(path) => path.into(),
        None => {
            Vault::default_path().ok_or_else(|| anyhow::anyhow!("no home directory: set KEYHAVEN_VAULT"))?
        }
    };
    let state = AppState { session: Mutex::new(session::Session::new(path)), clipboard: Default::default() };
    tauri::Builder::default()
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::vault_state,
            commands::create_vault,
            commands::unlock,
            commands::lock,
            commands::list_secrets,
            commands::secret_history,
            commands::reveal_secret,
            commands::copy_secret,
            commands::add_secret,
            commands::rotate_secret,
            commands::rollback_secret,
            commands::remove_secret,
        ])
        .run(tauri::generate_context!())?;
    Ok(())
}
