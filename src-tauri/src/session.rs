//! The app's one vault: where it is, and whether it is open and unlocked.
//! Locking drops the unlocked vault, and with it the key.

use std::path::PathBuf;

use jiff::SignedDuration;
use keyhaven_core::{Error, KdfParams, UnlockedVault, Vault};

/// Said when the keyring could not keep the key; the vault is unlocked anyway.
pub const NOT_REMEMBERED: &str = "Unlocked, but this device's keyring could not keep the key (it is locked or \
     missing), so the passphrase will be asked again next time.";
use secrecy::SecretString;

enum Open {
    Closed,
    Locked(Vault),
    Unlocked(UnlockedVault),
}

pub struct Session {
    path: PathBuf,
    open: Open,
}

impl Session {
    pub fn new(path: PathBuf) -> Self {
        Self { path, open: Open::Closed }
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    pub fn exists(&self) -> bool {
        !matches!(self.open, Open::Closed) || self.path.is_file()
    }

    pub fn is_unlocked(&self) -> bool {
        matches!(self.open, Open::Unlocked(_))
    }

    /// The vault for metadata, opened (locked) on first use.
    pub fn vault(&mut self) -> Result<&Vault, Error> {
        if let Open::Closed = self.open {
            self.open = Open::Locked(Vault::open(&self.path)?);
        }
        match &self.open {
            Open::Locked(vault) => Ok(vault),
            Open::Unlocked(vault) => Ok(vault),
            Open::Closed => Err(Error::NoVault(self.path.clone())),
        }
    }

    /// The vault for what a window or the tray shows of the secrets (names,
    /// descriptions, history, activity, sync marks): unlocked, or locked
    /// only when `while_locked` (the "Show names while locked" setting).
    pub fn names(&mut self, while_locked: bool) -> Result<&Vault, Error> {
        if !while_locked && !self.is_unlocked() && self.exists() {
            return Err(Error::Locked);
        }
        self.vault()
    }

    pub fn unlocked(&mut self) -> Result<&mut UnlockedVault, Error> {
        match &mut self.open {
            Open::Unlocked(vault) => Ok(vault),
            _ => Err(Error::Locked),
        }
    }

    pub fn create(&mut self, passphrase: &SecretString, kdf: KdfParams) -> Result<(), Error> {
        self.open = Open::Unlocked(Vault::create(&self.path, passphrase, kdf)?);
        Ok(())
    }

    /// With the passphrase; on a wrong one the vault stays open and locked.
    pub fn unlock(&mut self, passphrase: &SecretString) -> Result<(), Error> {
        self.vault()?;
        let Open::Locked(vault) = std::mem::replace(&mut self.open, Open::Closed) else {
            return Ok(());
        };
        // Unlocking consumes the vault: reopen it if the passphrase is wrong.
        match vault.unlock(passphrase) {
            Ok(unlocked) => self.open = Open::Unlocked(unlocked),
            Err(err) => {
                self.open = Open::Locked(Vault::open(&self.path)?);
                return Err(err);
            }
        }
        Ok(())
    }

    /// With the key remembered in the OS keyring, when the user chose that.
    pub fn unlock_with_device_key(&mut self) -> Result<(), Error> {
        self.vault()?;
        let Open::Locked(vault) = std::mem::replace(&mut self.open, Open::Closed) else {
            return Ok(());
        };
        match vault.unlock_with_device_key() {
            Ok(unlocked) => self.open = Open::Unlocked(unlocked),
            Err(err) => {
                self.open = Open::Locked(Vault::open(&self.path)?);
                return Err(err);
            }
        }
        Ok(())
    }

    /// The vault for metadata changes (pins, remotes), locked or not.
    pub fn vault_mut(&mut self) -> Result<&mut Vault, Error> {
        self.vault()?;
        match &mut self.open {
            Open::Locked(vault) => Ok(vault),
            Open::Unlocked(vault) => Ok(vault),
            Open::Closed => Err(Error::NoVault(self.path.clone())),
        }
    }

    /// Keeps the unlocked vault's key in the OS keyring for `lifetime` (`None`:
    /// until a lock or a forget). The vault stays unlocked whatever the
    /// keyring says: one that cannot keep the key (locked, missing) is told
    /// in a sentence, for the window; the details go to the log.
    pub fn remember(&mut self, lifetime: Option<SignedDuration>) -> Result<Option<String>, Error> {
        match self.unlocked()?.remember_on_device_for(lifetime) {
            Ok(_) => Ok(None),
            Err(Error::Keyring(detail)) => {
                tracing::warn!("the key was not remembered: {detail}");
                Ok(Some(NOT_REMEMBERED.to_owned()))
            }
            Err(err) => Err(err),
        }
    }

    /// Removes the key from the OS keyring and the preference with it.
    pub fn forget_device_key(&mut self) -> Result<(), Error> {
        self.vault_mut()?.drop_device_key(true)
    }

    pub fn lock(&mut self) {
        if let Open::Unlocked(vault) = std::mem::replace(&mut self.open, Open::Closed) {
            self.open = Open::Locked(vault.lock());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    /// Runs the named test again in a child process whose session bus does
    /// not exist: the real keyring crate then has no Secret Service to reach,
    /// and this process's own keyring (if any) is never touched.
    fn in_child_without_a_keyring(test: &str) -> bool {
        if std::env::var_os("KEYHAVEN_TEST_NO_KEYRING").is_some() {
            return false;
        }
        let output = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", test, "--nocapture", "--test-threads", "1"])
            .env("KEYHAVEN_TEST_NO_KEYRING", "1")
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/keyhaven-test-bus")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && text.contains("1 passed"),
            "{text}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        true
    }

    #[test]
    fn a_keyring_that_cannot_keep_the_key_leaves_the_vault_unlocked_and_says_so() {
        if in_child_without_a_keyring(
            "session::tests::a_keyring_that_cannot_keep_the_key_leaves_the_vault_unlocked_and_says_so",
        ) {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut session = Session::new(dir.path().join("vault.sqlite"));
        session.create(&"pw".into(), KdfParams::custom(8, 1).unwrap()).unwrap();
        session.lock();
        session.unlock(&"pw".into()).unwrap();
        let notice = session.remember(None).unwrap();
        assert_eq!(notice.as_deref(), Some(NOT_REMEMBERED));
        assert!(session.is_unlocked(), "the right passphrase unlocked, whatever the keyring said");
    }
}
