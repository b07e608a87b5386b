//! Keyhaven's SSH agent: OpenSSH's agent protocol over the vault's SSH keys
//! (`keyhaven_core::ssh`). The CLI hosts it (`keyhaven ssh-agent`); the same
//! code is meant for the app. The protocol's framing and messages are
//! `ssh-agent-lib`'s; what a client may send is bounded here first
//! ([`bounded`]), and every answer comes from the vault file, read again
//! for each request (a key added or switched off shows at once).
//!
//! - Listing works locked: the public halves are in the clear.
//! - Signing needs the unlocked vault the host holds. While it is locked a
//!   sign request asks the host to unlock ([`Unlock`]), which gives up after
//!   a while; listing never waits for it.
//! - A program signs once the user allowed it ([`Confirm`]); the question is
//!   asked on a blocking thread, with the vault not held meanwhile.
//! - Each signature is in the vault's log, with the program that asked and
//!   the server it was for ([`binding`]).
//! - A client that says where it connects gets the keys meant for that
//!   server first; a forwarded connection sees only keys allowed to be
//!   forwarded.

mod binding;
mod bounded;
mod caller;
mod session;
mod socket;

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use keyhaven_core::{UnlockedVault, approval::Approvals};

pub use caller::Caller;
pub use socket::{bind, default_socket};

/// Whether a program is asked about before it signs.
#[derive(Clone)]
pub enum Confirm {
    /// Every program of this user may sign with every key offered (the CLI
    /// host's `--confirm never`, saying so when it starts).
    Never,
    /// The first time a program asks for a key, the user is asked; the
    /// answer is remembered as given (`keyhaven_core::approval`).
    Ask(Arc<Approvals>),
}

/// The program serving the agent (the CLI's `ssh-agent`, the app): its
/// unlocked vault, and how it asks the user to unlock.
pub trait Host: Send + Sync {
    /// Runs `step` on the unlocked vault; false (and `step` not run) while locked.
    fn with_vault(&self, step: &mut dyn FnMut(&UnlockedVault)) -> bool;
    /// Asks the user to unlock, saying `why` (who asks, for which key), and
    /// waits at most [`keyhaven_core::approval::ANSWER_WITHIN`]; true once
    /// unlocked. Called on a blocking thread, one question at a time.
    fn unlock(&self, why: &str) -> bool;
}

/// How the CLI host unlocks on demand (its askpass program).
pub trait Unlock: Send + Sync {
    /// `why`: who asks, for which key, shown to the user.
    fn unlock(&self, why: &str) -> Option<UnlockedVault>;
}

/// A [`Host`] that holds the unlocked vault itself (the CLI's `ssh-agent`).
pub struct Held {
    vault: Mutex<Option<UnlockedVault>>,
    unlock: Option<Box<dyn Unlock>>,
}

impl Held {
    /// Holds `vault` (or none: locked); `unlock` asks for it when a signature needs it.
    pub fn new(vault: Option<UnlockedVault>, unlock: Option<Box<dyn Unlock>>) -> Self {
        Self { vault: Mutex::new(vault), unlock }
    }

    fn vault(&self) -> std::sync::MutexGuard<'_, Option<UnlockedVault>> {
        self.vault.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Host for Held {
    fn with_vault(&self, step: &mut dyn FnMut(&UnlockedVault)) -> bool {
        self.vault().as_ref().map(step).is_some()
    }

    fn unlock(&self, why: &str) -> bool {
        let Some(vault) = self.unlock.as_ref().and_then(|unlock| unlock.unlock(why)) else {
            return false;
        };
        *self.vault() = Some(vault);
        true
    }
}

/// What every connection shares: where the vault is, and its host.
#[derive(Clone)]
pub struct Agent {
    vault_path: PathBuf,
    host: Arc<dyn Host>,
    confirm: Confirm,
    /// One unlock question at a time.
    unlocking: Arc<Mutex<()>>,
}

impl Agent {
    pub fn new(vault_path: &Path, host: Arc<dyn Host>, confirm: Confirm) -> Self {
        Self { vault_path: vault_path.to_owned(), host, confirm, unlocking: Arc::default() }
    }

    /// Runs `step` on the host's unlocked vault; `None` while it is locked.
    fn on_vault<R>(&self, step: impl FnOnce(&UnlockedVault) -> R) -> Option<R> {
        let mut step = Some(step);
        let mut out = None;
        self.host.with_vault(&mut |vault| {
            if let Some(step) = step.take() {
                out = Some(step(vault));
            }
        });
        out
    }

    /// Serves connections on `listener` until the runtime stops.
    pub async fn serve(self, listener: tokio::net::UnixListener) -> std::io::Result<()> {
        let listener = bounded::Listener(listener);
        ssh_agent_lib::agent::listen(listener, self).await.map_err(std::io::Error::other)
    }
}
