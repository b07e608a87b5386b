//! "Remember on this device": the unwrapped vault identity kept in the OS
//! keyring (Secret Service, Keychain, Credential Manager) through `keyring`.

use secrecy::SecretString;

use crate::{Error, Result};

const SERVICE: &str = "keyhaven";

pub(crate) struct DeviceKey(keyring::Entry);

impl DeviceKey {
    pub fn for_vault(vault_id: &str) -> Result<Self> {
        keyring::Entry::new(SERVICE, &format!("vault-{vault_id}"))
            .map(Self)
            .map_err(|err| Error::Keyring(err.to_string()))
    }

    pub fn store(&self, identity: &SecretString) -> Result<()> {
        use secrecy::ExposeSecret;
        self.0.set_password(identity.expose_secret()).map_err(|err| Error::Keyring(err.to_string()))
    }

    /// `None` when nothing is stored for this vault.
    pub fn load(&self) -> Result<Option<SecretString>> {
        match self.0.get_password() {
            Ok(secret) => Ok(Some(SecretString::from(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(Error::Keyring(err.to_string())),
        }
    }

    pub fn delete(&self) -> Result<()> {
        match self.0.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(Error::Keyring(err.to_string())),
        }
    }
}
