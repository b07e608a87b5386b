//! The app as the desktop's keyring (Settings, "Passwords for programs";
//! off by default): the Secret Service `keyhaven secret-service` serves
//! (crates/secret-service), over the app's own session. A program's first
//! read of an item asks in the window; while the vault is locked a client's
//! `Unlock` shows the unlock screen, and the same client reads once it is
//! unlocked. Stopping gives the name back.

use std::sync::{Arc, Mutex};

use keyhaven_core::{UnlockedVault, approval::Approvals};
use keyhaven_secret_service::{Confirm, Host, Provider, StartError};
use serde::Serialize;
use tauri::{AppHandle, Manager as _};
use ts_rs::TS;

use crate::{
    AppState,
    asking::{WindowPrompt, wait_for_unlock},
    lock,
};

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
        let approvals = Arc::new(Approvals::new(Box::new(WindowPrompt(app.clone()))));
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
