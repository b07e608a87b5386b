//! "Remember on this device": the unwrapped vault identity kept in the OS
//! keyring (Secret Service, Keychain, Credential Manager) through `keyring`,
//! with the time it may be used until, if the user gave it a lifetime
//! (`identity` or `identity\nuntil-ms`, in the one keyring item, so the two
//! are written and removed together).

use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// A remembered key as the keyring holds it.
pub(crate) struct Stored {
    pub identity: SecretString,
    /// Past this, the key is deleted rather than used.
    pub until: Option<Timestamp>,
}

const SERVICE: &str = "keyhaven";

pub(crate) struct DeviceKey(keyring::Entry);

impl DeviceKey {
    pub fn for_vault(vault_id: &str) -> Result<Self> {
        keyring::Entry::new(SERVICE, &format!("vault-{vault_id}"))
            .map(Self)
            .map_err(|err| Error::Keyring(err.to_string()))
    }

    pub fn store(&self, identity: &SecretString, until: Option<Timestamp>) -> Result<()> {
        let item = Zeroizing::new(match until {
            Some(until) => format!("{}\n{}", identity.expose_secret(), until.as_millisecond()),
            None => identity.expose_secret().to_owned(),
        });
        self.0.set_password(&item).map_err(|err| Error::Keyring(err.to_string()))
    }

    /// `None` when nothing is stored for this vault. An item whose time is
    /// not a number counts as expired (never as forever).
    pub fn load(&self) -> Result<Option<Stored>> {
        let item = match self.0.get_password() {
            Ok(item) => Zeroizing::new(item),
            Err(keyring::Error::NoEntry) => return Ok(None),
            Err(err) => return Err(Error::Keyring(err.to_string())),
        };
        Ok(Some(match item.split_once('\n') {
            None => Stored { identity: SecretString::from(item.as_str()), until: None },
            Some((identity, until)) => Stored {
                identity: SecretString::from(identity),
                until: Some(
                    until
                        .parse()
                        .ok()
                        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
                        .unwrap_or(Timestamp::MIN),
                ),
            },
        }))
    }

    pub fn delete(&self) -> Result<()> {
        match self.0.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(Error::Keyring(err.to_string())),
        }
    }
}
