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

/// How a host unlocks its vault when a program asks to sign while it is
/// locked: the app's unlock window, the CLI host's askpass program. Called
/// on a blocking thread; gives up (`None`) when nobody answers in time.
pub trait Unlock: Send + Sync {
    /// `why`: who asks, for which key, shown to the user.
    fn unlock(&self, why: &str) -> Option<UnlockedVault>;
}

/// What every connection shares: where the vault is, and the unlocked vault
/// when the host has one.
#[derive(Clone)]
pub struct Agent {
    vault_path: PathBuf,
    unlocked: Arc<Mutex<Option<UnlockedVault>>>,
    confirm: Confirm,
    unlock: Option<Arc<dyn Unlock>>,
    /// One unlock question at a time.
    unlocking: Arc<Mutex<()>>,
}

impl Agent {
    pub fn new(vault_path: &Path, unlocked: Option<UnlockedVault>, confirm: Confirm) -> Self {
        Self {
            vault_path: vault_path.to_owned(),
            unlocked: Arc::new(Mutex::new(unlocked)),
            confirm,
            unlock: None,
            unlocking: Arc::default(),
        }
    }

    /// While locked, a sign request asks `unlock`; without one it fails at once.
    pub fn with_unlock(mut self, unlock: Arc<dyn Unlock>) -> Self {
        self.unlock = Some(unlock);
        self
    }

    /// Serves connections on `listener` until the runtime stops.
    pub async fn serve(self, listener: tokio::net::UnixListener) -> std::io::Result<()> {
        let listener = bounded::Listener(listener);
        ssh_agent_lib::agent::listen(listener, self).await.map_err(std::io::Error::other)
    }
}
