//! Keyhaven as the desktop's keyring: a freedesktop Secret Service provider
//! (`org.freedesktop.secrets` on the session bus) over the vault's program
//! items (`keyhaven_core::item`). The CLI hosts it (`keyhaven
//! secret-service`); the same code is meant for the app.
//!
//! - Objects: the service at `/org/freedesktop/secrets`; collections under
//!   `collection/` (`login`, the default, aliased `aliases/default`; a
//!   `session` collection kept in memory; those programs make); items under
//!   their collection, each named by its secret's row id; sessions and the
//!   answers' prompts.
//! - Every answer comes from the vault file, read again per request, so an
//!   item stored by the git helper or another host shows at once; the item
//!   objects exported follow the file at each search and listing.
//! - Searching works locked (labels and attributes are in the clear, as in
//!   gnome-keyring); values need the host's unlocked vault.
//! - A program reads a value once the user allowed it ([`Confirm`]); each
//!   read is in the vault's log with the program. Writes are any of this
//!   user's programs' (as in gnome-keyring) and logged with the program.
//! - Only this user's processes are served; a session is its opener's only.

mod caller;
mod collection;
mod error;
mod item;
mod prompt;
mod service;
mod session;
mod state;

use std::{path::PathBuf, sync::Arc, time::Duration};

use keyhaven_core::{UnlockedVault, approval::Approvals};

pub use error::Error;
pub(crate) use state::State;

/// The well-known name the provider owns.
pub const BUS_NAME: &str = "org.freedesktop.secrets";
/// The service object's path.
pub const SERVICE_PATH: &str = "/org/freedesktop/secrets";
/// How long a program's read waits for the user's answer before it is
/// denied. The question is asked inside the client's `GetSecret` call, and
/// D-Bus clients give up on a call after 25 s (the default of GDBus, which
/// libsecret uses, and of libdbus): an answer must come before that, or the
/// program sees "Timeout was reached" and the answer is lost on it.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(20);
const _: () = assert!(ANSWER_WITHIN.as_secs() < 25, "a question must end before the client's call does");

/// Whether a program is asked about before it reads a value.
#[derive(Clone)]
pub enum Confirm {
    /// Every program of this user may read every item (the CLI host's
    /// `--no-confirm`, saying so when it starts).
    Never,
    /// A program's first read of an item asks the user; the answer is
    /// remembered as given (`keyhaven_core::approval`).
    Ask(Arc<Approvals>),
}

/// The program serving the provider (the CLI's `secret-service`, the app):
/// its unlocked vault.
pub trait Host: Send + Sync {
    /// Runs `step` on the unlocked vault; false (and `step` not run) while locked.
    fn with_vault(&self, step: &mut dyn FnMut(&mut UnlockedVault)) -> bool;
    /// Locks the vault (a client's `Lock`): the CLI host then refuses every
    /// read with `IsLocked` until it is started again.
    fn lock(&self);
    /// Whether [`Host::unlock`] can ask the user (the app's unlock window);
    /// otherwise `Unlock` answers `IsLocked`.
    fn can_unlock(&self) -> bool {
        false
    }
    /// Asks the user to unlock, saying `why` (who asks), and waits at most
    /// [`keyhaven_core::approval::ANSWER_WITHIN`]; true once unlocked.
    /// Called on a blocking thread.
    fn unlock(&self, _why: &str) -> bool {
        false
    }
}

/// A [`Host`] that holds the unlocked vault itself (the CLI's `secret-service`).
pub struct Held {
    vault: std::sync::Mutex<Option<UnlockedVault>>,
}

impl Held {
    pub fn new(vault: UnlockedVault) -> Self {
        Self { vault: std::sync::Mutex::new(Some(vault)) }
    }

    fn vault(&self) -> std::sync::MutexGuard<'_, Option<UnlockedVault>> {
        self.vault.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Host for Held {
    fn with_vault(&self, step: &mut dyn FnMut(&mut UnlockedVault)) -> bool {
        self.vault().as_mut().map(step).is_some()
    }

    fn lock(&self) {
        self.vault().take();
    }
}

/// Why the provider could not start.
#[derive(Debug)]
pub enum StartError {
    /// Another provider owns the name: who it is.
    Taken(String),
    Bus(zbus::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Taken(owner) => write!(f, "{BUS_NAME} is owned by {owner}"),
            StartError::Bus(err) => write!(f, "the session bus: {err}"),
        }
    }
}

impl std::error::Error for StartError {}

impl From<zbus::Error> for StartError {
    fn from(err: zbus::Error) -> Self {
        StartError::Bus(err)
    }
}

/// The provider, serving on its connection until dropped.
pub struct Provider {
    connection: zbus::Connection,
    /// `NameLost`, subscribed before the name was asked for, so a provider
    /// taking it at once (`--replace`) is never missed.
    lost: zbus::fdo::NameLostStream,
}

impl Provider {
    /// Serves the vault at `vault_path` on the session bus and takes the
    /// name, or says who holds it (unless `replace`, which takes it from a
    /// provider that allows that, as gnome-keyring does). Keyhaven allows it
    /// too, so the user can switch back without stopping it first.
    pub async fn start(
        vault_path: PathBuf,
        host: Arc<dyn Host>,
        confirm: Confirm,
        replace: bool,
    ) -> Result<Self, StartError> {
        let connection = zbus::connection::Builder::session()?.build().await?;
        let state = Arc::new(State::new(vault_path, host, confirm));
        service::export(&state, &connection).await?;
        let lost = zbus::fdo::DBusProxy::new(&connection).await?.receive_name_lost().await?;
        let mut flags =
            zbus::fdo::RequestNameFlags::DoNotQueue | zbus::fdo::RequestNameFlags::AllowReplacement;
        if replace {
            flags |= zbus::fdo::RequestNameFlags::ReplaceExisting;
        }
        match connection.request_name_with_flags(BUS_NAME, flags).await {
            Ok(zbus::fdo::RequestNameReply::PrimaryOwner | zbus::fdo::RequestNameReply::AlreadyOwner) => {}
            Ok(_) | Err(zbus::Error::NameTaken) => {
                let owner = caller::owner_of(&connection, BUS_NAME).await;
                // gnome-keyring does not allow it: it must be stopped instead.
                let owner = if replace {
                    format!("{owner}, which does not let another provider take its place")
                } else {
                    owner
                };
                return Err(StartError::Taken(owner));
            }
            Err(err) => return Err(err.into()),
        }
        Ok(Self { connection, lost })
    }

    /// Resolves when another provider took the name (`--replace`).
    pub async fn name_lost(&mut self) -> zbus::Result<()> {
        use futures_lite::StreamExt as _;
        while let Some(signal) = self.lost.next().await {
            if signal.args()?.name() == BUS_NAME {
                return Ok(());
            }
        }
        Ok(())
    }

    /// [`Provider::start`] from a thread that is not an async task (the
    /// app's commands): the bus connection runs on zbus's own executor thread.
    pub fn start_blocking(
        vault_path: PathBuf,
        host: Arc<dyn Host>,
        confirm: Confirm,
        replace: bool,
    ) -> Result<Self, StartError> {
        futures_lite::future::block_on(Self::start(vault_path, host, confirm, replace))
    }

    /// Gives the name back and leaves the bus.
    pub fn stop(self) {
        let connection = self.connection;
        futures_lite::future::block_on(async {
            let _ = connection.release_name(BUS_NAME).await;
            let _ = connection.close().await;
        });
    }

    /// The bus address's unique name this provider answers on.
    pub fn unique_name(&self) -> Option<String> {
        self.connection.unique_name().map(ToString::to_string)
    }
}
