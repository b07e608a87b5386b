//! The vault's key: a new passphrase, a new key (re-keying every value and
//! token), keeping the key in the OS keyring, and checking every row of the
//! file against its tag.

use age::x25519::Identity;
use jiff::Timestamp;
use rusqlite::{Connection, Transaction, params};
use secrecy::SecretString;

use super::{MAX_REMEMBER, UnlockedVault, current_header, immediate, rewrite_header};
use crate::{
    Error, Result,
    vault::{
        audit::{self, Action},
        crypto::{self, KdfParams},
        device_key::DeviceKey,
        grants,
        header::Remember,
        integrity::IntegrityKey,
        items,
        records::{self, Owner},
        remotes, ssh_keys, sync_state,
    },
};

impl UnlockedVault {
    /// Re-wraps the identity under a new passphrase (and optionally new KDF
    /// parameters). Values are not touched: their ciphertexts stay byte-identical.
    pub fn change_passphrase(&mut self, new_passphrase: &SecretString, kdf: Option<KdfParams>) -> Result<()> {
        let kdf = kdf.unwrap_or(self.vault.header.kdf);
        let salt = crypto::random_bytes::<{ crypto::SALT_LEN }>().to_vec();
        let kek = kdf.derive(new_passphrase, &salt)?;
        let wrapped = crypto::wrap_identity(&self.identity, &kek, &self.vault.header.wrap_context(true));
        let path = self.vault.path.clone();
        let tx = immediate(&mut self.vault.conn)?;
        let header = rewrite_header(&tx, &path, &self.key, &self.key, |header| {
            header.kdf = kdf;
            header.salt = salt;
            header.wrapped_identity = wrapped;
        })?;
        audit::record(&tx, Action::ChangePassphrase, None, None)?;
        tx.commit()?;
        self.vault.header = header;
        Ok(())
    }

    /// Re-encrypts every version and remote token to a new identity under a
    /// new passphrase, and re-tags every row. `passwd` alone only re-wraps the
    /// identity, so whoever knew the old passphrase and kept a copy of the old
    /// header could still decrypt later values; after a rekey they cannot.
    /// Returns how many versions were re-encrypted.
    pub fn rekey(&mut self, new_passphrase: &SecretString, kdf: Option<KdfParams>) -> Result<usize> {
        let identity = Identity::generate();
        let recipient = identity.to_public();
        let key = IntegrityKey::derive(&identity, &self.vault.header.vault_id);
        let kdf = kdf.unwrap_or(self.vault.header.kdf);
        let salt = crypto::random_bytes::<{ crypto::SALT_LEN }>().to_vec();
        let kek = kdf.derive(new_passphrase, &salt)?;
        let wrapped = crypto::wrap_identity(&identity, &kek, &self.vault.header.wrap_context(true));
        let path = self.vault.path.clone();

        let tx = immediate(&mut self.vault.conn)?;
        let generation = current_header(&tx, &path, &self.key)?.generation;
        verify_all(&tx, &self.key, generation)?;
        let mut versions = 0;
        {
            let mut reseal =
                tx.prepare("UPDATE versions SET ciphertext = ?3 WHERE secret_id = ?1 AND version = ?2")?;
            for stored in records::all(&tx)? {
                let name = &stored.meta.name;
                for row in records::all_versions(&tx, stored.id)? {
                    let value = crypto::open_value(&self.identity, name, row.version, &row.ciphertext)?;
                    let sealed = crypto::seal_value(&recipient, name, row.version, &value);
                    reseal.execute(params![stored.id, row.version, sealed])?;
                    versions += 1;
                }
            }
        }
        remotes::reseal_tokens(&tx, &self.identity, &recipient)?;
        tag_all(&tx, &key, generation)?;
        let header = rewrite_header(&tx, &path, &self.key, &key, |header| {
            header.recipient = recipient;
            header.kdf = kdf;
            header.salt = salt;
            header.wrapped_identity = wrapped;
        })?;
        audit::record(&tx, Action::Rekey, None, Some(&format!("{versions} versions re-encrypted")))?;
        tx.commit()?;
        self.identity = identity;
        self.key = key;
        self.vault.header = header;
        if self.vault.header.remember.is_on() {
            // The new key, for what is left of the old one's lifetime.
            let device_key = DeviceKey::for_vault(&self.vault.header.vault_id)?;
            if let Some(old) = device_key.load()? {
                device_key.store(&self.identity.to_string(), old.until)?;
            }
        }
        Ok(versions)
    }

    /// Checks every row of the file against its tag; the first that fails is named.
    pub fn verify(&self) -> Result<()> {
        let generation = current_header(&self.vault.conn, &self.vault.path, &self.key)?.generation;
        verify_all(&self.vault.conn, &self.key, generation)
    }

    /// Stores the unwrapped identity in the OS keyring so later unlocks need no
    /// passphrase, and records the choice in the header.
    pub fn remember_on_device(&mut self) -> Result<()> {
        self.remember_on_device_for(None).map(drop)
    }

    /// [`Self::remember_on_device`] for `lifetime` from now (`None`: until a
    /// lock or a forget). Past it, an unlock deletes the key from the keyring
    /// instead of using it. At most [`MAX_REMEMBER`].
    pub fn remember_on_device_for(
        &mut self,
        lifetime: Option<jiff::SignedDuration>,
    ) -> Result<Option<Timestamp>> {
        let until = match lifetime {
            None => None,
            Some(lifetime) if lifetime.is_positive() && lifetime <= MAX_REMEMBER => Some(
                Timestamp::now()
                    .checked_add(lifetime)
                    .map_err(|err| Error::invalid("lifetime", err.to_string()))?,
            ),
            Some(_) => {
                return Err(Error::invalid(
                    "how long to remember the key",
                    "give a time from one second to 30 days (e.g. 8h, 90m)",
                ));
            }
        };
        DeviceKey::for_vault(&self.vault.header.vault_id)?.store(&self.identity.to_string(), until)?;
        if !self.vault.header.remember.is_on() {
            let path = self.vault.path.clone();
            let tx = immediate(&mut self.vault.conn)?;
            let header = rewrite_header(&tx, &path, &self.key, &self.key, |header| {
                header.remember = Remember::Untagged
            })?;
            audit::record(&tx, Action::Remember, None, None)?;
            tx.commit()?;
            self.vault.header = header;
        }
        Ok(until)
    }
}

/// Checks every row against `key` (remote settings for `generation`):
/// secrets, each pointing at its newest version, versions, remotes and sync state.
fn verify_all(conn: &Connection, key: &IntegrityKey, generation: i64) -> Result<()> {
    for stored in records::all(conn)? {
        let rows = records::all_versions(conn, stored.id)?;
        let current = rows.iter().find(|row| row.version == stored.meta.version);
        stored.verify_current(key, current, rows.iter().map(|row| row.version).max())?;
        for row in rows {
            row.verify(key, Owner::from(&stored.meta))?;
        }
    }
    ssh_keys::verify_all(conn, key)?;
    items::verify_all(conn, key)?;
    grants::verify_all(conn, key)?;
    remotes::verify_all(conn, key, generation)?;
    sync_state::verify_all(conn, key)
}

/// Tags every row under `key`: versions, secrets, remotes (settings for
/// `generation`) and sync state.
pub(super) fn tag_all(tx: &Transaction<'_>, key: &IntegrityKey, generation: i64) -> Result<()> {
    let mut tag_version = tx.prepare("UPDATE versions SET mac = ?3 WHERE secret_id = ?1 AND version = ?2")?;
    for stored in records::all(tx)? {
        for row in records::all_versions(tx, stored.id)? {
            tag_version.execute(params![stored.id, row.version, row.tag(key, Owner::from(&stored.meta))])?;
        }
        records::tag_secret(tx, key, stored.id)?;
    }
    ssh_keys::tag_all(tx, key)?;
    items::tag_all(tx, key)?;
    grants::tag_all(tx, key)?;
    remotes::tag_all(tx, key, generation, false)?;
    sync_state::tag_all(tx, key, false)
}
