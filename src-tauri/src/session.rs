//! The app's one vault: where it is, and whether it is open and unlocked.
//! Locking drops the unlocked vault, and with it the key.

use std::path::PathBuf;

use keyhaven_core::{Error, KdfParams, UnlockedVault, Vault};
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
