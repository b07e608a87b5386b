//! The app as the desktop's keyring (Settings, "Passwords for programs";
//! off by default): the Secret Service `keyhaven secret-service` serves
//! (crates/secret-service), over the app's own session. A program's first
//! read of an item asks in the window; while the vault is locked a client's
//! `Unlock` shows the unlock screen, and the same client reads once it is
//! unlocked. Stopping gives the name back.
//!
//! D-Bus activation (an opt-in: the user copies the package's
//! `/usr/share/keyhaven/dbus-1/org.freedesktop.secrets.service` into
//! `~/.local/share/dbus-1/services/`) starts `keyhaven-app --keyring` when a
//! program looks up a password and nobody owns the name: the app starts
//! hidden in the tray and serves, and Settings say it does. A second start
//! with the flag hands it to the running app, which starts serving before
//! that start exits, so the bus's activation sees the name taken.

use std::sync::{Arc, Mutex};

use keyhaven_core::{UnlockedVault, approval::Approvals};
use keyhaven_secret_service::{ANSWER_WITHIN, Confirm, Host, Provider, StartError};
use serde::Serialize;
use tauri::{AppHandle, Manager as _};
use ts_rs::TS;

use crate::{
    AppState,
    asking::{WindowPrompt, wait_for_unlock},
    lock, settings,
};

/// The flag the activation file starts the app with.
pub const ARG: &str = "--keyring";

/// Whether the command line asks the app to serve as the keyring.
pub fn wanted(args: &[String]) -> bool {
    args.iter().skip(1).any(|arg| arg == ARG)
}

/// Started for a program's lookup (`--keyring`): the setting turns on, as
/// the user chose by installing the activation file, and the app serves.
/// Returns once the name is owned, or the start failed (logged).
pub fn serve_when_asked(app: &AppHandle) {
    // A second start can arrive before the first has read its settings.
    if let Some(store) = app.try_state::<settings::Store>() {
        let current = store.get();
        if !current.secret_service
            && let Err(err) = store.save(settings::Settings { secret_service: true, ..current })
        {
            tracing::warn!("{}", err.message);
        }
    }
    if let Err(err) = app.state::<AppState>().secret_service.start(app) {
        tracing::warn!("started for the keyring, but the Secret Service is not served: {err}");
    }
}

/// Whether the app serves as the keyring, and why not when it tried.
#[derive(Debug, Clone, Serialize, TS)]
pub struct KeyringStatus {
    pub running: bool,
    /// Why the last start failed ("… is owned by gnome-keyring-daemon …").
    pub error: Option<String>,
}

struct Running {
    provider: Provider,
    approvals: Arc<Approvals>,
}

/// The provider while it runs.
#[derive(Default)]
pub struct Service {
    running: Mutex<Option<Running>>,
    error: Mutex<Option<String>>,
}

impl Service {
    /// Owns org.freedesktop.secrets on the session bus; an error says why
    /// not (another provider, such as gnome-keyring, owns it).
    pub fn start(&self, app: &AppHandle) -> Result<(), String> {
        let mut running = lock(&self.running);
        if running.is_some() {
            return Ok(());
        }
        let vault_path = app.state::<AppState>().session().path().to_owned();
        let approvals =
            Arc::new(Approvals::new(Box::new(WindowPrompt { app: app.clone(), within: ANSWER_WITHIN })));
        let host = Arc::new(AppHost(app.clone()));
        let started = Provider::start_blocking(vault_path, host, Confirm::Ask(approvals.clone()), false);
        let provider = started.map_err(|err| {
            let why = match err {
                StartError::Taken(_) => {
                    format!("{err}: stop it first (README, \"Use Keyhaven as your keyring\")")
                }
                err => format!("cannot serve the Secret Service: {err}"),
            };
            *lock(&self.error) = Some(why.clone());
            why
        })?;
        tracing::info!("serving the Secret Service (org.freedesktop.secrets)");
        *lock(&self.error) = None;
        *running = Some(Running { provider, approvals });
        Ok(())
    }

    /// Gives the name back.
    pub fn stop(&self) {
        if let Some(running) = lock(&self.running).take() {
            running.provider.stop();
        }
        *lock(&self.error) = None;
    }

    /// The vault locked: what was allowed until lock is asked again.
    pub fn locked(&self) {
        if let Some(running) = lock(&self.running).as_ref() {
            running.approvals.lock();
        }
    }

    pub fn status(&self) -> KeyringStatus {
        KeyringStatus { running: lock(&self.running).is_some(), error: lock(&self.error).clone() }
    }
}

/// The app's session as the provider's host.
struct AppHost(AppHandle);

impl Host for AppHost {
    fn with_vault(&self, step: &mut dyn FnMut(&mut UnlockedVault)) -> bool {
        let state = self.0.state::<AppState>();
        let mut session = state.session();
        session.unlocked().map(step).is_ok()
    }

    fn lock(&self) {
        crate::tray::lock(&self.0);
    }

    fn can_unlock(&self) -> bool {
        true
    }

    fn unlock(&self, why: &str) -> bool {
        wait_for_unlock(&self.0, why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_is_found_after_the_program_name() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(wanted(&args(&["keyhaven-app", "--keyring"])));
        assert!(!wanted(&args(&["--keyring"])));
        assert!(!wanted(&args(&["keyhaven-app", "--quick-reveal"])));
    }
}
